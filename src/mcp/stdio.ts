/**
 * MCP over stdio (`seam mcp`): one agent per process, for MCP clients that launch their servers
 * (Claude Desktop and the like). The process opens the configured store and initialises the same
 * areas `seam serve` does, without HTTP and without their background work (polls, watchers, jobs:
 * the service does those), and serves the tools to the agent whose key it was given. Every call
 * goes through the access gate, so the key, its scopes, the kill switch, the rate limit and the
 * audit trail are the service's own.
 *
 * stdout carries the protocol: logs go to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Readable, Writable } from 'node:stream';
import { Problem } from '../http/problem.ts';
import type { Config } from '../config.ts';
import type { AppContext, SeamModule } from '../context.ts';
import { createMetrics } from '../http/metrics.ts';
import { areaLogger, type Logger } from '../log.ts';
import { migrate, openStore } from '../store/index.ts';
import { stdioDoor } from './call.ts';
import { createMcpServer, mcpTools } from './server.ts';

/** The key given to `seam mcp` is unknown, expired or revoked. */
export class InvalidKeyError extends Error {
  constructor() {
    super('the agent key is not valid (unknown, expired or revoked)');
    this.name = 'InvalidKeyError';
  }
}

export interface StdioOptions {
  config: Config;
  log: Logger;
  key: string;
  /** The areas to initialise (default: the service's, less this one). */
  modules: SeamModule[];
  stdin?: Readable;
  stdout?: Writable;
}

export interface StdioServer {
  ctx: AppContext;
  /** Resolves when the client went away (stdin closed) or `stop` was called, after cleaning up. */
  done: Promise<void>;
  stop(): Promise<void>;
}

const refuseAll: AppContext['authorize'] = async () => {
  throw new Problem({ status: 401, code: 'unauthorized', title: 'Unauthorized' });
};

export async function serveStdio(opts: StdioOptions): Promise<StdioServer> {
  const { config, log } = opts;
  const mainLog = areaLogger(log, 'mcp');
  const store = await openStore(config.store, areaLogger(log, 'store'));
  const inited: SeamModule[] = [];
  const ctx: AppContext = {
    config,
    log,
    store,
    metrics: createMetrics(store),
    readiness: [],
    problemMappers: [],
    authorize: refuseAll,
    services: {},
  };
  const cleanup = async () => {
    for (const m of [...inited].reverse()) {
      try {
        await m.stop?.(ctx);
      } catch (err) {
        mainLog.error({ err, module: m.name }, 'module failed to stop cleanly');
      }
    }
    await store.close();
  };
  try {
    await migrate(store, areaLogger(log, 'store'));
    for (const m of opts.modules) {
      inited.push(m);
      await m.init?.(ctx);
    }
    const keys = ctx.services.keys;
    if (!keys) throw new Error('the access area is not loaded');
    const principal = await keys.resolve(opts.key);
    if (!principal) throw new InvalidKeyError();

    const gone = new AbortController();
    const tools = mcpTools(ctx);
    const server = createMcpServer(ctx, tools, stdioDoor(ctx, keys, opts.key, gone.signal));
    const stdin = opts.stdin ?? process.stdin;
    const transport = new StdioServerTransport(stdin, opts.stdout ?? process.stdout);
    let stopping: Promise<void> | undefined;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const stop = () =>
      (stopping ??= (async () => {
        gone.abort();
        await server.close().catch(() => undefined);
        await cleanup();
        mainLog.info('mcp (stdio) stopped');
        finished();
      })());
    // The transport does not notice its input ending; an MCP client closes stdin to say goodbye.
    stdin.once('end', () => void stop());
    stdin.once('close', () => void stop());
    await server.connect(transport);
    mainLog.info(
      { agent: principal.name, tools: tools.map((t) => t.name), store: store.kind },
      'mcp (stdio) serving',
    );
    return { ctx, done, stop };
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}
