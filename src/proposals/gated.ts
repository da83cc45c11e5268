/**
 * gated-write: seam carries out an approved proposal itself, through the adapter's write operation,
 * then verifies it like any other. Only when all of these hold, checked right before the call:
 * the mode is `gated-write` (possible only after day 90), an admin enabled this proposal type, the
 * type declares a write operation, and a write credential is configured. Otherwise the proposal
 * simply stays in the operators' queue. Approvals are still required: only queued (fully approved)
 * proposals are taken.
 *
 * A write is never retried. If the legacy system refused it (a SOAP Fault) the proposal fails with
 * the reason; if the outcome is unknown (timeout, connection lost) it goes back to the operators'
 * queue flagged `write_uncertain`, for a person to check the legacy record before doing anything.
 */
import { LEGACY_ERROR, LegacyError } from '../legacy/errors.ts';
import { WriteNotSent, type ProposalDeps } from './deps.ts';
import { reconcilePin } from './pin.ts';
import { findProposal, SAME_VERSION, transition } from './repo.ts';
import { isGated, readMode } from './mode.ts';
import { SYSTEM_ACTOR } from './types.ts';

/** LegacyError kinds raised before anything was sent to the box. */
const NOT_SENT = [
  LEGACY_ERROR.maintenance,
  LEGACY_ERROR.circuitOpen,
  LEGACY_ERROR.overloaded,
  LEGACY_ERROR.refused,
];

export type GatedOutcome = 'not_gated' | 'executed' | 'failed' | 'uncertain' | 'skipped';

/** Queued proposals of types currently gated (picked up after a crash or a switch-on). */
export async function gatedCandidates(deps: ProposalDeps): Promise<string[]> {
  const mode = await readMode(deps.store, { goLive: deps.goLive, now: deps.now() });
  if (mode.mode !== 'gated-write' || mode.gatedTypes.length === 0) return [];
  const r = await deps.store.query<{ id: string }>(
    `SELECT id FROM proposals WHERE state = 'queued' AND NOT stale AND type = ANY($1::text[]) ORDER BY queued_at LIMIT 50`,
    [mode.gatedTypes.map((g) => g.type)],
  );
  return r.rows.map((x) => x.id);
}

