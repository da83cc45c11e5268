/**
 * The diffing half of `seam feed check` (./check.ts): the decisions applyStaged makes (created,
 * updated, deleted, unchanged), made by reading the current records only, in a transaction the
 * database keeps read-only.
 */
import type { Feed } from '../adapter/feed.ts';
import { canonicalJson } from '../records/repo.ts';
import type { Queryable, Store } from '../store/types.ts';
import { readAll } from './check-read.ts';
import { RowOp, type KeyedRows } from './check-rows.ts';
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

/** Keys per `= ANY($n)` query: bounded parameter size on both stores. */
const KEY_CHUNK = 5_000;

/** Run fn in a transaction the database itself keeps read-only. */
export function readOnly<T>(store: Store, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return store.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION READ ONLY');
    return fn(tx);
  });
}

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
  // The rows ingest would apply (good, not duplicated, not superseded), in line order, a chunk of
  // keys at a time.
  const part: number[] = [];
  const compare = async () => {
    const r = await tx.query<{ key: string; hash: string; live: boolean }>(
      `SELECT key, hash, deleted_at IS NULL AS live FROM records
        WHERE system = $1 AND resource = $2 AND key = ANY($3::text[])`,
      [...sr, part.map((i) => rows.key(i))],
    );
    const current = new Map(r.rows.map((x) => [x.key, x]));
    for (const i of part) {
      const key = rows.key(i);
      const cur = current.get(key);
      const isLive = cur?.live === true;
      if (rows.op(i) === RowOp.delete) {
        if (isLive) {
          d.deleted++;
          if (d.deletedKeys.length < limit) d.deletedKeys.push(key);
        } else d.deleteMissing++;
      } else if (!isLive) {
        d.created++;
        if (d.createdKeys.length < limit) d.createdKeys.push(key);
      } else if (!rows.hashIs(i, cur.hash)) {
        d.updated++;
        if (d.updates.length < limit) d.updates.push({ key, line: rows.line(i), changes: {} });
      } else d.unchanged++;
    }
    part.length = 0;
  };
  for (let i = 0; i < rows.length; i++) {
    const op = rows.op(i);
    if (op !== RowOp.upsert && op !== RowOp.delete) continue;
    part.push(i);
    if (part.length === KEY_CHUNK) await compare();
  }
  if (part.length > 0) await compare();
  if (feed.mode.kind === 'snapshot' && !holdDeletes) {
    // Every live record whose key is on no row of the file (good or bad) would be deleted.
    let after = '';
    for (;;) {
      const page = await tx.query<{ key: string }>(
        `SELECT key FROM records WHERE system = $1 AND resource = $2 AND deleted_at IS NULL AND key > $3
          ORDER BY key LIMIT ${KEY_CHUNK}`,
        [...sr, after],
      );
      for (const { key } of page.rows) {
        if (rows.has(key)) continue;
        d.deleted++;
        if (d.deletedKeys.length < limit) d.deletedKeys.push(key);
      }
      if (page.rows.length < KEY_CHUNK) break;
      after = page.rows[page.rows.length - 1]!.key;
    }
  }
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
