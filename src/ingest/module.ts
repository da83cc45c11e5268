/**
 * The ingest area as the service loads it: the feeds of every loaded adapter, the Ingestor, the
 * drop-folder watcher (started after HTTP listens, stopped before the store closes) and the
 * ledger/quarantine routes. Needs the `systems` service (the legacy module, loaded before).
 */
import fs from 'node:fs';
import { FeedDefinitionSchema } from '../adapter/feed.ts';
import type { AdapterDefinition } from '../adapter/types.ts';
import type { Config } from '../config.ts';
import { service, type AppContext, type SeamModule } from '../context.ts';
import { areaLogger, type Logger } from '../log.ts';
import type { Store } from '../store/types.ts';
import { ensureDropDirs } from './files.ts';
import { Ingestor, type SystemFeed } from './ingest.ts';
import { ingestRoutes } from './routes.ts';
import { DropWatcher } from './watcher.ts';

declare module '../context.ts' {
  interface Services {
    /** Ingest one file by hand (`ingest(path)`), e.g. from a test; undefined without a drop folder. */
    ingestor: Ingestor;
  }
}

/** Every feed of the given adapters, checked against the contract, tagged with its system. */
export function systemFeeds(adapters: readonly AdapterDefinition[]): SystemFeed[] {
  const out: SystemFeed[] = [];
  const names = new Set<string>();
  for (const a of adapters) {
    for (const def of a.feeds) {
      const feed = FeedDefinitionSchema.parse(def);
      if (names.has(feed.name)) throw new Error(`two feeds are named ${feed.name}`);
      names.add(feed.name);
      out.push({ ...feed, system: a.system });
    }
  }
  return out;
}

export function createIngestor(
  config: Config,
  store: Store,
  log: Logger,
  feeds: SystemFeed[],
  dropDir: string,
): Ingestor {
  return new Ingestor({
    store,
    log,
    feeds,
    dropDir,
    ...(config.store.url ? { copyUrl: config.store.url } : {}),
    maxBadShare: config.ingest.maxBadShare,
    maxLineChars: config.ingest.maxLineBytes,
  });
}

export function createIngestModule(): SeamModule {
  let watcher: DropWatcher | undefined;
  return {
    name: 'ingest',
    init(ctx: AppContext) {
      const dropDir = ctx.config.ingest.dropDir;
      if (!dropDir) return;
      const log = areaLogger(ctx.log, 'ingest');
      const feeds = systemFeeds(
        service(ctx, 'systems')
          .list()
          .map((s) => s.adapter),
      );
      fs.mkdirSync(dropDir, { recursive: true });
      ensureDropDirs(dropDir);
      ctx.services.ingestor = createIngestor(ctx.config, ctx.store, log, feeds, dropDir);
    },
    routes(api, ctx) {
      ingestRoutes(api, ctx);
    },
    async start(ctx) {
      const ingestor = ctx.services.ingestor;
      const dropDir = ctx.config.ingest.dropDir;
      if (!ingestor || !dropDir || !ctx.config.ingest.watch) return;
      watcher = new DropWatcher(ingestor, {
        dropDir,
        stableMs: ctx.config.ingest.stableMs,
        scanIntervalMs: ctx.config.ingest.scanIntervalMs,
        log: areaLogger(ctx.log, 'ingest'),
      });
      await watcher.start();
      areaLogger(ctx.log, 'ingest').info(
        { dropDir, feeds: ingestor.feeds.map((f) => f.name) },
        'watching the drop folder',
      );
    },
    async stop() {
      await watcher?.stop();
    },
  };
}
