/**
 * Appending to the event log, inside the caller's transaction (records and their events commit
 * together).
 *
 * Positions must never let a reader miss an event. A plain sequence fails: a writer that took
 * position 5 may commit after one that took 6, and a reader that already moved past 6 never sees 5.
 * So positions come from one counter row whose row lock each writer holds until it commits: writers
 * that append events serialise on that lock, and positions become visible strictly in order with no
 * gaps. Bulk writers (ingest) append their events last, just before commit, to hold it briefly.
 *
 * Considered and not taken: parallel writers with a sequence plus a visibility rule (readers only
 * see positions below the oldest running transaction, via pg_snapshot_xmin). It lets writers
 * overlap, but positions get gaps (rollbacks), every reader must compute the watermark, and one
 * long transaction anywhere in the database holds back every reader. Appends are short (the lock is
 * held from append to commit), so serialising them costs little and keeps positions exact: a reader
 * can tell "nothing yet" from "something missing" by arithmetic, which retention's 410 relies on.
 */
import { notify } from '../store/notify.ts';
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../store/types.ts';
import type { NewEvent } from './types.ts';

/** NOTIFY channel carrying the last appended position; readers in every process wake on it. */
export const EVENTS_CHANNEL = 'seam_events';

/** Rows per INSERT: keeps each statement's parameter arrays a sensible size for huge ingests. */
const CHUNK = 5000;

export async function appendEvents(tx: Queryable, events: readonly NewEvent[]): Promise<number[]> {
  if (events.length === 0) return [];
  const head = await tx.query<{ last_position: number }>(
    'UPDATE event_log_head SET last_position = last_position + $1 RETURNING last_position',
    [events.length],
  );
  const last = head.rows[0]!.last_position;
  const first = last - events.length + 1;
  const positions = events.map((_, i) => first + i);
  for (let start = 0; start < events.length; start += CHUNK) {
    const slice = events.slice(start, start + CHUNK);
    const now = new Date();
    await tx.query(
      `INSERT INTO events (position, id, source, type, subject, time, data, aggregate_type, aggregate_id)
       SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                            $7::jsonb[], $8::text[], $9::text[])`,
      [
        positions.slice(start, start + CHUNK),
        slice.map(() => randomUUID()),
        slice.map((e) => e.source),
        slice.map((e) => e.type),
        slice.map((e) => e.subject ?? null),
        slice.map((e) => (e.time ?? now).toISOString()),
        slice.map((e) => JSON.stringify(e.data)),
        slice.map((e) => e.aggregateType),
        slice.map((e) => e.aggregateId),
      ],
    );
  }
  await notify(tx, EVENTS_CHANNEL, String(last));
  return positions;
}
