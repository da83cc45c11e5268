/**
 * Ingesting one file, start to finish: path safety, feed and business date from the name, claim,
 * content hash, ledger checks (duplicate, reused name, out of order), streaming read into staging
 * with control records and row validation, bad-row policy, then one transaction that applies the
 * records, appends their events and writes the ledger row, and finally the move to archive/ or
 * failed/. A crash anywhere before the commit leaves nothing; after it, the next run finds the
 * ledger row and only finishes the move.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Feed } from '../adapter/feed.ts';
import { appendEvents } from '../events/append.ts';
import type { Logger } from '../log.ts';
import { PG_ERROR, sqlState, type Queryable, type Store } from '../store/types.ts';
import { applyStaged, prepareStaging, type ApplyCounts } from './apply.ts';
import { BUSY, withClaim } from './claim.ts';
import { FileRejected } from './errors.ts';
import { ARCHIVE, FAILED, checkPath, matchName, moveHandled, type NameMatch } from './files.ts';
import {
  appliedByName,
  appliedBySha,
  insertLedger,
  latestApplied,
  quarantineFromStaging,
  setMovedTo,
  type FileStatus,
  type LedgerEntry,
} from './ledger.ts';
import { hashFile, readRecords, type ReadStats } from './reader.ts';
import { RowProcessor } from './rows.ts';
import {
  copyStager,
  dropStaging,
  insertStager,
  mostlyUnchanged,
  stagingTable,
  type Stager,
} from './staging.ts';

/** A feed together with the system whose adapter declares it. */
export type SystemFeed = Feed & { system: string };

export interface IngestorOptions {
  store: Store;
  log: Logger;
  feeds: readonly SystemFeed[];
  dropDir: string;
  /** PostgreSQL URL for a COPY connection (fast staging); without it rows are inserted in batches. */
  copyUrl?: string;
  /** Default bad-row share above which a file is rejected (a feed may set its own). */
  maxBadShare: number;
  /** Longest record accepted, in characters. */
  maxLineChars: number;
}

export interface IngestOutcome {
  /** `busy`: another process holds the feed (try later). `gone`: the file vanished before it was read. */
  status: FileStatus | 'busy' | 'gone' | 'retry';
  fileId?: string;
  fileName: string;
  feed?: string;
  reasonCode?: string;
  reason?: string;
  details?: Record<string, unknown>;
  rows?: { total: number; valid: number; quarantined: number };
  changes?: { created: number; updated: number; deleted: number; unchanged: number };
  movedTo?: string;
  /** True when the file had already been applied and only its move was finished. */
  recovered?: boolean;
  durationMs?: number;
}

/** Bad rows kept for a rejected file (its counts stay exact; the sample shows what went wrong). */
const REJECTED_QUARANTINE_SAMPLE = 1000;

/** How far a file has got, for a progress bar: bytes of the file as stored (gzip: compressed). */
export interface IngestProgress {
  phase: 'reading' | 'applying';
  bytes: number;
  totalBytes: number;
  /** Records read so far. */
  rows: number;
}

export class Ingestor {
  private readonly handledBy = `${os.hostname()}:${process.pid}`;
  constructor(readonly opts: IngestorOptions) {}

  get feeds(): readonly SystemFeed[] {
    return this.opts.feeds;
  }

  /** Which feed a name belongs to (throws FileRejected for an impossible business date). */
  match(name: string): (NameMatch & { feed: SystemFeed }) | undefined {
    return matchName(this.opts.feeds, name) as (NameMatch & { feed: SystemFeed }) | undefined;
  }

