/** `seam audit query|verify|export`: read and check the audit trail. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { allMatching, AuditFilter, CSV_HEADER, csvLine, queryAudit } from '../../audit/query.ts';
import { auditEntry } from '../../audit/types.ts';
import { verifyChain } from '../../audit/verify.ts';
import { loadConfig } from '../../config.ts';
import { output, printJson } from '../admin.ts';
import { CliError, EXIT } from '../index.ts';
import { withStore } from '../store.ts';

interface FilterOpts {
  actor?: string;
  record?: string;
  action?: string;
  decision?: string;
  from?: string;
  to?: string;
  tz?: string;
}

function withFilters(c: Command): Command {
  return c
    .option('--actor <name>', 'agent or human name, or id')
    .option('--record <record>', 'e.g. accounts/004471 (leading zeros optional)')
    .option('--action <action>', 'exact action, or a prefix ending in * (e.g. proposal.*)')
    .option('--decision <d>', 'allowed or denied')
    .option('--from <date>', 'plain date (whole day in the time zone) or ISO time')
    .option('--to <date>', 'plain date (inclusive) or ISO time')
    .option('--tz <zone>', 'time zone for plain dates (default SEAM_TIMEZONE)');
}

function filter(o: FilterOpts): AuditFilter {
  const r = AuditFilter.safeParse(o);
  if (!r.success)
    throw new CliError(
      r.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; '),
      EXIT.usage,
    );
  return r.data;
}

function usageOnRange<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (err instanceof RangeError) throw new CliError(err.message, EXIT.usage);
    throw err;
  });
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('read and verify the audit trail');

  withFilters(audit.command('query'))
    .description('show matching entries, newest first')
    .option('--limit <n>', 'at most this many', '100')
    .option('--csv', 'print CSV (all matching, oldest first)')
    .option('--json', 'print JSON')
    .action(async (o: FilterOpts & { limit: string; csv?: boolean; json?: boolean }) => {
      const f = filter(o);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CliError('--limit: a positive whole number', EXIT.usage);
      const config = loadConfig();
      const tz = o.tz ?? config.access.timezone;
      await withStore(config, (store) =>
        usageOnRange(async () => {
          if (o.csv) return exportCsv(store, f, tz);
          const { rows } = await queryAudit(store, f, { limit, order: 'desc' }, config.access.timezone);
          if (o.json) printJson({ items: rows.map(auditEntry) });
          else
            for (const r of rows)
              output.write(
                `${r.seq}  ${r.at.toISOString()}  ${r.actor_kind}:${r.actor_name}  ${r.action}  ${r.records.join(' ')}  ${r.decision}${r.reason ? ` (${r.reason})` : ''}${r.status !== null ? `  ${r.status}` : ''}\n`,
              );
        }),
      );
    });

  withFilters(audit.command('export'))
    .description('export matching entries (all of them, oldest first)')
    .option('--csv', 'CSV (the only format; accepted for clarity)')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (o: FilterOpts & { out?: string }) => {
      const f = filter(o);
      const config = loadConfig();
      const tz = o.tz ?? config.access.timezone;
      const out = o.out ? fs.createWriteStream(o.out) : undefined;
      await withStore(config, (store) => usageOnRange(() => exportCsv(store, f, tz, out)));
      if (out) await new Promise<void>((ok, fail) => out.end((e?: Error | null) => (e ? fail(e) : ok())));
    });

  audit
    .command('verify')
    .description('check the whole hash chain; exits 1 and names the first broken row if it is broken')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await withStore(loadConfig(), (store) => verifyChain(store));
      if (o.json) printJson(r);
      else if (r.ok) output.write(`audit trail intact: ${r.checked} entries checked\n`);
      else
        output.write(
          `audit trail BROKEN at entry ${r.firstBroken!.seq}: ${r.firstBroken!.problem} (${r.checked} entries before it are intact)\n`,
        );
      if (!r.ok) process.exitCode = EXIT.failed;
    });
}

/** `seam audit export | head` closes the pipe early: that is not a failure. */
let pipeGuarded = false;
function quietOnClosedPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
}

/** Write CSV to a file stream, or to the command's output (standard output). */
async function exportCsv(
  store: Parameters<typeof queryAudit>[0],
  f: AuditFilter,
  tz: string,
  file?: fs.WriteStream,
): Promise<void> {
  if (!file) quietOnClosedPipe();
  const write = (s: string) => {
    const flushed = file ? file.write(s) : output.write(s);
    if (flushed) return Promise.resolve();
    const stream = file ?? process.stdout;
    return new Promise<void>((ok) => stream.once('drain', () => ok()));
  };
  await write(CSV_HEADER.join(',') + '\r\n');
  for await (const r of allMatching(store, f, tz)) await write(csvLine(r, tz));
}
