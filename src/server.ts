/**
 * Start and stop one seam process: open the store, migrate, initialise the areas, serve HTTP,
 * start background work. Shutdown reverses it and lets in-flight requests finish.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Problem } from './http/problem.ts';
import type { Config } from './config.ts';
import type { AppContext, SeamModule } from './context.ts';
import { createApp } from './http/app.ts';
import { healthRoutes } from './http/health.ts';
import { createMetrics } from './http/metrics.ts';
import { Api } from './http/route.ts';
import { areaLogger, createLogger, type Logger } from './log.ts';
import { defaultModules } from './modules.ts';
import { migrate, openStore, type Store } from './store/index.ts';

export interface Service {
  ctx: AppContext;
  api: Api;
  server: http.Server;
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  modules?: SeamModule[];
  /** Use an already opened store (tests share one per file). The caller closes it. */
  store?: Store;
  /** Extra routes (tests). */
  extraRoutes?: (api: Api, ctx: AppContext) => void;
}

/** Until the access area replaces it: public routes only, everything else refused. */
const publicOnly: AppContext['authorize'] = async (_req, rule) => {
  if ('public' in rule) return undefined;
  throw new Problem({
    status: 401,
    code: 'unauthorized',
    title: 'Unauthorized',
    headers: { 'WWW-Authenticate': 'Bearer' },
  });
};

export async function startService(config: Config, opts: StartOptions = {}): Promise<Service> {
  const log = opts.log ?? createLogger(config.log);
  const mainLog = areaLogger(log, 'main');
  const store = opts.store ?? (await openStore(config.store, areaLogger(log, 'store')));
  const ownsStore = !opts.store;
  const modules = opts.modules ?? defaultModules();
  const started: SeamModule[] = [];
  let ctx: AppContext | undefined;
  try {
    await migrate(store, areaLogger(log, 'store'));
    ctx = {
      config,
      log,
      store,
      metrics: createMetrics(store),
      readiness: [],
      problemMappers: [],
      authorize: publicOnly,
      services: {},
    };
    for (const m of modules) await m.init?.(ctx);
    const context = ctx;

    const api = new Api();
    healthRoutes(api, context);
    for (const m of modules) m.routes?.(api, context);
    opts.extraRoutes?.(api, context);
    const app = createApp(context, api);

    const server = http.createServer(app);
    // Old clients and agents keep connections open; do not let idle sockets pin shutdown.
    server.keepAliveTimeout = 5_000;
    server.requestTimeout = 120_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.http.port, config.http.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const url = `http://${host}:${addr.port}`;

    for (const m of modules) {
      started.push(m);
      await m.start?.(context);
    }
    mainLog.info({ url, store: store.kind, schema: store.schema }, 'seam is listening');

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        mainLog.info('shutting down: no new requests, finishing in-flight ones');
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => {
          mainLog.warn('in-flight requests did not finish in time; closing their connections');
          server.closeAllConnections();
        }, config.http.shutdownTimeoutMs);
        timer.unref();
        await closed;
        clearTimeout(timer);
        for (const m of [...started].reverse()) {
          try {
            await m.stop?.(context);
          } catch (err) {
            mainLog.error({ err, module: m.name }, 'module failed to stop cleanly');
          }
        }
        if (ownsStore) await store.close();
        mainLog.info('shutdown complete');
      })());
    return { ctx: context, api, server, url, stop };
  } catch (err) {
    for (const m of [...started].reverse()) {
      if (ctx) await Promise.resolve(m.stop?.(ctx)).catch(() => undefined);
    }
    if (ownsStore) await store.close().catch(() => undefined);
    throw err;
  }
}
