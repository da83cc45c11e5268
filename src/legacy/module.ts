/**
 * The legacy area as the service loads it: loads the configured adapters, connects each to its
 * endpoint (or starts the adapter's simulator on loopback when none is configured), puts a guard
 * in front of it, and publishes the `systems` service (src/adapter/registry.ts).
 *
 * Readiness: one check per system, NON-critical. While the legacy box is down seam still serves
 * stored records (marked with their age) and events, so taking seam out of a load balancer
 * because the box is down would only make things worse; /readyz shows the box's state for
 * operators without turning red.
 */
import net from 'node:net';
import { defaultAdapters } from '../../adapters/defaults.ts';
import {
  createSystems,
  loadAdapters,
  type Endpoint,
  type SystemEntry,
  type Systems,
} from '../adapter/registry.ts';
import type { LegacyLimits, Simulator } from '../adapter/resource.ts';
import type { AdapterDefinition } from '../adapter/types.ts';
import type { Config } from '../config.ts';
import type { AppContext, SeamModule } from '../context.ts';
import { areaLogger } from '../log.ts';
import { legacyProblem } from './errors.ts';
import { LegacyGuard } from './guard.ts';
import { createLegacyMetrics } from './metrics.ts';
import { createTransport, linkOf } from './transport.ts';

declare module '../context.ts' {
  interface Services {
    systems: Systems;
  }
}

export interface LegacyModuleOptions {
  /** Use these adapter definitions instead of loading the configured ones (tests, benchmarks). */
  adapters?: AdapterDefinition[];
}

/** The adapter's limits with the operator's SEAM_LEGACY_* overrides applied. */
export function effectiveLimits(l: LegacyLimits, o: Config['legacy']['overrides']): LegacyLimits {
  return {
    ...l,
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.maxConcurrency !== undefined ? { maxConcurrency: o.maxConcurrency } : {}),
    ...(o.callsPerSecond !== undefined ? { callsPerSecond: o.callsPerSecond } : {}),
    ...(o.cacheTtlMs !== undefined ? { cacheTtlMs: o.cacheTtlMs } : {}),
    ...(o.maintenanceWindows !== undefined ? { maintenanceWindows: o.maintenanceWindows } : {}),
  };
}

function tcpProbe(url: string, timeoutMs: number): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: u.hostname, port, timeout: timeoutMs });
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('timeout', () => {
      s.destroy();
      reject(new Error(`no TCP answer from ${u.host} within ${timeoutMs} ms`));
    });
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`${u.host}: ${err.code ?? err.message}`)),
    );
  });
}

export function createLegacyModule(opts: LegacyModuleOptions = {}): SeamModule {
  const guards: LegacyGuard[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  return {
    name: 'legacy',
    async init(ctx: AppContext) {
      const log = areaLogger(ctx.log, 'legacy');
      const cfg = ctx.config.legacy;
      const adapters = opts.adapters ?? (await loadAdapters(cfg.adapters ?? defaultAdapters));
      const metrics = createLegacyMetrics(ctx.metrics.registry, () =>
        guards.map((g) => ({
          system: g.system,
          breaker: g.breakerState(),
          maintenance: g.maintenanceState().active,
          ...(({ queued, inFlight }) => ({ queued, inFlight }))(g.load()),
        })),
      );

      const entries: SystemEntry[] = [];
      for (const adapter of adapters) {
        const system = adapter.system;
        const link = linkOf(adapter);
        if (!link) {
          entries.push({ adapter, endpoint: { kind: 'none' } });
          continue;
        }
        let endpoint: Endpoint = { kind: 'none' };
        const configured = cfg.urls[system] ?? cfg.url ?? link.endpoint;
        if (configured) endpoint = { kind: 'configured', url: configured };
        else if (adapter.simulator) {
          const sim: Simulator = await adapter.simulator(cfg.simulator);
          closers.push(() => sim.close());
          endpoint = { kind: 'simulator', url: sim.url };
          log.info(
            { system, url: sim.url },
            'no legacy endpoint configured: started the simulator on loopback',
          );
        }
        if (!endpoint.url) {
          log.warn({ system }, 'no legacy endpoint configured: serving stored records only');
          entries.push({ adapter, endpoint });
          continue;
        }
        const limits = effectiveLimits(link.limits, cfg.overrides);
        // SOAP or JSON over HTTP, as the adapter declares (src/legacy/transport.ts).
        const { transport, operations } = createTransport(adapter, {
          endpoint: endpoint.url,
          ...(cfg.credentials ? { credentials: cfg.credentials } : {}),
          limits,
        });
        closers.push(() => transport.close());
        const guard = new LegacyGuard({
          system,
          limits,
          operations,
          transport,
          metrics,
          log: log.child({ system }),
        });
        guards.push(guard);
        closers.push(() => guard.close());
        entries.push({ adapter, endpoint, connection: guard });

        const url = endpoint.url;
        ctx.readiness.push({
          name: `legacy:${system}`,
          critical: false,
          async check(timeoutMs) {
            if (guard.breakerState() === 'open') throw new Error('circuit breaker open');
            const m = guard.maintenanceState();
            if (m.active) throw new Error(`maintenance window until ${m.until?.toISOString() ?? 'later'}`);
            await tcpProbe(url, timeoutMs);
          },
        });
      }

      ctx.services.systems = createSystems(entries, log, (system, resource) =>
        metrics.invalidRecords.inc({ system, resource }),
      );
      ctx.problemMappers.push(legacyProblem);
    },
    async stop() {
      for (const close of closers.reverse()) await close();
      closers.length = 0;
      guards.length = 0;
    },
  };
}

/** The legacy module over the configured adapters. */
export const legacyModule: SeamModule = createLegacyModule();
