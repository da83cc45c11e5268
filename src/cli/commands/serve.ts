import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { startService } from '../../server.ts';
import { isUnavailable } from '../../store/types.ts';
import { CliError, EXIT } from '../index.ts';
import { describeStore } from '../store.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the seam service (HTTP API, watchers, schedulers) until SIGTERM')
    .action(async () => {
      const config = loadConfig();
      const log = createLogger(config.log);
      let service;
      try {
        service = await startService(config, { log });
      } catch (err) {
        if (isUnavailable(err)) {
          throw new CliError(
            `cannot reach the store (${describeStore(config)}): ${(err as Error).message}`,
            EXIT.failed,
          );
        }
        throw err;
      }
      const { stop } = service;
      const onSignal = (signal: string) => {
        log.info({ signal }, 'signal received');
        stop().then(
          () => process.exit(EXIT.ok),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(EXIT.failed);
          },
        );
      };
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      process.once('SIGINT', () => onSignal('SIGINT'));
    });
}
