/**
 * Dry run of one feed file (`seam feed check`): read, validate and diff it exactly as ingest would,
 * with the same readers, row processor and feed declaration, and say what ingest would decide.
 * Nothing is written: rows go to memory (in columns, ./check-rows.ts) instead of a staging table,
 * the store is only read (in a READ ONLY transaction, so the database itself refuses any write), the
 * ledger is only consulted, and the file is never moved. Sample files may live anywhere, not only in
 * the drop folder.
 */
import path from 'node:path';
import type { Feed } from '../adapter/feed.ts';
import type { Queryable, Store } from '../store/types.ts';
import { diffRows, fillUpdates, readOnly, type RecordDiff } from './check-diff.ts';
import {
  ControlTap,
  MemorySink,
  controlChecks,
  readAll,
  type BadRow,
  type ControlCheck,
} from './check-read.ts';
import { RowOp } from './check-rows.ts';
import { FileRejected } from './errors.ts';
import { matchName, type NameMatch } from './files.ts';
import type { SystemFeed } from './ingest.ts';
import { appliedByName, appliedBySha, latestApplied } from './ledger.ts';
import { hashFile } from './reader.ts';

export type { BadRow, ControlCheck, RecordDiff };

export interface CheckOptions {
  file: string;
  feed: SystemFeed;
  /** The store to diff against and consult the ledger of; undefined: report the read part only. */
  store?: Store | undefined;
  /** Why there is no store (said in the report). */
  noStore?: { status: 'none' | 'unavailable'; message: string };
  /** Default bad-row share (SEAM_INGEST_MAX_BAD_SHARE); the feed's own wins. */
  maxBadShare: number;
  maxLineChars: number;
  /** Bad rows, updates and deletions listed at most. */
  limit: number;
  /** Normalised records shown. */
  sample: number;
}

export interface Verdict {
  /** What ingest would do with the file: `applied` is the only status that changes records. */
  status: 'applied' | 'rejected' | 'flagged' | 'duplicate';
  reasonCode?: string;
  reason?: string;
  details?: Record<string, unknown>;
}

export interface CheckReport {
  file: string;
  fileName: string;
  bytes: number;
  sha256: string;
  feed: {
    name: string;
    system: string;
    resource: string;
    key: string;
    mode: 'snapshot' | 'delta';
    format: 'csv' | 'fixed';
    pattern: string;
  };
  name: { matches: boolean; businessDate: string | null; problem?: { code: string; message: string } };
  encoding: string;
  compression: 'none' | 'gzip';
  /** False when a whole-file problem stopped the read (the figures cover the lines before it). */
  readComplete: boolean;
  control: {
    header: Record<string, string> | null;
    trailer: Record<string, string> | null;
    trailerLine: number | null;
    checks: ControlCheck[];
    problem?: { code: string; message: string };
  };
  rows: { read: number; valid: number; bad: number; duplicateKeys: number; superseded: number };
  badRowPolicy: { share: number; maxShare: number };
  badRows: BadRow[];
  operations?: { insert: number; update: number; delete: number };
  records: Record<string, unknown>[];
  /** `none`/`unavailable`: no store to read; `not_diffed`: the file stopped early. */
  store: {
    status: 'compared' | 'empty' | 'not_set_up' | 'not_diffed' | 'none' | 'unavailable';
    message: string;
  };
  diff?: RecordDiff;
  ledger?: { duplicateOf: string | null; nameAppliedBefore: string | null; newerApplied: string | null };
  verdict: Verdict;
  /** Checks ingest makes that this run could not (no store, or the read stopped early). */
  notChecked: string[];
}

