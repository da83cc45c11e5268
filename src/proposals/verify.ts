/**
 * Verification: once a proposal is marked executed, seam checks the system of record itself.
 *
 * Evidence, in the order it happened:
 * - a live read (SOAP) right after "executed", retried with backoff while the box is unreachable;
 * - record-change events about the target after the operator claimed it: from a SOAP poll (live
 *   evidence) or from a batch file (snapshot evidence);
 * - the next snapshot file of a feed that keeps the target's resource current, even when it changed
 *   nothing (the record already showed the new state): the stored record is then what it says.
 * The latest evidence decides: `verified` when the expected fields match, `mismatch` (with the
 * differing fields) when they do not. A mismatch is raised to people: an event, a warning log line
 * with `alert: "proposal_mismatch"`, and the proposal shows in the queue. A later matching check
 * (the operator fixed it) verifies it again. Watching stops once a live read and a snapshot agree,
 * when a later proposal on the same record was carried out, or at the verification deadline.
 */
import { getRecord } from '../records/repo.ts';
import type { Queryable } from '../store/types.ts';
import { differences } from './compare.ts';
import type { ProposalDeps } from './deps.ts';
import { findProposal, updateProposal } from './repo.ts';
import {
  SYSTEM_ACTOR,
  type CheckResult,
  type DbProposal,
  type ProposalState,
  type Verification,
} from './types.ts';

/** Event types ingest writes when a file was applied; data names the feed (`feed`). */
export const INGEST_APPLIED_TYPES = ['seam.ingest.file.applied'];

const WATCHED: ProposalState[] = ['executed', 'verified', 'mismatch'];
const MAX_EVENTS = 500;

