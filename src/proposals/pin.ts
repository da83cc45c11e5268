/**
 * Version pinning. A proposal pins the version of the record it was based on. When the record's
 * version moves, what matters is which fields moved: if one the proposal depends on changed (or the
 * record is gone), the proposal is stale and people must re-check it; if only other fields moved
 * (an invoice changed the balance under a credit-limit change), the pin simply moves along.
 */
import { getRecord } from '../records/repo.ts';
import type { Queryable } from '../store/types.ts';
import { equalValues } from './compare.ts';
import type { ProposalDeps } from './deps.ts';
import { updateProposal } from './repo.ts';
import type { Actor, DbProposal } from './types.ts';

export function dependsOn(deps: ProposalDeps, p: Pick<DbProposal, 'type' | 'expected'>): string[] {
  const declared = deps.catalog.get(p.type)?.def.dependsOn;
  return declared ? [...declared] : Object.keys(p.expected);
}

export type PinResult = { ok: true; proposal: DbProposal } | { ok: false; proposal: DbProposal };

/**
 * Bring the pin up to date inside the caller's transaction: re-pin when only unrelated fields moved,
 * or mark the proposal stale (with an event and audit row) when a field it depends on moved.
 */
export async function reconcilePin(
  deps: ProposalDeps,
  tx: Queryable,
  p: DbProposal,
  actor: Actor,
  now: Date,
): Promise<PinResult> {
  const cur = await getRecord(tx, p.system, p.resource, p.target_key, { includeDeleted: true });
  if (cur && !cur.deleted && cur.version === p.base_version) return { ok: true, proposal: p };
  const fields = dependsOn(deps, p);
  const moved =
    !cur || cur.deleted
      ? ['(record deleted)']
      : fields.filter((f) => !equalValues(p.base_record[f], cur.data[f]));
  if (moved.length === 0 && cur) {
    const repinned = await updateProposal(
      tx,
      p.id,
      { base_version: cur.version, base_record: cur.data },
      now,
    );
    return { ok: true, proposal: repinned };
  }
  const marked = await updateProposal(tx, p.id, { stale: true }, now);
  await deps.journal.write(
    tx,
    marked,
    'stale',
    actor,
    {
      basedOnVersion: p.base_version,
      currentVersion: cur && !cur.deleted ? cur.version : null,
      changedFields: moved,
    },
    now,
  );
  return { ok: false, proposal: marked };
}