/** Dry-run one file through the feed. Throws only for I/O or database failures. */
export async function checkFile(o: CheckOptions): Promise<CheckReport> {
  const { feed } = o;
  const fileName = path.basename(o.file);
  const { sha256, bytes } = await hashFile(o.file);
  const notChecked: string[] = [];
  const problems: Verdict[] = [];
  const reject = (e: FileRejected, status: Verdict['status'] = 'rejected') =>
    problems.push({ status, reasonCode: e.code, reason: e.message, details: e.details });

  let match: NameMatch | undefined;
  let nameProblem: FileRejected | undefined;
  try {
    match = matchName([feed], fileName);
    if (!match)
      nameProblem = new FileRejected(
        'name_not_in_pattern',
        `${fileName} does not match the pattern of feed ${feed.name} (${feed.pattern.source})`,
      );
  } catch (err) {
    if (!(err instanceof FileRejected)) throw err;
    nameProblem = err;
  }
  if (nameProblem) reject(nameProblem);
  // Without a business date from the name the header's date has nothing to be compared with.
  const readFeed: Feed =
    match || !feed.control.headerBusinessDate
      ? feed
      : { ...feed, control: { ...feed.control, headerBusinessDate: undefined } };
  if (!match && feed.control.headerBusinessDate)
    notChecked.push('header business date (the name has no date)');

  let ledger: CheckReport['ledger'];
  let setUp: { records: boolean; ledger: boolean } | undefined;
  if (o.store) {
    setUp = await readOnly(o.store, async (tx) => {
      const r = await tx.query<{ records: boolean; ledger: boolean }>(
        `SELECT to_regclass('records') IS NOT NULL AS records, to_regclass('ingest_files') IS NOT NULL AS ledger`,
      );
      return r.rows[0]!;
    });
    if (setUp.ledger) {
      const found = await readOnly(o.store, (tx) => consultLedger(tx, feed, fileName, sha256, match));
      ledger = found.ledger;
      if (found.refusal) reject(found.refusal.why, found.refusal.status);
    }
  }
  if (!ledger) notChecked.push('ledger (duplicate content, reused name, out of order)');
  if (bytes === 0) reject(new FileRejected('empty_file', 'file is empty (0 bytes)'));

  const sink = new MemorySink(o.limit, o.sample);
  const tap = new ControlTap(feed);
  const { processor, stopped } = await readAll(
    o.file,
    readFeed,
    match?.businessDate ?? '',
    sink,
    tap,
    o.maxLineChars,
  );
  if (stopped) reject(stopped);
  let finished: FileRejected | 'passed' | 'not_reached' = 'not_reached';
  if (!stopped) {
    try {
      processor.finish();
      finished = 'passed';
    } catch (err) {
      if (!(err instanceof FileRejected)) throw err;
      finished = err;
      reject(err);
    }
  }
  const checks = controlChecks(feed, tap.trailer, processor.counts.total, finished);
  if (feed.control.headerBusinessDate && match)
    checks.unshift({
      check: 'header_date',
      field: feed.control.headerBusinessDate,
      declared: tap.header?.[feed.control.headerBusinessDate] ?? null,
      actual: match.businessDate.replaceAll('-', ''),
      ok: stopped?.code === 'header_date_mismatch' ? false : tap.header ? true : null,
    });

  // What prepareStaging does to the staged rows: a snapshot key on two rows (good or bad) makes the
  // good ones bad too; in a delta only the last operation per key counts.
  const kept = sink.rows;
  const { duplicates: duplicateKeys, superseded } = kept.markRepeats(feed.mode.kind);
  if (duplicateKeys > 0) {
    // Only the first bad rows are listed: the first duplicates (in line order) are all that can be.
    for (let i = 0, listed = 0; i < kept.length && listed < o.limit; i++) {
      if (kept.op(i) !== RowOp.duplicate) continue;
      const key = kept.key(i);
      sink.bad.push({
        line: kept.line(i),
        key,
        code: 'duplicate_key',
        field: feed.key,
        reason: `key ${key} appears on more than one row of the file`,
      });
      listed++;
    }
    sink.bad.sort((a, b) => a.line - b.line);
    sink.bad.length = Math.min(sink.bad.length, o.limit);
  }
  const counts = processor.counts;
  const rows = {
    read: counts.total,
    valid: counts.valid - duplicateKeys,
    bad: counts.bad + duplicateKeys,
    duplicateKeys,
    superseded,
  };
  const maxShare = feed.badRows.maxShare ?? o.maxBadShare;
  const share = rows.bad / Math.max(1, rows.read);
  if (!stopped && finished === 'passed') {
    if (rows.read === 0 && feed.mode.kind === 'snapshot' && !feed.allowEmpty)
      reject(new FileRejected('no_rows', 'snapshot has no rows: it would delete every record', {}));
    else if (rows.bad > 0 && share > maxShare)
      reject(
        new FileRejected(
          'too_many_bad_rows',
          `${rows.bad} of ${rows.read} rows are bad (${(share * 100).toFixed(2)}%), more than the ${(maxShare * 100).toFixed(2)}% allowed`,
          { bad: rows.bad, total: rows.read, maxShare },
        ),
      );
  }

  let storeStatus: CheckReport['store'];
  let diff: RecordDiff | undefined;
  if (!o.store) storeStatus = o.noStore ?? { status: 'none', message: 'no store to compare with' };
  else if (!setUp?.records) {
    storeStatus = {
      status: 'not_set_up',
      message: 'the store has no records table yet (run `seam migrate`)',
    };
    notChecked.push('diff against the store', 'mass-deletion guard');
  } else if (stopped) {
    storeStatus = { status: 'not_diffed', message: 'not diffed: the file could not be read to the end' };
    notChecked.push('diff against the store', 'mass-deletion guard');
  } else {
    const holdDeletes = feed.mode.kind === 'snapshot' && counts.badWithoutKey > 0;
    const found = await readOnly(o.store, (tx) => diffRows(tx, feed, kept, holdDeletes, o.limit));
    diff = found.diff;
    if (diff.updates.length > 0)
      await fillUpdates(o.file, o.maxLineChars, readFeed, match?.businessDate ?? '', diff, found.before);
    storeStatus =
      diff.live === 0
        ? { status: 'empty', message: `the store has no ${feed.target.resource} records yet` }
        : { status: 'compared', message: `compared with ${diff.live} live ${feed.target.resource} records` };
    if (feed.mode.kind === 'snapshot' && feed.maxDeleteShare !== undefined && diff.deleted > 0) {
      const s = diff.deleted / Math.max(1, diff.live);
      if (s > feed.maxDeleteShare)
        reject(
          new FileRejected(
            'too_many_deletes',
            `snapshot would delete ${diff.deleted} of ${diff.live} live records (${(s * 100).toFixed(1)}%), more than the feed allows (${(feed.maxDeleteShare * 100).toFixed(1)}%)`,
            { deleted: diff.deleted, live: diff.live, maxDeleteShare: feed.maxDeleteShare },
          ),
        );
    }
  }
  if (!o.store) notChecked.push('diff against the store', 'mass-deletion guard');

  return {
    file: o.file,
    fileName,
    bytes,
    sha256,
    feed: {
      name: feed.name,
      system: feed.system,
      resource: feed.target.resource,
      key: feed.key,
      mode: feed.mode.kind,
      format: feed.format.kind,
      pattern: feed.pattern.source,
    },
    name: {
      matches: match !== undefined,
      businessDate: match?.businessDate ?? null,
      ...(nameProblem ? { problem: { code: nameProblem.code, message: nameProblem.message } } : {}),
    },
    encoding: feed.encoding,
    compression: feed.compression,
    readComplete: !stopped,
    control: {
      header: tap.header,
      trailer: tap.trailer,
      trailerLine: tap.trailerLine,
      checks,
      ...(finished instanceof FileRejected
        ? { problem: { code: finished.code, message: finished.message } }
        : {}),
    },
    rows,
    badRowPolicy: { share, maxShare },
    badRows: sink.bad,
    ...(feed.mode.kind === 'delta' ? { operations: sink.ops } : {}),
    records: sink.sample,
    store: storeStatus,
    ...(diff ? { diff } : {}),
    ...(ledger ? { ledger } : {}),
    // Ingest stops at the first refusal, in this order: name, ledger, size, read, control, policy, deletes.
    verdict: problems[0] ?? { status: 'applied' },
    notChecked,
  };
}

