/**
 * The demo ERP for tests: its real SOAP simulator, its adapter with limits a test chooses, and
 * seam's read facade (access + legacy + records modules) in front of it over real HTTP.
 */
import erp from '../../adapters/acme-erp/index.ts';
import { startErpSimulator, type ErpSimulator } from '../../adapters/acme-erp/simulator/index.ts';
import type { SimulatorConfig } from '../../adapters/acme-erp/simulator/server.ts';
import { accessModule } from '../../src/access/module.ts';
import type { LegacyLimits } from '../../src/adapter/resource.ts';
import type { AdapterDefinition } from '../../src/adapter/types.ts';
import { createLegacyModule } from '../../src/legacy/module.ts';
import { createRecordsModule } from '../../src/records/module.ts';
import type { Store } from '../../src/store/types.ts';
import { startTestService, type TestService } from './service.ts';

export type LimitsPatch = Partial<Omit<LegacyLimits, 'retry' | 'breaker'>> & {
  retry?: Partial<LegacyLimits['retry']>;
  breaker?: Partial<LegacyLimits['breaker']>;
};

/** Test defaults: no cache, no maintenance, quick retries, a breaker that will not open by accident. */
export const TEST_LIMITS: LegacyLimits = {
  timeoutMs: 2_000,
  maxConcurrency: 4,
  queueSize: 500,
  callsPerSecond: 10_000,
  maintenanceWindows: [],
  timezone: 'Europe/London',
  maxResponseBytes: 1024 * 1024,
  cacheTtlMs: 0,
  retry: { retries: 2, minDelayMs: 5, maxDelayMs: 20, budgetRatio: 1, minPerSecond: 10 },
  breaker: {
    errorThresholdPercentage: 50,
    volumeThreshold: 100_000,
    rollingWindowMs: 10_000,
    resetTimeoutMs: 60_000,
  },
};

export function erpWith(patch: LimitsPatch = {}): AdapterDefinition {
  const limits: LegacyLimits = {
    ...TEST_LIMITS,
    ...patch,
    retry: { ...TEST_LIMITS.retry, ...patch.retry },
    breaker: { ...TEST_LIMITS.breaker, ...patch.breaker },
  };
  return { ...erp, soap: { ...erp.soap!, limits } };
}

export function startSim(cfg: SimulatorConfig = {}): Promise<ErpSimulator> {
  return startErpSimulator({ latencyMs: 0, workers: 64, ...cfg });
}

/** seam's read facade over `sim`, with the given limits. */
export function startFacade(
  store: Store,
  sim: ErpSimulator,
  patch: LimitsPatch = {},
  env: Record<string, string> = {},
): Promise<TestService> {
  return startTestService(store, {
    modules: [accessModule, createLegacyModule({ adapters: [erpWith(patch)] }), createRecordsModule()],
    env: {
      SEAM_LEGACY_URL: sim.url,
      SEAM_LEGACY_POLL: 'false',
      SEAM_RATE_LIMIT_PER_MINUTE: '100000',
      SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: '1000000',
      ...env,
    },
  });
}

export const ALL_READ = ['read:accounts', 'read:items', 'read:orders'];
