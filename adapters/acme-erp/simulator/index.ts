/** The ERP simulator as the adapter offers it to seam (started when no endpoint is configured). */
import type { SimulatorFactory } from '../../../src/adapter/resource.ts';
import { startErpSimulator } from './server.ts';

export { startErpSimulator, type ErpSimulator, type FailureMode, type SimulatorStats } from './server.ts';
export { LegacyData } from './data.ts';
export { WRITE_OPERATIONS } from './services.ts';

export const simulator: SimulatorFactory = async (opts) => {
  const sim = await startErpSimulator({ latencyMs: opts.latencyMs, workers: opts.workers });
  return { url: sim.url, close: () => sim.close() };
};
