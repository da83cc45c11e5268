/**
 * `seam feed check FILE [--feed NAME] [--adapter FOLDER] [--json] [--limit N]`: a dry run of one
 * sample file through a feed (src/ingest/check.ts): how it is read, validated and diffed against the
 * store, and what ingest would decide. Writes nothing, moves nothing, records nothing.
 * Exit 0 when ingest would apply the file, 1 when it would refuse it, 2 for bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { defaultAdapters } from '../../../adapters/defaults.ts';
import { ADAPTERS_DIR, loadAdapters } from '../../adapter/registry.ts';
import { loadConfig, type Config } from '../../config.ts';
import { checkFile, type CheckReport } from '../../ingest/check.ts';
import { matchName } from '../../ingest/files.ts';
import type { SystemFeed } from '../../ingest/ingest.ts';
import { systemFeeds } from '../../ingest/module.ts';
import { areaLogger, createLogger, type Logger } from '../../log.ts';
import { openStore, type Store } from '../../store/index.ts';
import { CliError, EXIT } from '../index.ts';
import { describeStore } from '../store.ts';

interface CheckOpts {
  feed?: string;
  adapter?: string;
  json?: boolean;
  limit: string;
}

/** Normalised records shown; the bad rows, updates and deletions listed follow --limit. */
const SAMPLE_RECORDS = 3;

export function registerFeed(program: Command): void {
  const feed = program.command('feed').description('tools for batch feeds');
  feed
    .command('check')
    .description(
      'dry run: read, validate and diff FILE exactly as ingest would, and say whether it would be applied ' +
        '(writes nothing, moves nothing; exit 0 would apply, 1 would refuse, 2 bad usage)',
    )
    .argument('<file>', 'the file to check (anywhere; it is only read)')
    .option('--feed <name>', 'the feed to read it as (default: the feed whose file pattern the name matches)')
    .option(
      '--adapter <folder>',
      'take the feeds from this adapter folder (e.g. one being written) instead of the configured adapters',
    )
    .option('--limit <n>', 'bad rows, updates and deletions listed at most', '10')
    .option('--json', 'print the report as one JSON object')
    .addHelpText(
      'after',
      '\nThe diff uses the configured store (DATABASE_URL, or the embedded store in SEAM_DATA_DIR) read-only;\n' +
        'without one, the read and validation part is still reported. See docs/adapters.md.',
    )
    .action(async (file: string, opts: CheckOpts) => {
      const config = loadConfig();
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0)
        throw new CliError(`--limit: not a whole number: ${opts.limit}`, EXIT.usage);
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (!st) throw new CliError(`${file}: no such file`, EXIT.usage);
      if (!st.isFile()) throw new CliError(`${file}: not a regular file`, EXIT.usage);
      const feeds = await loadFeeds(config, opts.adapter);
      const chosen = pickFeed(feeds, file, opts.feed);

      // Logs go to stderr so --json output on stdout stays parseable.
      const log = createLogger({ level: config.log.level }, pino.destination(2));
      const { store, noStore } = await openIfThere(config, areaLogger(log, 'store'));
      let report: CheckReport;
      try {
        report = await checkFile({
          file,
          feed: chosen,
          store,
          ...(noStore ? { noStore } : {}),
          maxBadShare: config.ingest.maxBadShare,
          maxLineChars: config.ingest.maxLineBytes,
          limit,
          sample: SAMPLE_RECORDS,
        });
      } finally {
        await store?.close();
      }
      if (opts.json) console.log(JSON.stringify({ ...report, storeLocation: describeStore(config) }));
      else console.log(formatReport(report, describeStore(config)));
      process.exitCode = report.verdict.status === 'applied' ? EXIT.ok : EXIT.failed;
    });
}

async function loadFeeds(config: Config, adapter: string | undefined): Promise<SystemFeed[]> {
  if (!adapter) return systemFeeds(await loadAdapters(config.legacy.adapters ?? defaultAdapters));
  // A folder path, or the name of a folder under adapters/.
  const dir = fs.existsSync(adapter) ? path.resolve(adapter) : path.join(ADAPTERS_DIR, adapter);
  if (!fs.existsSync(path.join(dir, 'index.ts')))
    throw new CliError(
      `--adapter ${adapter}: no adapter there (expected ${path.join(dir, 'index.ts')})`,
      EXIT.usage,
    );
  try {
    return systemFeeds(await loadAdapters([path.basename(dir)], path.dirname(dir)));
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new CliError(`${err instanceof Error ? err.message : String(err)}${cause}`, EXIT.usage);
  }
}

function pickFeed(feeds: SystemFeed[], file: string, name: string | undefined): SystemFeed {
  const known = feeds.map((f) => f.name).join(', ') || 'none';
  if (name) {
    const f = feeds.find((x) => x.name === name);
    if (!f) throw new CliError(`no feed named ${name} (known: ${known})`, EXIT.usage);
    return f;
  }
  let m;
  try {
    m = matchName(feeds, path.basename(file));
  } catch {
    m = undefined;
  }
  if (!m)
    throw new CliError(
      `${path.basename(file)} matches no feed's file pattern; name the feed with --feed (known: ${known})`,
      EXIT.usage,
    );
  return m.feed as SystemFeed;
}

