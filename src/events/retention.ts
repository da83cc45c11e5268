/**
 * Retention: events older than the configured age leave the log, oldest first, archived to JSONL
 * files (mode `archive`) or just deleted (`prune`).
 *
 * Only a prefix of the log is ever removed, so the log stays the contiguous range
 * (pruned_through, head] and `pruned_through` tells readers exactly what is gone: a reader behind
 * it gets 410, never a page with a hole. The prefix stops at the first event young enough to keep
 * (positions follow commit order; `recorded_at` almost does, and stopping early only keeps more).
 *
 * Each batch is one transaction that locks the tail row first, so two processes running the job at
 * once take turns and never archive the same batch twice. The archive file of a batch is written and
 * fsynced before the delete commits: a crash in between leaves a file whose events are still in the
 * log, and the next run writes them again (files may overlap; positions identify events).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/types.ts';
import type { DbEvent } from './types.ts';
import { eventFromDb } from './types.ts';

/** Events removed per transaction: bounds lock time and memory. */
const BATCH = 5_000;
/** Webhook delivery attempts are kept this long for the delivery-state routes. */
export const DELIVERY_LOG_DAYS = 7;

export interface RetentionOptions {
  maxAgeMs?: number;
  mode: 'archive' | 'prune';
  archiveDir: string;
  now?: Date;
}

export interface RetentionResult {
  removed: number;
  /** Everything at or below this position is gone from the log. */
  prunedThrough: number;
  files: string[];
  deliveriesRemoved: number;
}

export async function runRetention(store: Store, opts: RetentionOptions): Promise<RetentionResult> {
  const now = opts.now ?? new Date();
  const result: RetentionResult = { removed: 0, prunedThrough: 0, files: [], deliveriesRemoved: 0 };
  if (opts.maxAgeMs !== undefined) {
    const cutoff = new Date(now.getTime() - opts.maxAgeMs);
    for (;;) {
      const batch = await store.transaction(async (tx) => {
        const tail = await tx.query<{ pruned_through: number }>(
          'SELECT pruned_through FROM event_log_tail FOR UPDATE',
        );
        const from = tail.rows[0]!.pruned_through;
        const rows = await tx.query<DbEvent>(
          'SELECT * FROM events WHERE position > $1 ORDER BY position LIMIT $2',
          [from, BATCH],
        );
        const old: DbEvent[] = [];
        for (const r of rows.rows) {
          if (r.recorded_at >= cutoff) break;
          old.push(r);
        }
        if (old.length === 0) return { removed: 0, through: from, more: false };
        const through = old[old.length - 1]!.position;
        if (opts.mode === 'archive') result.files.push(writeArchive(opts.archiveDir, old));
        await tx.query('DELETE FROM events WHERE position > $1 AND position <= $2', [from, through]);
        await tx.query('UPDATE event_log_tail SET pruned_through = $1, pruned_at = now()', [through]);
        return { removed: old.length, through, more: old.length === rows.rows.length };
      });
      result.removed += batch.removed;
      result.prunedThrough = batch.through;
      if (!batch.more) break;
    }
  } else {
    const tail = await store.query<{ pruned_through: number }>('SELECT pruned_through FROM event_log_tail');
    result.prunedThrough = tail.rows[0]!.pruned_through;
  }
  const d = await store.query('DELETE FROM webhook_deliveries WHERE attempted_at < $1', [
    new Date(now.getTime() - DELIVERY_LOG_DAYS * 86_400_000),
  ]);
  result.deliveriesRemoved = d.rowCount;
  return result;
}

/** One JSONL file per batch, CloudEvents one per line, written to a temp name, fsynced, renamed. */
function writeArchive(dir: string, events: DbEvent[]): string {
  fs.mkdirSync(dir, { recursive: true });
  const first = events[0]!.position;
  const last = events[events.length - 1]!.position;
  const pad = (n: number) => String(n).padStart(12, '0');
  const file = path.join(dir, `events-${pad(first)}-${pad(last)}.jsonl`);
  const tmp = `${file}.tmp`;
  const lines = events.map((e) =>
    JSON.stringify({ ...eventFromDb(e), recordedat: e.recorded_at.toISOString() }),
  );
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, lines.join('\n') + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return file;
}