  async ingest(
    file: string,
    opt: { feed?: string; onProgress?: (p: IngestProgress) => void } = {},
  ): Promise<IngestOutcome> {
    const startedAt = new Date();
    const t0 = performance.now();
    const { store } = this.opts;
    let name = file.split(/[\\/]/).pop() ?? file;
    let full: string;
    try {
      ({ name, full } = checkPath(this.opts.dropDir, file));
    } catch (err) {
      if (!(err instanceof FileRejected)) throw err;
      if (err.code === 'unreadable' && !fs.existsSync(file)) return { status: 'gone', fileName: name };
      // A symlink inside the folder is moved aside (the link, never its target); anything outside is
      // only recorded: seam does not touch files outside its drop folder.
      const move = err.code === 'symlink';
      return this.refuse({ name, startedAt, match: undefined, sha: null, size: null }, 'rejected', err, move);
    }

    let match: (NameMatch & { feed: SystemFeed }) | undefined;
    try {
      const feeds = opt.feed ? this.opts.feeds.filter((f) => f.name === opt.feed) : this.opts.feeds;
      if (opt.feed && feeds.length === 0) throw new Error(`no feed named ${opt.feed}`);
      match = matchName(feeds, name) as typeof match;
      if (!match)
        throw new FileRejected(
          'name_not_in_pattern',
          opt.feed
            ? `${name} does not match the pattern of feed ${opt.feed} (${feeds[0]!.pattern.source})`
            : `${name} matches no feed's file pattern`,
        );
    } catch (err) {
      if (!(err instanceof FileRejected)) throw err;
      return this.refuse({ name, startedAt, match: undefined, sha: null, size: null }, 'rejected', err, true);
    }

    const feed = match.feed;
    const m = match;
    const claimed = await withClaim(store, `${feed.system}:${feed.name}`, () =>
      this.ingestClaimed(full, name, m, startedAt, t0, opt.onProgress),
    );
    if (claimed === BUSY) return { status: 'busy', fileName: name, feed: feed.name };
    return claimed;
  }

