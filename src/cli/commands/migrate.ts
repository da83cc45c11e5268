import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { describeStore, withStore } from '../store.ts';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit (serve also does this at start)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      await withStore(config, async (store) => {
        const r = await store.query<{ id: number; name: string }>(
          'SELECT id, name FROM seam_migrations ORDER BY id',
        );
        if (opts.json) console.log(JSON.stringify({ store: describeStore(config), migrations: r.rows }));
        else
          console.log(
            `${describeStore(config)}: ${r.rows.length} migrations applied, latest ${r.rows.at(-1)?.name ?? 'none'}`,
          );
      });
    });
}
