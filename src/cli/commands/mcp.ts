/**
 * `seam mcp --key <key>` (or SEAM_AGENT_KEY): seam's MCP tools over stdio for one agent, for MCP
 * clients that launch their servers. Opens the configured store itself, or with `--url` bridges to
 * a running seam's /mcp. Runs until the client closes stdin. stdout is the protocol: logs go to stderr.
 */
import { Option, type Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { bridgeStdio } from '../../mcp/bridge.ts';
import { InvalidKeyError, serveStdio } from '../../mcp/stdio.ts';
import { defaultModules } from '../../modules.ts';
import { StoreLockedError } from '../../store/index.ts';
import { isUnavailable } from '../../store/types.ts';
import { CliError, EXIT } from '../index.ts';
import { describeStore } from '../store.ts';

export function registerMcp(program: Command): void {
  program
    .command('mcp')
    .description('serve seam’s MCP tools over stdio to one agent (for MCP clients that start their servers)')
    .addOption(new Option('--key <key>', 'the agent’s key (seam keys create)').env('SEAM_AGENT_KEY'))
    .option(
      '--url <url>',
      'bridge to a running seam at this URL (e.g. http://127.0.0.1:8080) instead of opening the store; ' +
        'needed with the embedded store while `seam serve` runs',
    )
    .action(async (o: { key?: string; url?: string }) => {
      if (!o.key) throw new CliError('an agent key is required: --key <key> or SEAM_AGENT_KEY', EXIT.usage);
      if (o.url !== undefined && !/^https?:\/\/\S+$/.test(o.url))
        throw new CliError(`--url: not an http(s) URL: ${o.url}`, EXIT.usage);
      const config = loadConfig();
      const log = createLogger(config.log, process.stderr);
      // Anything printed to stdout would corrupt the protocol stream.
      console.log = console.info = console.warn = (...args: unknown[]) => console.error(...args);

      let running: { done: Promise<void>; stop(): Promise<void> };
      try {
        running = o.url
          ? await bridgeStdio({ url: o.url, key: o.key, log })
          : await serveStdio({
              config,
              log,
              key: o.key,
              modules: defaultModules().filter((m) => m.name !== 'mcp'),
            });
      } catch (err) {
        if (err instanceof InvalidKeyError) throw new CliError(err.message, EXIT.failed);
        // The usual holder is `seam serve`, which this command can reach instead of its store.
        if (err instanceof StoreLockedError)
          throw new CliError(`${err.message}; or bridge to a running seam with --url`, EXIT.failed);
        if (isUnavailable(err))
          throw new CliError(`cannot reach the store (${describeStore(config)}): ${(err as Error).message}`);
        throw err;
      }
      const onSignal = () => void running.stop();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      await running.done;
      // Drivers and sockets closed; leave no timer (a legacy client's keep-alive) holding the process.
      process.exit(EXIT.ok);
    });
}
