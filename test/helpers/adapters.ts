/**
 * Adapters for contract and swap tests: every folder in adapters/ found on disk, and one adapter
 * wired to its own simulator through the real transport, guard and registry (no seam service).
 */
import fs from 'node:fs';
import path from 'node:path';
import client from 'prom-client';
import { ADAPTERS_DIR, createSystems, type Systems } from '../../src/adapter/registry.ts';
import type { LegacyLimits, Simulator } from '../../src/adapter/resource.ts';
import type { AdapterDefinition } from '../../src/adapter/types.ts';
import { LegacyGuard } from '../../src/legacy/guard.ts';
import { createLegacyMetrics } from '../../src/legacy/metrics.ts';
import { createTransport, linkOf } from '../../src/legacy/transport.ts';
import { TEST_LIMITS } from './erp.ts';
import { silentLog } from './store.ts';

/** Folder names under adapters/ that hold an adapter (an index.ts), sorted. */
export function adapterFolders(dir = ADAPTERS_DIR): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'index.ts')))
    .map((e) => e.name)
    .sort();
}

/** The adapter with test limits (no cache, no maintenance, a breaker that will not open by accident). */
export function withTestLimits(a: AdapterDefinition, limits: LegacyLimits = TEST_LIMITS): AdapterDefinition {
  if (a.soap) return { ...a, soap: { ...a.soap, limits } };
  if (a.http) return { ...a, http: { ...a.http, limits } };
  return a;
}

export interface Connected {
  systems: Systems;
  endpoint: string;
  close(): Promise<void>;
}

/** Start the adapter's simulator and reach it as seam does: transport → guard → registry. */
export async function connectToSimulator(adapter: AdapterDefinition): Promise<Connected> {
  const link = linkOf(adapter);
  if (!link) throw new Error(`${adapter.system} declares no soap or http`);
  if (!adapter.simulator) throw new Error(`${adapter.system} has no simulator`);
  const sim: Simulator = await adapter.simulator({ latencyMs: 0, workers: 8 });
  const { transport, operations } = createTransport(adapter, { endpoint: sim.url, limits: link.limits });
  const metrics = createLegacyMetrics(new client.Registry(), () => []);
  const guard = new LegacyGuard({
    system: adapter.system,
    limits: link.limits,
    operations,
    transport,
    metrics,
    log: silentLog,
  });
  const systems = createSystems(
    [{ adapter, endpoint: { kind: 'simulator', url: sim.url }, connection: guard }],
    silentLog,
  );
  return {
    systems,
    endpoint: sim.url,
    async close() {
      await guard.close();
      transport.close();
      await sim.close();
    },
  };
}
