import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { logBounds } from '../../events/read.ts';
import { runRetention } from '../../events/retention.ts';
import { CliError, EXIT } from '../index.ts';
import { withStore } from '../store.ts';

export function registerEvents(program: Command): void {
  const events = program.command('events').description('the event log: its bounds and retention');

  events
    .command('status')
    .description('show the oldest and newest positions of the log and the webhook subscriptions')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      await withStore(config, async (store) => {
        const bounds = await logBounds(store);
        const hooks = await store.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM webhook_subscriptions GROUP BY status ORDER BY status',
        );
        const webhooks = Object.fromEntries(hooks.rows.map((r) => [r.status, r.n]));
        if (opts.json) console.log(JSON.stringify({ ...bounds, webhooks }));
        else
          console.log(
            `events: oldest position ${bounds.oldest}, head ${bounds.head}; webhooks: ` +
              (hooks.rows.map((r) => `${r.n} ${r.status}`).join(', ') || 'none'),
          );
      });
    });

  events
    .command('retain')
    .description('run the retention job once now (archive or prune events older than SEAM_EVENTS_MAX_AGE)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const r = config.events.retention;
      if (r.maxAgeMs === undefined)
        throw new CliError('SEAM_EVENTS_MAX_AGE is not set: events are kept forever', EXIT.usage);
      await withStore(config, async (store) => {
        const result = await runRetention(store, {
          maxAgeMs: r.maxAgeMs,
          mode: r.mode,
          archiveDir: r.archiveDir,
        });
        if (opts.json) console.log(JSON.stringify(result));
        else if (result.removed === 0)
          console.log(`nothing to remove; the log starts after position ${result.prunedThrough}`);
        else
          console.log(
            `${r.mode === 'archive' ? 'archived' : 'pruned'} ${result.removed} events; ` +
              `everything up to position ${result.prunedThrough} is gone from the log` +
              (result.files.length > 0 ? `; files: ${result.files.join(', ')}` : ''),
          );
      });
    });
}