/** The configured store, if it exists already: a check never creates one. */
async function openIfThere(
  config: Config,
  log: Logger,
): Promise<{ store?: Store; noStore?: { status: 'none' | 'unavailable'; message: string } }> {
  if (!config.store.url) {
    if (config.store.dataDir === 'memory://')
      return {
        noStore: { status: 'none', message: 'the embedded store is in memory: nothing to compare with' },
      };
    const dir = path.join(config.store.dataDir, 'pglite');
    if (!fs.existsSync(dir))
      return {
        noStore: { status: 'none', message: `no embedded store there yet (${dir}): nothing to compare with` },
      };
  }
  try {
    // Read only: a schema that is not there stays not there (nothing to compare with).
    return { store: await openStore({ ...config.store, createSchema: false }, log) };
  } catch (err) {
    return {
      noStore: {
        status: 'unavailable',
        message: `store unavailable (${describeStore(config)}): ${err instanceof Error ? err.message : String(err)}`,
      },
    };
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const mark = (ok: boolean | null) => (ok === null ? 'not checked' : ok ? 'ok' : 'MISMATCH');

/** The report for a person: one line per part, lists indented. */
export function formatReport(r: CheckReport, where: string): string {
  const out: string[] = [];
  const v = r.verdict;
  out.push(
    v.status === 'applied'
      ? `${r.fileName}: would be applied`
      : `${r.fileName}: would be ${v.status === 'duplicate' ? 'recorded as a duplicate, not applied' : v.status}: ${v.reasonCode} — ${v.reason}`,
  );
  out.push(
    `feed      ${r.feed.name} (system ${r.feed.system}): ${r.feed.mode} of ${r.feed.resource}, ${r.feed.format}, key ${r.feed.key}`,
  );
  out.push(
    `name      ${r.name.matches ? `matches ${r.feed.pattern} (business date ${r.name.businessDate})` : `does not match ${r.feed.pattern}${r.name.problem ? `: ${r.name.problem.message}` : ''}`}`,
  );
  out.push(
    `file      ${r.bytes} bytes, ${r.encoding}${r.compression === 'gzip' ? ', gzip' : ''}, sha256 ${r.sha256}`,
  );
  const c = r.control;
  const parts = c.checks.map(
    (k) =>
      `${k.check === 'header_date' ? 'header date' : k.field} ${k.declared ?? '(none)'} vs ${k.actual ?? '?'}: ${mark(k.ok)}`,
  );
  out.push(
    `control   ${c.trailer ? `trailer at line ${c.trailerLine}` : 'no trailer'}${parts.length ? `; ${parts.join('; ')}` : ''}` +
      (c.problem ? ` (${c.problem.code})` : ''),
  );
  if (!r.readComplete) out.push(`read      stopped early: ${v.reasonCode} — ${v.reason}`);
  const w = r.rows;
  out.push(
    `rows      ${w.read} read, ${w.valid} valid, ${w.bad} bad (${pct(r.badRowPolicy.share)}; at most ${pct(r.badRowPolicy.maxShare)} may be quarantined)` +
      (w.duplicateKeys ? `, ${w.duplicateKeys} with a duplicated key` : '') +
      (w.superseded ? `, ${w.superseded} superseded by a later row of the same key` : ''),
  );
  if (r.operations)
    out.push(
      `ops       ${r.operations.insert} insert, ${r.operations.update} update, ${r.operations.delete} delete`,
    );
  if (r.badRows.length) {
    out.push(`bad rows  (first ${r.badRows.length})`);
    for (const b of r.badRows)
      out.push(
        `  line ${b.line}\t${b.field || '-'}\t${b.code}\t${b.reason}${b.key ? ` (key ${b.key})` : ''}`,
      );
  }
  if (r.records.length) {
    out.push(`records   (first ${r.records.length}, normalised)`);
    for (const rec of r.records) out.push(`  ${JSON.stringify(rec)}`);
  }
  out.push(`store     ${where}: ${r.store.message}`);
  const d = r.diff;
  if (d) {
    out.push(
      `diff      ${d.created} created, ${d.updated} updated, ${d.deleted} deleted, ${d.unchanged} unchanged` +
        (d.deleteMissing ? `, ${d.deleteMissing} deletes of records not there` : '') +
        (d.deletesHeldBack ? ' (deletions held back: a bad row has no readable key)' : ''),
    );
    if (d.createdKeys.length)
      out.push(`  created: ${d.createdKeys.join(', ')}${d.created > d.createdKeys.length ? ', ...' : ''}`);
    for (const u of d.updates)
      out.push(
        `  updated ${u.key} (line ${u.line}): ` +
          Object.entries(u.changes)
            .map(([f, x]) => `${f} ${JSON.stringify(x.before)} → ${JSON.stringify(x.after)}`)
            .join('; '),
      );
    if (d.deletedKeys.length)
      out.push(`  deleted: ${d.deletedKeys.join(', ')}${d.deleted > d.deletedKeys.length ? ', ...' : ''}`);
  }
  if (r.ledger)
    out.push(
      `ledger    ${r.ledger.duplicateOf ? `same content already applied as ${r.ledger.duplicateOf}` : 'content not applied before'}` +
        (r.ledger.nameAppliedBefore ? `; this name was applied at ${r.ledger.nameAppliedBefore}` : '') +
        (r.ledger.newerApplied ? `; newer file ${r.ledger.newerApplied} already applied` : ''),
    );
  if (r.notChecked.length) out.push(`not checked: ${r.notChecked.join('; ')}`);
  out.push('nothing was written, moved or recorded (dry run)');
  return out.join('\n');
}
