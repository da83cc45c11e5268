/**
 * `seam rollback --since 24h`: the rollback plan. Lists every proposal carried out in the window,
 * proposes the reverse of each reversible one (through approvals, like any proposal), and writes a
 * report (markdown and CSV) of the irreversible ones for the people affected. Safe to run twice.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { offlineProposals, personAs } from '../../proposals/offline.ts';
import { parseSince } from '../../proposals/rollback.ts';
import { cliActor, cliRun, printJson } from '../admin.ts';
import { CliError, EXIT } from '../index.ts';
import { withStore } from '../store.ts';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('propose reversals of what was carried out in a window; report what cannot be reversed')
    .requiredOption('--since <window>', 'a duration (24h, 90m, 7d) or an ISO 8601 time')
    .option('--as <name>', 'the admin the reversal proposals are made by (default: this CLI user)')
    .option('--out <dir>', 'where to write the report (default: <SEAM_DATA_DIR>/reports)')
    .option('--json', 'print the plan as JSON')
    .action(async (o: { since: string; as?: string; out?: string; json?: boolean }) => {
      try {
        parseSince(o.since, new Date());
      } catch (err) {
        throw new CliError((err as Error).message, EXIT.usage);
      }
      const config = loadConfig();
      const outDir = path.resolve(
        o.out ?? path.join(config.dataDir === 'memory://' ? '.seam-data' : config.dataDir, 'reports'),
      );
      const plan = await withStore(config, (store) =>
        cliRun(async () => {
          const svc = await offlineProposals(config, store);
          const who = o.as
            ? { ...(await personAs(store, o.as, ['admin'])) }
            : { ...cliActor(), scopes: [] as string[] };
          return svc.rollback(who, { since: o.since, outDir });
        }),
      );
      if (o.json) return printJson(plan);
      const lines = [
        `${plan.executed} proposal(s) carried out between ${plan.since} and ${plan.until}.`,
        ...plan.reversals.map(
          (r) =>
            `  ${r.reference} ${r.type} ${r.target}: reversal ${r.status}${r.reversal ? ` ${r.reversal.reference} (${r.reversal.state})` : ''}${r.note ? ` - ${r.note}` : ''}`,
        ),
        ...plan.irreversible.map((i) => `  ${i.reference} ${i.type} ${i.target}: IRREVERSIBLE - ${i.reason}`),
        `Report: ${plan.files.markdown}`,
        `        ${plan.files.csv}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