/** Ingest's ledger checks, in its order: same content applied, same name applied, a newer file applied. */
async function consultLedger(
  tx: Queryable,
  feed: SystemFeed,
  fileName: string,
  sha256: string,
  match: NameMatch | undefined,
): Promise<{
  ledger: NonNullable<CheckReport['ledger']>;
  refusal?: { why: FileRejected; status: 'duplicate' | 'flagged' };
}> {
  const dup = await appliedBySha(tx, sha256);
  const sameName = await appliedByName(tx, feed.name, fileName);
  const latest = await latestApplied(tx, feed.name);
  const newer =
    match && latest?.business_at && latest.business_at.getTime() > match.businessAt.getTime()
      ? latest
      : undefined;
  const ledger = {
    duplicateOf: dup?.file_name ?? null,
    nameAppliedBefore: sameName?.finished_at.toISOString() ?? null,
    newerApplied: newer?.file_name ?? null,
  };
  if (dup)
    return {
      ledger,
      refusal: {
        status: 'duplicate',
        why: new FileRejected('duplicate_content', `same content as ${dup.file_name}, already applied`, {
          duplicateOf: dup.id,
          duplicateOfName: dup.file_name,
        }),
      },
    };
  if (sameName)
    return {
      ledger,
      refusal: {
        status: 'flagged',
        why: new FileRejected(
          'name_reused',
          `${fileName} was already applied with different content (sha256 ${sameName.sha256}); not merged`,
          { appliedId: sameName.id },
        ),
      },
    };
  if (newer && match)
    return {
      ledger,
      refusal: {
        status: 'flagged',
        why: new FileRejected(
          'out_of_order',
          `${fileName} (business date ${match.businessDate}) is older than ${newer.file_name}, already applied; not applied over it`,
          { newerId: newer.id, newerName: newer.file_name },
        ),
      },
    };
  return { ledger };
}