  private async ingestClaimed(
    full: string,
    name: string,
    match: NameMatch & { feed: SystemFeed },
    startedAt: Date,
    t0: number,
    onProgress?: (p: IngestProgress) => void,
  ): Promise<IngestOutcome> {
    const { store, log } = this.opts;
    const feed = match.feed;
    // Another process may have finished this file while we waited for the claim.
    if (!fs.existsSync(full)) return { status: 'gone', fileName: name, feed: feed.name };
    const timings: Record<string, number> = {};
    const mark = (k: string, since: number) => (timings[k] = Math.round(performance.now() - since));

    const th = performance.now();
    const { sha256: sha, bytes: size } = await hashFile(full);
    mark('hashMs', th);
    const base = { name, startedAt, match, sha, size, timings };

    const done = await appliedBySha(store, sha);
    if (done) {
      if (done.file_name === name && done.feed === feed.name && done.moved_to === null) {
        // Applied by a run that died before moving the file: only the move is left to do.
        const movedTo = this.move(
          name,
          ARCHIVE,
          feed,
          { status: 'applied', ledgerId: done.id, sha256: sha },
          done.id,
        );
        await setMovedTo(store, done.id, movedTo);
        log.info(
          { file: name, feed: feed.name, fileId: done.id },
          'file was already applied; finished its move',
        );
        return {
          status: 'applied',
          fileId: done.id,
          fileName: name,
          feed: feed.name,
          movedTo,
          recovered: true,
        };
      }
      return this.refuse(
        base,
        'duplicate',
        new FileRejected('duplicate_content', `same content as ${done.file_name}, already applied`, {
          duplicateOf: done.id,
          duplicateOfName: done.file_name,
        }),
        true,
        done.id,
      );
    }
    const sameName = await appliedByName(store, feed.name, name);
    if (sameName)
      return this.refuse(
        base,
        'flagged',
        new FileRejected(
          'name_reused',
          `${name} was already applied with different content (sha256 ${sameName.sha256}); not merged`,
          { appliedId: sameName.id, appliedSha256: sameName.sha256 },
        ),
        true,
      );
    const latest = await latestApplied(store, feed.name);
    if (latest?.business_at && latest.business_at.getTime() > match.businessAt.getTime())
      return this.refuse(
        base,
        'flagged',
        new FileRejected(
          'out_of_order',
          `${name} (business date ${match.businessDate}) is older than ${latest.file_name}, already applied; not applied over it`,
          { newerId: latest.id, newerName: latest.file_name, newerBusinessDate: latest.business_date },
        ),
        true,
      );
    if (size === 0)
      return this.refuse(base, 'rejected', new FileRejected('empty_file', 'file is empty (0 bytes)'), true);

    log.info({ file: name, feed: feed.name, sha256: sha, bytes: size }, 'reading file');
    const table = stagingTable(feed.system, feed.name);
    let stager: Stager | undefined;
    let processor: RowProcessor | undefined;
    try {
      const ts = performance.now();
      stager =
        store.kind === 'postgres' && this.opts.copyUrl
          ? await copyStager(
              this.opts.copyUrl,
              store.schema,
              table,
              (await mostlyUnchanged(store, feed.mode.kind, feed.system, feed.target.resource))
                ? 'text'
                : 'jsonb',
            )
          : await insertStager(store, table);
      const proc = (processor = new RowProcessor(feed, match.businessDate, stager));
      const stats: ReadStats = { bytes: 0, sha256: '' };
      try {
        let rows = 0;
        for await (const batch of readRecords(full, feed, { maxLineChars: this.opts.maxLineChars }, stats)) {
          await proc.consume(batch);
          rows += batch.length;
          onProgress?.({ phase: 'reading', bytes: stats.bytes, totalBytes: size, rows });
        }
        onProgress?.({ phase: 'applying', bytes: size, totalBytes: size, rows });
      } catch (err) {
        await stager.abort();
        throw err;
      }
      mark('parseMs', ts);
      const tf = performance.now();
      await stager.finish();
      mark('stageFinishMs', tf);
      // Control records are checked with the rows staged, so a rejected file still shows its bad rows.
      proc.finish();
      if (stats.sha256 !== sha) {
        log.warn({ file: name, feed: feed.name }, 'file changed while it was read; will try again');
        return { status: 'retry', fileName: name, feed: feed.name, reason: 'file changed while it was read' };
      }
      const tp = performance.now();
      const { duplicates } = await prepareStaging(store, table, feed.mode.kind, feed.key);
      mark('prepareMs', tp);
      mark('readMs', ts);
      const counts = proc.counts;
      const rows = {
        total: counts.total,
        valid: counts.valid - duplicates,
        quarantined: counts.bad + duplicates,
      };
      if (rows.total === 0 && feed.mode.kind === 'snapshot' && !feed.allowEmpty)
        throw new FileRejected('no_rows', 'snapshot has no rows: it would delete every record', {});
      const maxShare = feed.badRows.maxShare ?? this.opts.maxBadShare;
      if (rows.quarantined > 0 && rows.quarantined / Math.max(1, rows.total) > maxShare)
        throw new FileRejected(
          'too_many_bad_rows',
          `${rows.quarantined} of ${rows.total} rows are bad (${((rows.quarantined / rows.total) * 100).toFixed(2)}%), ` +
            `more than the ${(maxShare * 100).toFixed(2)}% allowed`,
          { bad: rows.quarantined, total: rows.total, maxShare },
        );

      log.info({ file: name, feed: feed.name, rows, timings }, 'file read and staged; applying');
      const ta = performance.now();
      const id = randomUUID();
      const holdDeletes = feed.mode.kind === 'snapshot' && counts.badWithoutKey > 0;
      let applied: ApplyCounts;
      try {
        applied = await store.transaction(async (tx) => {
          const c = await applyStaged(
            tx,
            table,
            {
              system: feed.system,
              resource: feed.target.resource,
              entity: feed.target.entity,
              feed: feed.name,
              mode: feed.mode.kind,
              keyField: feed.key,
              fileName: name,
              businessDate: match.businessDate,
              asOf: match.businessAt,
              ...(feed.maxDeleteShare !== undefined ? { maxDeleteShare: feed.maxDeleteShare } : {}),
            },
            {
              holdDeletes,
              timings,
              // Every good row of a snapshot is an upsert (duplicates were made bad above).
              ...(feed.mode.kind === 'snapshot' ? { upserts: rows.valid } : {}),
            },
          );
          timings.applyMs = Math.round(performance.now() - ta);
          const entry: LedgerEntry = {
            id,
            system: feed.system,
            feed: feed.name,
            fileName: name,
            sha256: sha,
            sizeBytes: size,
            businessDate: match.businessDate,
            businessAt: match.businessAt,
            status: 'applied',
            details: {
              ...(holdDeletes ? { deletesHeldBack: true, badRowsWithoutKey: counts.badWithoutKey } : {}),
              ...(c.deleteMissing ? { deletesOfMissingRecords: c.deleteMissing } : {}),
              ...(c.firstPosition !== null
                ? { events: { first: c.firstPosition, last: c.lastPosition } }
                : {}),
            },
            rows,
            changes: { created: c.created, updated: c.updated, deleted: c.deleted, unchanged: c.unchanged },
            startedAt,
            timings: { ...timings, totalMs: Math.round(performance.now() - t0) },
            handledBy: this.handledBy,
          };
          await insertLedger(tx, entry);
          if (rows.quarantined > 0) await quarantineFromStaging(tx, table, id, feed.name, null);
          await this.outcomeEvent(tx, entry);
          return c;
        });
      } catch (err) {
        if (sqlState(err) === PG_ERROR.unique_violation) {
          const other = await appliedBySha(store, sha);
          if (other)
            return await this.refuse(
              base,
              'duplicate',
              new FileRejected('duplicate_content', `same content as ${other.file_name}, applied meanwhile`, {
                duplicateOf: other.id,
              }),
              true,
              other.id,
            );
        }
        throw err;
      }
      const movedTo = this.move(
        name,
        ARCHIVE,
        feed,
        {
          status: 'applied',
          ledgerId: id,
          sha256: sha,
          rows,
          changes: {
            created: applied.created,
            updated: applied.updated,
            deleted: applied.deleted,
            unchanged: applied.unchanged,
          },
        },
        id,
      );
      await setMovedTo(store, id, movedTo);
      const outcome: IngestOutcome = {
        status: 'applied',
        fileId: id,
        fileName: name,
        feed: feed.name,
        rows,
        changes: {
          created: applied.created,
          updated: applied.updated,
          deleted: applied.deleted,
          unchanged: applied.unchanged,
        },
        movedTo,
        durationMs: Math.round(performance.now() - t0),
        ...(holdDeletes
          ? { details: { deletesHeldBack: true, badRowsWithoutKey: counts.badWithoutKey } }
          : {}),
      };
      log.info(
        { file: name, feed: feed.name, fileId: id, rows, changes: outcome.changes, timings },
        'file applied',
      );
      return outcome;
    } catch (err) {
      if (!(err instanceof FileRejected)) throw err;
      const c = processor?.counts;
      return await this.refuse(
        {
          ...base,
          rows: c ? { total: c.total, valid: c.valid, quarantined: c.bad } : undefined,
          quarantineFrom: stager && processor ? table : undefined,
        },
        'rejected',
        err,
        true,
      );
    } finally {
      await dropStaging(store, table).catch((err: unknown) =>
        log.warn({ err, table }, 'could not drop staging table'),
      );
    }
  }

