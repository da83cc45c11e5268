/**
 * Shadow mode as the service loads it (SEAM_SHADOW_ADAPTER): the replacement system's adapter is
 * connected beside the primary one, behind its own guard, and every resource both serve is wrapped
 * (src/adapter/shadow.ts) so live reads and polls are compared with it off the agent's path. The
 * comparisons are written in batches (./repo.ts) and served at GET /v1/shadow/diffs and
 * GET /v1/shadow/summary (./routes.ts). Loaded right after the legacy area, before anything takes
 * resource handles.
 *
 * The shadow never changes an answer: agents are served the primary's records, errors and timings,
 * and /v1/systems does not mention the shadow.
 */
import client from 'prom-client';
import { z } from 'zod';
import { createSystems, loadAdapters, type Endpoint } from '../adapter/registry.ts';
import type { Simulator } from '../adapter/resource.ts';
import { PendingComparisons, shadowResource, type Comparison } from '../adapter/shadow.ts';
import type { AdapterDefinition } from '../adapter/types.ts';
import { service, type AppContext, type SeamModule } from '../context.ts';
import { LegacyGuard } from '../legacy/guard.ts';
import { createLegacyMetrics } from '../legacy/metrics.ts';
import { createTransport, linkOf } from '../legacy/transport.ts';
import { areaLogger } from '../log.ts';
import { writeComparisons } from './repo.ts';
import { shadowRoutes } from './routes.ts';

declare module '../context.ts' {
  interface Services {
    shadow: ShadowService;
  }
}

export interface ShadowService {
  /** The shadow adapter's folder name and its system's title. */
  adapter: string;
  title: string;
  /** Resources being compared. */
  resources: string[];
  endpoint: Endpoint['kind'];
  /** Resolves once every comparison started so far is made and written (tests, shutdown). */
  idle(): Promise<void>;
}

/** Comparisons written per transaction at most. */
const BATCH = 500;
/** Comparisons waiting to be written at most; more are dropped (and counted) rather than held. */
const BUFFER_MAX = 20_000;
/** Shutdown waits this long for comparisons still running. */
const STOP_WAIT_MS = 5_000;

export interface ShadowModuleOptions {
  /** Use this definition for the shadow adapter instead of loading SEAM_SHADOW_ADAPTER's folder (tests). */
  adapter?: AdapterDefinition;
}