export async function executeGated(deps: ProposalDeps, id: string): Promise<GatedOutcome> {
  const now = deps.now();
  const p0 = await findProposal(deps.store, id);
  if (!p0 || p0.state !== 'queued' || p0.stale) return 'skipped';
  const mode = await readMode(deps.store, { goLive: deps.goLive, now });
  if (!isGated(mode, p0.type) || !mode.gatedWriteAllowed) return 'not_gated';
  const def = deps.catalog.get(p0.type)?.def;
  const write = def?.write;
  const writer = write ? deps.writer?.() : undefined;
  if (write && writer && !writer.available(p0.system)) return 'skipped';
  if (!write || !writer) {
    deps.log.error(
      { proposalId: p0.id, type: p0.type, alert: 'gated_write_unavailable' },
      'gated-write is on for this type but no write operation or write credential is available; left for operators',
    );
    return 'not_gated';
  }
  // Claim it as seam, with the same atomic conditions an operator's claim has.
  const claimed = await deps.store.transaction(async (tx) => {
    const p = await findProposal(tx, p0.id, { forUpdate: true });
    if (!p || p.state !== 'queued' || p.stale) return undefined;
    const pin = await reconcilePin(deps, tx, p, SYSTEM_ACTOR, now);
    if (!pin.ok) return undefined;
    const head = await tx.query<{ last_position: number }>('SELECT last_position FROM event_log_head');
    const c = await transition(
      tx,
      p.id,
      ['queued'],
      'claimed',
      {
        claimed_by_id: SYSTEM_ACTOR.id,
        claimed_by_name: SYSTEM_ACTOR.name,
        claimed_at: now,
        verify_after_position: head.rows[0]?.last_position ?? 0,
      },
      { now, where: `NOT stale AND ${SAME_VERSION}` },
    );
    if (c) await deps.journal.write(tx, c, 'claimed', SYSTEM_ACTOR, { mode: 'gated-write' }, now);
    return c;
  });
  if (!claimed) return 'skipped';

  const args = write.args(claimed.input, claimed.base_record);
  let result: unknown;
  try {
    deps.log.info(
      { proposalId: claimed.id, reference: `P-${claimed.number}`, operation: write.operation },
      'gated-write: carrying out an approved proposal through the legacy write operation',
    );
    result = await writer.write(claimed.system, write.operation, args);
  } catch (err) {
    // "System busy" is the box saying not now: nothing was done, as when nothing reached it.
    const busy = err instanceof LegacyError && err.kind === LEGACY_ERROR.fault && err.faultKind === 'busy';
    const refused = err instanceof LegacyError && err.kind === LEGACY_ERROR.fault && !busy;
    const notSent =
      busy ||
      err instanceof WriteNotSent ||
      (err instanceof LegacyError && (NOT_SENT as readonly string[]).includes(err.kind));
    const reason = err instanceof Error ? err.message : String(err);
    if (notSent) {
      await deps.store.transaction(async (tx) => {
        const back = await transition(
          tx,
          claimed.id,
          ['claimed'],
          'queued',
          { claimed_by_id: null, claimed_by_name: null, claimed_at: null },
          { now: deps.now() },
        );
        if (back)
          await deps.journal.write(
            tx,
            back,
            'released',
            SYSTEM_ACTOR,
            { reason: `seam could not write (${reason}); nothing was sent: left for operators` },
            deps.now(),
          );
      });
      deps.log.error(
        {
          alert: 'gated_write_unavailable',
          proposalId: claimed.id,
          reference: `P-${claimed.number}`,
          reason,
        },
        'gated-write: nothing was sent to the legacy system; the proposal is back in the operators queue',
      );
      return 'not_gated';
    }
    return deps.store.transaction(async (tx) => {
      if (refused) {
        const failed = await transition(
          tx,
          claimed.id,
          ['claimed'],
          'failed',
          {
            execution_mode: 'gated',
            closed_by_id: SYSTEM_ACTOR.id,
            closed_by_name: SYSTEM_ACTOR.name,
            closed_at: deps.now(),
            outcome_reason: `the legacy system refused ${write.operation}: ${reason}`,
          },
          { now: deps.now() },
        );
        if (failed)
          await deps.journal.write(
            tx,
            failed,
            'failed',
            SYSTEM_ACTOR,
            { reason, operation: write.operation },
            deps.now(),
          );
        return 'failed' as const;
      }
      const back = await transition(
        tx,
        claimed.id,
        ['claimed'],
        'queued',
        { claimed_by_id: null, claimed_by_name: null, claimed_at: null },
        { now: deps.now() },
      );
      if (back) {
        await deps.journal.write(
          tx,
          back,
          'write_uncertain',
          SYSTEM_ACTOR,
          { reason, operation: write.operation },
          deps.now(),
        );
        await deps.journal.write(
          tx,
          back,
          'released',
          SYSTEM_ACTOR,
          { reason: 'write outcome unknown: check the legacy record before carrying it out' },
          deps.now(),
        );
      }
      deps.log.warn(
        { alert: 'gated_write_uncertain', proposalId: claimed.id, reference: `P-${claimed.number}`, err },
        'gated-write: outcome of the write is unknown; returned to the operators queue',
      );
      return 'uncertain' as const;
    });
  }
  const reference = write.reference(result);
  await deps.store.transaction(async (tx) => {
    const at = deps.now();
    const done = await transition(
      tx,
      claimed.id,
      ['claimed'],
      'executed',
      {
        execution_mode: 'gated',
        executed_by_id: SYSTEM_ACTOR.id,
        executed_by_name: SYSTEM_ACTOR.name,
        executed_at: at,
        legacy_reference: reference,
        verification: { live: { result: 'pending' }, snapshot: { result: 'pending' } },
        verify_next_at: at,
        verify_due_at: new Date(at.getTime() + claimed.route.verifyWithinMs),
      },
      { now: at },
    );
    if (done)
      await deps.journal.write(
        tx,
        done,
        'executed',
        SYSTEM_ACTOR,
        { mode: 'gated-write', operation: write.operation, legacyReference: reference },
        at,
      );
  });
  return 'executed';
}