/** Backoff for live reads while the box is unreachable: 30 s, 1 min, 2 min ... at most 15 min. */
export function liveBackoffMs(attempts: number): number {
  return Math.min(15 * 60_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}

interface Evidence {
  kind: 'live' | 'snapshot';
  position: number;
  check: CheckResult;
}

interface DbEventRow {
  position: number;
  type: string;
  subject: string | null;
  data: {
    record?: Record<string, unknown>;
    provenance?: { via?: string; file?: string; line?: number; operation?: string };
    feed?: string;
  };
}

async function head(db: Queryable): Promise<number> {
  const r = await db.query<{ last_position: number }>('SELECT last_position FROM event_log_head');
  return r.rows[0]?.last_position ?? 0;
}

function checkOf(
  expected: Record<string, unknown>,
  record: Record<string, unknown> | undefined,
  at: Date,
  source: string,
): CheckResult {
  if (!record)
    return {
      result: 'mismatch',
      checkedAt: at.toISOString(),
      source,
      differences: Object.entries(expected).map(([field, v]) => ({ field, expected: v, actual: null })),
      error: 'the record no longer exists',
    };
  const diffs = differences(expected, record);
  return {
    result: diffs.length === 0 ? 'match' : 'mismatch',
    checkedAt: at.toISOString(),
    source,
    ...(diffs.length ? { differences: diffs } : {}),
  };
}

/** Gather the evidence about one proposal that arrived since it was last looked at. */
async function gather(
  deps: ProposalDeps,
  p: DbProposal,
  opts: { live: boolean },
): Promise<{ evidence: Evidence[]; liveError?: CheckResult; upTo: number }> {
  const now = deps.now();
  const subject = `${p.resource}/${p.target_key}`;
  const since = p.verify_after_position ?? 0;
  const evidence: Evidence[] = [];
  let liveError: CheckResult | undefined;
  const before = await head(deps.store);
  let liveDone = false;
  if (opts.live && deps.live) {
    try {
      const rec = await deps.live.read(p.system, p.resource, p.target_key);
      evidence.push({
        kind: 'live',
        position: before + 0.5,
        check: checkOf(p.expected, rec, now, 'live read'),
      });
      liveDone = true;
    } catch (err) {
      const attempts = (p.verification.live?.attempts ?? 0) + 1;
      liveError = {
        result: 'unavailable',
        checkedAt: now.toISOString(),
        source: 'live read',
        error: (err as Error).message,
        attempts,
      };
    }
  }
  const events = await deps.store.query<DbEventRow>(
    `SELECT position, type, subject, data FROM events
      WHERE subject = $1 AND position > $2 AND type NOT LIKE 'seam.%'
      ORDER BY position LIMIT ${MAX_EVENTS}`,
    [subject, since],
  );
  // Everything up to the head was looked at, unless the page of events was full.
  let upTo = events.rows.length < MAX_EVENTS ? Math.max(since, before) : since;
  for (const e of events.rows) {
    upTo = Math.max(upTo, e.position);
    const via = e.data.provenance?.via;
    const deleted = e.type.endsWith('.deleted');
    const record = deleted ? undefined : e.data.record;
    if (!deleted && !record) continue;
    if (via === 'feed') {
      const src =
        `batch file ${e.data.provenance?.file ?? ''}${e.data.provenance?.line ? `:${e.data.provenance.line}` : ''}`.trim();
      evidence.push({ kind: 'snapshot', position: e.position, check: checkOf(p.expected, record, now, src) });
    } else if (via === 'soap' && !liveDone) {
      // (A live read this round is the freshest word from the system of record; polls add nothing.)
      evidence.push({
        kind: 'live',
        position: e.position,
        check: checkOf(p.expected, record, now, `SOAP ${e.data.provenance?.operation ?? 'read'}`),
      });
    }
  }
  // A snapshot file of this resource's feed that changed nothing about the target still says the
  // target is as stored: judge the stored record as of then.
  const feeds = deps.catalog.get(p.type)?.snapshotFeeds ?? [];
  if (feeds.length > 0 && !evidence.some((e) => e.kind === 'snapshot')) {
    const applied = await deps.store.query<DbEventRow>(
      `SELECT position, type, subject, data FROM events
        WHERE type = ANY($1::text[]) AND position > $2 AND data->>'feed' = ANY($3::text[])
        ORDER BY position LIMIT 1`,
      [INGEST_APPLIED_TYPES, since, feeds],
    );
    const file = applied.rows[0];
    if (file) {
      upTo = Math.max(upTo, file.position);
      const stored = await getRecord(deps.store, p.system, p.resource, p.target_key);
      evidence.push({
        kind: 'snapshot',
        position: file.position,
        check: checkOf(
          p.expected,
          stored?.data,
          now,
          `batch file of feed ${file.data.feed} (no change to the record)`,
        ),
      });
    }
  }
  evidence.sort((a, b) => a.position - b.position);
  return { evidence, ...(liveError ? { liveError } : {}), upTo };
}

/** Has a later proposal on the same record been carried out? Then this one's snapshot cannot come. */
async function supersededBy(db: Queryable, p: DbProposal): Promise<string | undefined> {
  const r = await db.query<{ number: number }>(
    `SELECT number FROM proposals WHERE system = $1 AND resource = $2 AND target_key = $3 AND id <> $4
        AND executed_at > $5 ORDER BY executed_at LIMIT 1`,
    [p.system, p.resource, p.target_key, p.id, p.executed_at],
  );
  return r.rows[0] ? `P-${r.rows[0].number}` : undefined;
}

/**
 * Check one proposal now. `live` forces a live read even if one is not due (POST .../verify).
 * Returns the proposal as it is afterwards.
 */
export async function verifyProposal(
  deps: ProposalDeps,
  idOrRef: string,
  opts: { live?: boolean } = {},
): Promise<DbProposal | undefined> {
  const p = await findProposal(deps.store, idOrRef);
  if (!p || !WATCHED.includes(p.state)) return p;
  const now = deps.now();
  const liveDue =
    opts.live === true ||
    (p.verify_next_at !== null && p.verify_next_at <= now && p.verification.live?.result !== 'match');
  const { evidence, liveError, upTo } = await gather(deps, p, { live: liveDue });
  const later = p.state === 'verified' ? await supersededBy(deps.store, p) : undefined;

  return deps.store.transaction(async (tx) => {
    const cur = await findProposal(tx, p.id, { forUpdate: true });
    // Someone else (another process) verified it meanwhile: their result stands.
    if (!cur || cur.updated_at.getTime() !== p.updated_at.getTime()) return cur;
    const v: Verification = { ...cur.verification };
    for (const e of evidence) v[e.kind] = { ...e.check, attempts: (v[e.kind]?.attempts ?? 0) + 1 };
    const latest = evidence.at(-1);
    let state = cur.state;
    if (latest) state = latest.check.result === 'match' ? 'verified' : 'mismatch';
    const set: Record<string, unknown> = { verify_after_position: upTo };
    if (liveError && !evidence.some((e) => e.kind === 'live')) {
      v.live = liveError;
      set.verify_next_at = new Date(now.getTime() + liveBackoffMs(liveError.attempts ?? 1));
    } else if (liveDue || evidence.some((e) => e.kind === 'live')) {
      set.verify_next_at = null;
    }
    // Done watching: both kinds agree, or nothing more can come.
    const noSnapshotExpected = (deps.catalog.get(cur.type)?.snapshotFeeds.length ?? 0) === 0;
    if (noSnapshotExpected && v.snapshot?.result === 'pending')
      v.snapshot = { result: 'unavailable', error: 'no snapshot feed keeps this resource current' };
    if (later && v.snapshot?.result === 'pending')
      v.snapshot = { result: 'superseded', error: `${later} changed the record since` };
    const overdue = cur.verify_due_at !== null && cur.verify_due_at <= now;
    const finished =
      state === 'verified' &&
      v.live?.result === 'match' &&
      (v.snapshot?.result === 'match' ||
        v.snapshot?.result === 'superseded' ||
        v.snapshot?.result === 'unavailable');
    if (finished || (overdue && state === 'verified')) {
      if (v.snapshot?.result === 'pending')
        v.snapshot = { result: 'unavailable', error: 'no snapshot arrived before the verification deadline' };
      set.verify_after_position = null;
      set.verify_next_at = null;
    }
    set.verification = v;
    if (state !== cur.state) {
      set.state = state;
      if (state === 'verified') set.verified_at = now;
    }
    const next = await updateProposal(tx, cur.id, set, now);
    if (state !== cur.state || (latest && state === 'verified' && latest.kind === 'snapshot')) {
      const data = {
        evidence: latest!.kind,
        source: latest!.check.source,
        ...(latest!.check.differences ? { differences: latest!.check.differences } : {}),
        ...(cur.state === 'mismatch' && state === 'verified' ? { resolved: true } : {}),
      };
      await deps.journal.write(
        tx,
        next,
        state === 'verified' ? 'verified' : 'mismatch',
        SYSTEM_ACTOR,
        data,
        now,
      );
      if (state === 'mismatch' && cur.state !== 'mismatch')
        deps.log.warn(
          {
            alert: 'proposal_mismatch',
            proposalId: cur.id,
            reference: `P-${cur.number}`,
            target: `${cur.resource}/${cur.target_key}`,
            legacyReference: cur.legacy_reference,
            differences: latest!.check.differences,
          },
          'proposal mismatch: the system of record does not show what the operator recorded as done',
        );
    }
    return next;
  });
}

/** Proposals with evidence waiting or a live read due. */
export async function dueVerifications(deps: ProposalDeps, limit = 100): Promise<string[]> {
  const r = await deps.store.query<{ id: string }>(
    `SELECT p.id FROM proposals p
      WHERE p.state = ANY($1::text[]) AND p.verify_after_position IS NOT NULL
        AND ((p.verify_next_at IS NOT NULL AND p.verify_next_at <= $2)
          OR (p.verify_due_at IS NOT NULL AND p.verify_due_at <= $2 AND p.state = 'verified')
          OR EXISTS (SELECT 1 FROM events e WHERE e.subject = p.resource || '/' || p.target_key
                       AND e.position > p.verify_after_position AND e.type NOT LIKE 'seam.%')
          OR EXISTS (SELECT 1 FROM events e WHERE e.type = ANY($3::text[])
                       AND e.position > p.verify_after_position))
      ORDER BY p.executed_at LIMIT $4`,
    [WATCHED, deps.now(), INGEST_APPLIED_TYPES, limit],
  );
  return r.rows.map((x) => x.id);
}

/** One pass over everything due; errors of one proposal do not stop the others. */
export async function runVerifications(deps: ProposalDeps): Promise<number> {
  let n = 0;
  for (const id of await dueVerifications(deps)) {
    try {
      await verifyProposal(deps, id);
      n++;
    } catch (err) {
      deps.log.error({ err, proposalId: id }, 'verification of a proposal failed; will retry');
    }
  }
  return n;
}