export function createShadowModule(opts: ShadowModuleOptions = {}): SeamModule {
  const closers: (() => Promise<void> | void)[] = [];
  let svc: ShadowService | undefined;
  return {
    name: 'shadow',
    async init(ctx: AppContext) {
      const cfg = ctx.config.shadow;
      if (!cfg) return;
      const log = areaLogger(ctx.log, 'legacy', { part: 'shadow', shadow: cfg.adapter });
      const systems = service(ctx, 'systems');
      const adapter = opts.adapter ?? (await loadAdapters([cfg.adapter]))[0]!;
      const link = linkOf(adapter);
      if (!link) throw new Error(`shadow adapter ${cfg.adapter} declares no way to reach its system`);

      const shared = adapter.resources.map((r) => r.name).filter((n) => systems.resource(n));
      const unknown = (cfg.resources ?? []).filter((n) => !shared.includes(n));
      if (unknown.length)
        throw new Error(`SEAM_SHADOW_RESOURCES: ${unknown.join(', ')} not served by both adapters`);
      const names = cfg.resources ?? shared;
      if (names.length === 0)
        throw new Error(`shadow adapter ${cfg.adapter} serves none of the primary's resources`);
      for (const name of names) {
        const mine = adapter.resources.find((r) => r.name === name)!;
        const theirs = systems.resource(name)!.def;
        const schema = (s: z.ZodType) => JSON.stringify(z.toJSONSchema(s, { unrepresentable: 'any' }));
        if (schema(mine.schema) !== schema(theirs.schema))
          log.warn({ resource: name }, 'the shadow serves this resource with another record schema');
      }

      let endpoint: Endpoint;
      const configured = cfg.url ?? link.endpoint;
      if (configured) endpoint = { kind: 'configured', url: configured };
      else if (adapter.simulator) {
        const sim: Simulator = await adapter.simulator(ctx.config.legacy.simulator);
        closers.push(() => sim.close());
        endpoint = { kind: 'simulator', url: sim.url };
        log.info({ url: sim.url }, 'no shadow endpoint configured: started its simulator on loopback');
      } else throw new Error(`shadow adapter ${cfg.adapter}: set SEAM_SHADOW_URL`);

      const { transport, operations } = createTransport(adapter, {
        endpoint: endpoint.url!,
        ...(cfg.credentials ? { credentials: cfg.credentials } : {}),
        limits: link.limits,
      });
      closers.push(() => transport.close());
      // Its own guard, with the shadow adapter's limits; its series stay off /metrics (seam_shadow_* instead).
      const guard = new LegacyGuard({
        system: adapter.system,
        limits: link.limits,
        operations,
        transport,
        metrics: createLegacyMetrics(new client.Registry(), () => []),
        log,
      });
      closers.push(() => guard.close());
      const shadowSystems = createSystems([{ adapter, endpoint, connection: guard }], log);

      const comparisons = new client.Counter({
        name: 'seam_shadow_comparisons_total',
        help: 'Shadow comparisons by resource and outcome (same, different, error, skipped)',
        labelNames: ['resource', 'outcome'] as const,
        registers: [ctx.metrics.registry],
      });
      const differences = new client.Counter({
        name: 'seam_shadow_differences_total',
        help: 'Differences found by shadow comparisons, by resource and kind',
        labelNames: ['resource', 'kind'] as const,
        registers: [ctx.metrics.registry],
      });

      const buffer: Comparison[] = [];
      let flushing: Promise<void> | undefined;
      const sensitiveOf = (resource: string) => systems.resource(resource)?.def.sensitive ?? [];
      const flush = (): Promise<void> =>
        (flushing ??= (async () => {
          while (buffer.length > 0) {
            const batch = buffer.splice(0, BATCH);
            try {
              await writeComparisons(ctx.store, cfg.adapter, batch, sensitiveOf);
            } catch (err) {
              log.warn({ err, comparisons: batch.length }, 'could not record shadow comparisons');
            }
          }
        })().finally(() => {
          flushing = undefined;
          if (buffer.length > 0) void flush();
        }));
      const onComparison = (c: Comparison) => {
        comparisons.inc({ resource: c.resource, outcome: c.outcome });
        for (const d of c.differences) differences.inc({ resource: c.resource, kind: d.kind });
        if (buffer.length >= BUFFER_MAX) return;
        buffer.push(c);
        void flush();
      };

      const pending = new PendingComparisons(cfg.maxPending);
      systems.wrapResources((h) =>
        names.includes(h.def.name)
          ? shadowResource(h, shadowSystems.resource(h.def.name)!, pending, {
              ignoreFields: cfg.ignoreFields,
              pageSample: cfg.pageSample,
              onComparison,
            })
          : h,
      );
      svc = {
        adapter: cfg.adapter,
        title: adapter.title,
        resources: names,
        endpoint: endpoint.kind,
        async idle() {
          await pending.idle();
          while (flushing || buffer.length > 0) await flush();
        },
      };
      ctx.services.shadow = svc;
      log.info(
        { resources: names, endpoint: endpoint.kind },
        'shadow mode: comparing reads with the replacement',
      );
    },
    routes(api, ctx) {
      shadowRoutes(api, ctx);
    },
    async stop() {
      if (svc) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([svc.idle(), new Promise<void>((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
        clearTimeout(timer);
      }
      for (const close of closers.reverse()) await close();
      closers.length = 0;
    },
  };
}

export const shadowModule: SeamModule = createShadowModule();