  /** Record a file that is not applied (ledger row + outcome event), and move it aside. */
  private async refuse(
    b: {
      name: string;
      startedAt: Date;
      match: NameMatch | undefined;
      sha: string | null;
      size: number | null;
      timings?: Record<string, number>;
      rows?: { total: number; valid: number; quarantined: number } | undefined;
      quarantineFrom?: string | undefined;
    },
    status: 'rejected' | 'flagged' | 'duplicate',
    why: FileRejected,
    move: boolean,
    duplicateOf?: string,
  ): Promise<IngestOutcome> {
    const { store, log } = this.opts;
    const feed = b.match?.feed as SystemFeed | undefined;
    const id = randomUUID();
    const entry: LedgerEntry = {
      id,
      system: feed?.system ?? null,
      feed: feed?.name ?? null,
      fileName: b.name,
      sha256: b.sha,
      sizeBytes: b.size,
      businessDate: b.match?.businessDate ?? null,
      businessAt: b.match?.businessAt ?? null,
      status,
      reasonCode: why.code,
      reason: why.message,
      details: why.details,
      duplicateOf: duplicateOf ?? null,
      ...(b.rows ? { rows: b.rows } : {}),
      startedAt: b.startedAt,
      timings: b.timings ?? {},
      handledBy: this.handledBy,
    };
    await store.transaction(async (tx) => {
      await insertLedger(tx, entry);
      if (b.quarantineFrom && b.rows && b.rows.quarantined > 0)
        await quarantineFromStaging(tx, b.quarantineFrom, id, feed?.name ?? '', REJECTED_QUARANTINE_SAMPLE);
      await this.outcomeEvent(tx, entry);
    });
    let movedTo: string | undefined;
    if (move) {
      try {
        movedTo = this.move(
          b.name,
          status === 'duplicate' ? ARCHIVE : FAILED,
          feed,
          {
            status,
            ledgerId: id,
            reasonCode: why.code,
            reason: why.message,
            details: why.details,
            sha256: b.sha,
          },
          id,
        );
        await setMovedTo(store, id, movedTo);
      } catch (err) {
        log.error({ err, file: b.name }, 'could not move the file aside');
      }
    }
    const level = status === 'duplicate' ? 'info' : 'warn';
    log[level](
      { file: b.name, feed: feed?.name, fileId: id, status, reasonCode: why.code, reason: why.message },
      `file ${status}`,
    );
    return {
      status,
      fileId: id,
      fileName: b.name,
      ...(feed ? { feed: feed.name } : {}),
      reasonCode: why.code,
      reason: why.message,
      details: why.details,
      ...(b.rows ? { rows: b.rows } : {}),
      ...(movedTo ? { movedTo } : {}),
    };
  }

