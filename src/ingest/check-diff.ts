/**
 * The diffing half of `seam feed check` (./check.ts): the decisions applyStaged makes (created,
 * updated, deleted, unchanged), made by reading the current records only, in a transaction the
 * database keeps read-only.
 */
import type { Feed } from '../adapter/feed.ts';
import { canonicalJson } from '../records/repo.ts';
import type { Queryable, Store } from '../store/types.ts';
import { readAll } from './check-read.ts';
import { NO_ROW, RowOp, type KeyedRows } from './check-rows.ts';
import type { ApplyCounts } from './apply.ts';
import type { SystemFeed } from './ingest.ts';
import type { StageSink } from './rows.ts';

/** What applying would count (the same counts as ingest's apply), with the keys behind them. */
export interface RecordDiff extends Omit<ApplyCounts, 'firstPosition' | 'lastPosition'> {
  live: number;
  createdKeys: string[];
  updates: { key: string; line: number; changes: Record<string, { before: unknown; after: unknown }> }[];
  deletedKeys: string[];
}

/** Keys per `= ANY($n)` query (bounded parameter size on both stores), records per page. */
const KEY_CHUNK = 5_000;

/** Run fn in a transaction the database itself keeps read-only. */
export function readOnly<T>(store: Store, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return store.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION READ ONLY');
    return fn(tx);
  });
}

/** What the store holds for a row of the file that ingest would apply. */
const Stored = { none: 0, same: 1, changed: 2 } as const;

/** The same decisions as applyStaged, made by reading the records only. */
export async function diffRows(
  tx: Queryable,
  feed: SystemFeed,
  rows: KeyedRows,
  holdDeletes: boolean,
  limit: number,
): Promise<{ diff: RecordDiff; before: Map<string, Record<string, unknown>> }> {
  const sr = [feed.system, feed.target.resource];
  const live = (
    await tx.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM records WHERE system = $1 AND resource = $2 AND deleted_at IS NULL',
      sr,
    )
  ).rows[0]!.n;
  const d: RecordDiff = {
    live,
    created: 0,
    updated: 0,
    deleted: 0,
    unchanged: 0,
    deleteMissing: 0,
    deletesHeldBack: holdDeletes,
    createdKeys: [],
    updates: [],
    deletedKeys: [],
  };
  // Per row of the file: whether a live record has its key, and the same hash.
  const stored = new Uint8Array(rows.length);
  const mark = (i: number, hash: string) => (stored[i] = rows.hashIs(i, hash) ? Stored.same : Stored.changed);
  const gone: string[] = [];
  let goneCount = 0;
  if (feed.mode.kind === 'snapshot') {
    // A snapshot is compared with every live record anyway (those no row names are deleted): one
    // walk through them in key order, a page at a time, on the index of live records. (Looking the
    // file's keys up instead, `key = ANY(...)` in chunks, got a plan that read the whole resource per
    // chunk on the statistics of a freshly loaded table: 46 s for 800k rows.)
    let after = '';
    for (;;) {
      const page = await tx.query<{ key: string; hash: string }>(
        `SELECT key, hash FROM records WHERE system = $1 AND resource = $2 AND deleted_at IS NULL AND key > $3
          ORDER BY key LIMIT ${KEY_CHUNK}`,
        [...sr, after],
      );
      for (const { key, hash } of page.rows) {
        const i = rows.find(key);
        if (i >= 0) mark(i, hash);
        else if (i === NO_ROW && !holdDeletes) {
          // Every live record whose key is on no row of the file (good or bad) would be deleted.
          goneCount++;
          if (gone.length < limit) gone.push(key);
        }
      }
      if (page.rows.length < KEY_CHUNK) break;
      after = page.rows[page.rows.length - 1]!.key;
    }
  } else {
    // A delta names few keys: look them up, a chunk at a time.
    const part: number[] = [];
    const lookUp = async () => {
      const r = await tx.query<{ key: string; hash: string }>(
        `SELECT key, hash FROM records
          WHERE system = $1 AND resource = $2 AND key = ANY($3::text[]) AND deleted_at IS NULL`,
        [...sr, part.map((i) => rows.key(i))],
      );
      const current = new Map(r.rows.map((x) => [x.key, x.hash]));
      for (const i of part) {
        const hash = current.get(rows.key(i));
        if (hash !== undefined) mark(i, hash);
      }
      part.length = 0;
    };
    for (let i = 0; i < rows.length; i++) {
      if (!rows.applies(i)) continue;
      part.push(i);
      if (part.length === KEY_CHUNK) await lookUp();
    }
    if (part.length > 0) await lookUp();
  }
  // The rows ingest would apply, in line order, then the snapshot's deletions in key order.
  for (let i = 0; i < rows.length; i++) {
    if (!rows.applies(i)) continue;
    const key = rows.key(i);
    if (rows.op(i) === RowOp.delete) {
      if (stored[i] !== Stored.none) {
        d.deleted++;
        if (d.deletedKeys.length < limit) d.deletedKeys.push(key);
      } else d.deleteMissing++;
    } else if (stored[i] === Stored.none) {
      d.created++;
      if (d.createdKeys.length < limit) d.createdKeys.push(key);
    } else if (stored[i] === Stored.changed) {
      d.updated++;
      if (d.updates.length < limit) d.updates.push({ key, line: rows.line(i), changes: {} });
    } else d.unchanged++;
  }
  d.deleted += goneCount;
  d.deletedKeys.push(...gone.slice(0, limit - d.deletedKeys.length));
  const before = new Map<string, Record<string, unknown>>();
  if (d.updates.length > 0) {
    const r = await tx.query<{ key: string; data: Record<string, unknown> }>(
      'SELECT key, data FROM records WHERE system = $1 AND resource = $2 AND key = ANY($3::text[])',
      [...sr, d.updates.map((u) => u.key)],
    );
    for (const x of r.rows) before.set(x.key, x.data);
  }
  return { diff: d, before };
}

/**
 * The changed fields of the first updates. Only keys and hashes were kept from the first read, so
 * the few new records are read again from the file (memory stays flat for big files).
 */
export async function fillUpdates(
  file: string,
  maxLineChars: number,
  feed: Feed,
  businessDate: string,
  diff: RecordDiff,
  before: Map<string, Record<string, unknown>>,
): Promise<void> {
  const wanted = new Map(diff.updates.map((u) => [u.line, u]));
  const after = new Map<number, Record<string, unknown>>();
  const sink: StageSink = {
    add(row) {
      if (row.status === 'ok' && wanted.has(row.line))
        after.set(row.line, JSON.parse(row.data!) as Record<string, unknown>);
    },
  };
  await readAll(file, feed, businessDate, sink, undefined, maxLineChars);
  for (const u of diff.updates) {
    const was = before.get(u.key) ?? {};
    const now = after.get(u.line) ?? {};
    for (const k of new Set([...Object.keys(was), ...Object.keys(now)]))
      if (canonicalJson(was[k] ?? null) !== canonicalJson(now[k] ?? null))
        u.changes[k] = { before: was[k] ?? null, after: now[k] ?? null };
  }
}
