/**
 * `seam ingest FILE [--feed NAME] [--json]`: ingest one file from the drop folder by hand, exactly as
 * the watcher would (claim, ledger, validation, one transaction, move), and print what happened.
 * Exit 0 when applied (or a recorded duplicate), 1 when rejected, flagged or not possible now.
 *
 * `seam ingest quarantine [--file ID|NAME] [--feed NAME] [--reason CODE] [--json]`: the bad rows.
 * `seam ingest files [--feed NAME] [--status S] [--json]`: the ledger.
 */
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import pino from 'pino';
import { defaultAdapters } from '../../../adapters/defaults.ts';
import { loadAdapters } from '../../adapter/registry.ts';
import { loadConfig } from '../../config.ts';
import type { IngestProgress } from '../../ingest/ingest.ts';
import { createIngestor, systemFeeds } from '../../ingest/module.ts';
import { listFiles, listQuarantine, type FileQuery, type QuarantineQuery } from '../../ingest/ledger.ts';
import { ensureDropDirs } from '../../ingest/files.ts';
import { areaLogger, createLogger } from '../../log.ts';
import { migrate, openStore } from '../../store/index.ts';
import { CliError, EXIT } from '../index.ts';

interface Opts {
  feed?: string;
  json?: boolean;
  progress?: boolean;
  file?: string;
  reason?: string;
  status?: FileQuery['status'];
  limit?: string;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description(
      'ingest one batch file by hand (FILE), or list the ledger (`files`) or bad rows (`quarantine`)',
    )
    .argument('<file>', 'a file in the drop folder, or `files` / `quarantine`')
    .option('--feed <name>', 'the feed the file belongs to (default: by its name)')
    .option('--file <idOrName>', 'quarantine: only rows of this file (ledger id or file name)')
    .option('--reason <code>', 'quarantine: only this reason code')
    .option('--status <status>', 'files: only this status (applied, duplicate, rejected, flagged)')
    .option('--limit <n>', 'files/quarantine: how many rows', '100')
    .option('--json', 'print the result as JSON')
    .option('--progress', 'show a progress bar on stderr (default: when stderr is a terminal and not --json)')
    .option('--no-progress', 'no progress bar')
    .action(async (file: string, opts: Opts) => {
      const config = loadConfig();
      // Logs go to stderr so --json output on stdout stays parseable.
      const log = createLogger({ level: config.log.level }, pino.destination(2));
      const store = await openStore(config.store, areaLogger(log, 'store'));
      try {
        await migrate(store, areaLogger(log, 'store'));
        if (file === 'quarantine') {
          const q: QuarantineQuery = {
            limit: Number(opts.limit ?? 100),
            ...(opts.file ? { file: opts.file } : {}),
            ...(opts.feed ? { feed: opts.feed } : {}),
            ...(opts.reason ? { reason: opts.reason } : {}),
          };
          const r = await listQuarantine(store, q);
          if (opts.json) console.log(JSON.stringify(r));
          else if (r.rows.length === 0) console.log('no quarantined rows');
          else
            for (const x of r.rows)
              console.log(
                `${x.fileName}:${x.line}\t${x.reasonCode}\t${x.field ?? '-'}\t${x.key ?? '-'}\t${x.reason}`,
              );
          return;
        }
        if (file === 'files') {
          const r = await listFiles(store, {
            limit: Number(opts.limit ?? 100),
            ...(opts.feed ? { feed: opts.feed } : {}),
            ...(opts.status ? { status: opts.status } : {}),
          });
          if (opts.json) console.log(JSON.stringify(r));
          else
            for (const f of r.files)
              console.log(
                `${f.finishedAt}\t${f.status}\t${f.fileName}\t${f.rows.total} rows\t` +
                  `+${f.changes.created} ~${f.changes.updated} -${f.changes.deleted}\t${f.reasonCode ?? ''}`,
              );
          return;
        }
        const dropDir = config.ingest.dropDir;
        if (!dropDir)
          throw new CliError('no drop folder: set SEAM_INGEST_DROP_DIR or SEAM_DATA_DIR', EXIT.usage);
        ensureDropDirs(dropDir);
        const adapters = await loadAdapters(config.legacy.adapters ?? defaultAdapters);
        const feeds = systemFeeds(adapters);
        if (opts.feed && !feeds.some((f) => f.name === opts.feed))
          throw new CliError(
            `no feed named ${opts.feed} (known: ${feeds.map((f) => f.name).join(', ')})`,
            EXIT.usage,
          );
        const ingestor = createIngestor(config, store, areaLogger(log, 'ingest'), feeds, dropDir);
        const bar = (opts.progress ?? (process.stderr.isTTY && !opts.json)) ? progressBar(file) : undefined;
        let outcome;
        try {
          outcome = await ingestor.ingest(file, {
            ...(opts.feed ? { feed: opts.feed } : {}),
            ...(bar ? { onProgress: bar.update } : {}),
          });
        } finally {
          bar?.stop();
        }
        if (opts.json) console.log(JSON.stringify(outcome));
        else {
          const what =
            outcome.status === 'applied'
              ? `applied: ${outcome.rows?.total ?? 0} rows (${outcome.rows?.quarantined ?? 0} quarantined); ` +
                `${outcome.changes?.created ?? 0} created, ${outcome.changes?.updated ?? 0} updated, ` +
                `${outcome.changes?.deleted ?? 0} deleted, ${outcome.changes?.unchanged ?? 0} unchanged` +
                (outcome.recovered ? ' (already applied; finished its move)' : '')
              : outcome.status === 'busy'
                ? `another process is ingesting feed ${outcome.feed}; try again shortly`
                : outcome.status === 'gone'
                  ? 'the file is gone (handled by another process?)'
                  : `${outcome.status}: ${outcome.reasonCode} — ${outcome.reason}`;
          console.log(`${outcome.fileName}: ${what}${outcome.movedTo ? ` → ${outcome.movedTo}` : ''}`);
        }
        process.exitCode =
          outcome.status === 'applied' || outcome.status === 'duplicate' ? EXIT.ok : EXIT.failed;
      } finally {
        await store.close();
      }
    });
}

/**
 * A bar over the file's bytes while it is read and validated, then a note while the diff is applied.
 * On stderr, so `--json` on stdout stays parseable; without a terminal it prints a line now and then.
 */
function progressBar(file: string) {
  const name = path.basename(file);
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${name} {bar} {percentage}% | {rows} records | {phase}`,
      hideCursor: true,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 1000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p: IngestProgress): void {
      const payload = { rows: p.rows.toLocaleString('en-US'), phase: p.phase };
      if (!started) {
        bar.start(Math.max(p.totalBytes, 1), p.bytes, payload);
        started = true;
      } else bar.update(p.bytes, payload);
    },
    stop(): void {
      if (started) bar.stop();
    },
  };
}
