/**
 * Writing what a live read or a poll learned from the legacy system: each changed record is upserted
 * and its change event appended in the same transaction, so the store and the event log never
 * disagree. Unchanged records write nothing.
 */
import { appendEvents } from '../events/append.ts';
import type { NewEvent } from '../events/types.ts';
import type { Queryable, Store } from '../store/types.ts';
import { recordChangeEvent } from './events.ts';
import { changedFields, upsertRecord } from './repo.ts';
import type { StoredRecord } from './types.ts';

export interface LearnedRecord {
  key: string;
  data: Record<string, unknown>;
  /** When the legacy system said so. */
  at: Date;
  /** Legacy operation(s) that produced it (provenance). */
  operation: string;
}

export interface SyncTarget {
  system: string;
  resource: string;
  entity: string;
}

export interface SyncResult {
  created: number;
  updated: number;
  unchanged: number;
  /** The stored state of each record after the write, by key. */
  records: Map<string, StoredRecord>;
  positions: number[];
}

export async function syncRecordsIn(
  tx: Queryable,
  t: SyncTarget,
  learned: readonly LearnedRecord[],
): Promise<SyncResult> {
  const out: SyncResult = { created: 0, updated: 0, unchanged: 0, records: new Map(), positions: [] };
  const events: NewEvent[] = [];
  for (const r of learned) {
    const u = await upsertRecord(tx, {
      system: t.system,
      resource: t.resource,
      key: r.key,
      data: r.data,
      source: 'soap',
      sourceRef: r.operation,
      asOf: r.at,
    });
    out.records.set(r.key, u.record);
    if (u.change === 'unchanged') {
      out.unchanged++;
      continue;
    }
    out[u.change]++;
    events.push(
      recordChangeEvent({
        ...t,
        key: r.key,
        change: u.change,
        ...(u.change === 'updated' && u.before ? { changes: changedFields(u.before, r.data) } : {}),
        after: r.data,
        provenance: { via: 'soap', operation: r.operation },
        time: r.at,
      }),
    );
  }
  // Events last, just before commit: the event-log head lock is held only briefly.
  out.positions = await appendEvents(tx, events);
  return out;
}

export function syncRecords(
  store: Store,
  t: SyncTarget,
  learned: readonly LearnedRecord[],
): Promise<SyncResult> {
  return store.transaction((tx) => syncRecordsIn(tx, t, learned));
}
