/**
 * Append entries to the chain inside the caller's transaction. The audit_head row lock serialises
 * appenders across processes: each takes the head, chains its batch onto it and moves it, so `seq`
 * is gap-free and every row's prev_hash is the row before it. Callers append last, just before
 * commit, to hold the lock briefly.
 */
import { notify } from '../store/notify.ts';
import type { Queryable } from '../store/types.ts';
import { entryHash } from './chain.ts';
import type { PreparedEntry } from './types.ts';

/** NOTIFY channel carrying the newest seq (for live views). */
export const AUDIT_CHANNEL = 'seam_audit';

/** Rows per INSERT statement. */
const CHUNK = 2000;

export async function appendEntries(tx: Queryable, entries: readonly PreparedEntry[]): Promise<number[]> {
  if (entries.length === 0) return [];
  const head = await tx.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_head WHERE id FOR UPDATE',
  );
  let { seq, hash } = head.rows[0]!;
  const seqs: number[] = [];
  const hashes: string[] = [];
  const prevs: string[] = [];
  for (const e of entries) {
    seq += 1;
    prevs.push(hash);
    hash = entryHash(hash, seq, e);
    seqs.push(seq);
    hashes.push(hash);
  }
  for (let start = 0; start < entries.length; start += CHUNK) {
    const s = entries.slice(start, start + CHUNK);
    const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
    await tx.query(
      `INSERT INTO audit_log (seq, at, actor_kind, actor_id, actor_name, action, records, input, decision,
                              reason, status, result, request_id, prev_hash, hash)
       SELECT t.seq, t.at, t.actor_kind, t.actor_id, t.actor_name, t.action,
              ARRAY(SELECT jsonb_array_elements_text(t.records)), t.input, t.decision, t.reason, t.status,
              t.result, t.request_id, t.prev_hash, t.hash
         FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::jsonb[], $8::jsonb[], $9::text[], $10::text[], $11::int[], $12::jsonb[],
                     $13::text[], $14::text[], $15::text[])
           AS t(seq, at, actor_kind, actor_id, actor_name, action, records, input, decision, reason,
                status, result, request_id, prev_hash, hash)`,
      [
        seqs.slice(start, start + CHUNK),
        s.map((e) => e.at.toISOString()),
        s.map((e) => e.actorKind),
        s.map((e) => e.actorId),
        s.map((e) => e.actorName),
        s.map((e) => e.action),
        s.map((e) => JSON.stringify(e.records)),
        s.map((e) => json(e.input)),
        s.map((e) => e.decision),
        s.map((e) => e.reason),
        s.map((e) => e.status),
        s.map((e) => json(e.result)),
        s.map((e) => e.requestId),
        prevs.slice(start, start + CHUNK),
        hashes.slice(start, start + CHUNK),
      ],
    );
  }
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id', [seq, hash]);
  await notify(tx, AUDIT_CHANNEL, String(seq));
  return seqs;
}