  private move(
    name: string,
    to: typeof ARCHIVE | typeof FAILED,
    feed: Feed | undefined,
    reason: Record<string, unknown>,
    id: string,
  ): string {
    const doneSuffix = feed?.readiness.kind === 'doneFile' ? feed.readiness.suffix : undefined;
    return moveHandled(
      this.opts.dropDir,
      name,
      to,
      { feed: feed?.name ?? null, at: new Date().toISOString(), ...reason },
      doneSuffix,
      id.slice(0, 8),
    );
  }

  private async outcomeEvent(tx: Queryable, e: LedgerEntry): Promise<void> {
    await appendEvents(tx, [
      {
        source: 'seam/ingest',
        type: `seam.ingest.file.${e.status}`,
        subject: `ingest_files/${e.id}`,
        data: {
          fileId: e.id,
          file: e.fileName,
          system: e.system,
          feed: e.feed,
          status: e.status,
          businessDate: e.businessDate,
          sha256: e.sha256,
          ...(e.reasonCode ? { reasonCode: e.reasonCode, reason: e.reason } : {}),
          ...(e.duplicateOf ? { duplicateOf: e.duplicateOf } : {}),
          ...(e.rows ? { rows: e.rows } : {}),
          ...(e.changes ? { changes: e.changes } : {}),
        },
        aggregateType: 'ingest_file',
        aggregateId: e.id,
      },
    ]);
  }
}
