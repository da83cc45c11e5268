/**
 * The events area as the service loads it: the per-process hub (LISTEN/NOTIFY), the feed and SSE
 * routes, webhook delivery, and the retention job. Writers do not need this module: any area appends
 * with `appendEvents(tx, events)` (append.ts) inside its own transaction.
 */
import { setMaxListeners } from 'node:events';
import type { Server } from 'node:net';
import type { Request } from 'express';
import cron, { type ScheduledTask } from 'node-cron';
import client from 'prom-client';
import type { AppContext, SeamModule } from '../context.ts';
import { areaLogger } from '../log.ts';
import { EventFeed } from './feed.ts';
import { EventHub } from './hub.ts';
import type { SensitiveFields } from './redact.ts';
import { runRetention } from './retention.ts';
import { eventRoutes } from './routes.ts';
import { WebhookPoster } from './webhooks/post.ts';
import { Webhooks } from './webhooks/service.ts';
import { WebhookTargets } from './webhooks/targets.ts';
import { WebhookWorker } from './webhooks/worker.ts';

export interface EventsService {
  hub: EventHub;
  feed: EventFeed;
  webhooks: Webhooks;
  /** The shutdown signal for a long-lived request (long-poll, stream) on this request's server. */
  watch(req: Request): AbortSignal;
  /** Run the retention job now (also scheduled by SEAM_EVENTS_RETENTION_CRON). */
  retain(): ReturnType<typeof runRetention>;
}

declare module '../context.ts' {
  interface Services {
    events: EventsService;
  }
}

export interface EventsModuleOptions {
  /**
   * Sensitive fields per resource, for redacting records inside events. Defaults to the adapter
   * registry's resources (see sensitiveFieldsFrom).
   */
  sensitiveFields?: SensitiveFields;
  /** Run webhook delivery in this process (default true). */
  deliverWebhooks?: boolean;
}

/**
 * How often long-lived requests check whether their server stopped listening. The HTTP server
 * waits for in-flight requests on shutdown; streams and long-polls must notice and end, or every
 * shutdown would wait out SEAM_SHUTDOWN_TIMEOUT_MS.
 */
const SHUTDOWN_CHECK_MS = 250;

/**
 * The sensitive fields of each resource as the adapter registry (the `systems` service) declares
 * them. Looked up per event, so the registry may be published by a module loaded after this one.
 * A resource the registry does not know (or no registry at all) is `undefined`: records in such
 * events are withheld from callers without `pii:*` (fail closed; see redact.ts).
 */
export function sensitiveFieldsFrom(ctx: AppContext): SensitiveFields {
  return (system, resource) => {
    const handle = ctx.services.systems?.resource(resource);
    if (!handle || handle.system !== system) return undefined;
    return handle.def.sensitive;
  };
}

interface State {
  svc: EventsService;
  worker?: WebhookWorker;
  poster: WebhookPoster;
  shutdown: AbortController;
  servers: Set<Server>;
  watchTimer?: NodeJS.Timeout;
  task?: ScheduledTask;
}

export function createEventsModule(opts: EventsModuleOptions = {}): SeamModule {
  const states = new WeakMap<AppContext, State>();
  return {
    name: 'events',
    async init(ctx) {
      const log = areaLogger(ctx.log, 'events');
      const cfg = ctx.config.events;
      const hub = new EventHub(ctx.store, log, { safetyPollMs: cfg.safetyPollMs });
      // Listen from the start, so a request served before `start` is woken like any other.
      await hub.start();
      const fields = opts.sensitiveFields ?? sensitiveFieldsFrom(ctx);
      const feed = new EventFeed(ctx.store, hub, fields);
      const targets = new WebhookTargets(cfg.webhooks.allowedHosts, cfg.webhooks.allowedAddresses);
      const poster = new WebhookPoster(targets, cfg.webhooks.timeoutMs);
      const attempts = new client.Counter({
        name: 'seam_webhook_attempts_total',
        help: 'Webhook delivery attempts by outcome',
        labelNames: ['outcome'] as const,
        registers: [ctx.metrics.registry],
      });
      new client.Gauge({
        name: 'seam_events_head_position',
        help: 'Highest committed event position this process knows of',
        registers: [ctx.metrics.registry],
        collect() {
          this.set(hub.head);
        },
      });
      new client.Gauge({
        name: 'seam_events_readers',
        help: 'Open SSE streams and waiting long-polls in this process',
        labelNames: ['kind'] as const,
        registers: [ctx.metrics.registry],
        collect() {
          this.set({ kind: 'stream' }, hub.streams);
          this.set({ kind: 'long_poll' }, hub.waiting);
        },
      });
      const worker =
        opts.deliverWebhooks === false
          ? undefined
          : new WebhookWorker(ctx.store, hub, poster, fields, log, {
              timeoutMs: cfg.webhooks.timeoutMs,
              maxAttempts: cfg.webhooks.maxAttempts,
              retryBaseMs: cfg.webhooks.retryBaseMs,
              retryMaxMs: cfg.webhooks.retryMaxMs,
              onAttempt: (outcome) => attempts.inc({ outcome }),
            });
      const shutdown = new AbortController();
      // Every open stream and long-poll listens for shutdown.
      setMaxListeners(0, shutdown.signal);
      const servers = new Set<Server>();
      const state: State = {
        poster,
        worker,
        shutdown,
        servers,
        svc: {
          hub,
          feed,
          webhooks: new Webhooks(ctx.store, targets, worker),
          watch(req) {
            const server = (req.socket as { server?: Server }).server;
            if (server) servers.add(server);
            return shutdown.signal;
          },
          retain: () =>
            runRetention(ctx.store, {
              maxAgeMs: cfg.retention.maxAgeMs,
              mode: cfg.retention.mode,
              archiveDir: cfg.retention.archiveDir,
            }),
        },
      };
      states.set(ctx, state);
      ctx.services.events = state.svc;
    },
    routes(api, ctx) {
      eventRoutes(api, ctx, states.get(ctx)!.svc);
    },
    start(ctx) {
      const state = states.get(ctx)!;
      const log = areaLogger(ctx.log, 'events');
      state.worker?.start();
      state.watchTimer = setInterval(() => {
        for (const s of state.servers) if (!s.listening) state.shutdown.abort();
      }, SHUTDOWN_CHECK_MS);
      state.watchTimer.unref();
      state.task = cron.schedule(
        ctx.config.events.retention.cron,
        async () => {
          try {
            const r = await state.svc.retain();
            if (r.removed > 0 || r.deliveriesRemoved > 0) log.info({ ...r }, 'event retention ran');
          } catch (err) {
            log.error({ err }, 'event retention failed');
          }
        },
        { noOverlap: true },
      );
    },
    async stop(ctx) {
      const state = states.get(ctx);
      if (!state) return;
      state.shutdown.abort();
      clearInterval(state.watchTimer);
      await state.task?.destroy();
      await state.worker?.stop();
      await state.svc.hub.stop();
      state.poster.close();
    },
  };
}

export const eventsModule: SeamModule = createEventsModule();
