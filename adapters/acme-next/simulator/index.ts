/** The ACME Next simulator as the adapter offers it to seam (started when no endpoint is configured). */
import type { SimulatorFactory } from '../../../src/adapter/resource.ts';
import { startNextSimulator } from './server.ts';

export {
  startNextSimulator,
  type NextFailureMode,
  type NextSimulator,
  type NextSimulatorConfig,
  type NextStats,
} from './server.ts';
export { NextData } from './data.ts';

export const simulator: SimulatorFactory = async (opts) => {
  // `workers` is the demo box's worker slots; the modern service has more, so it is not the limit.
  const sim = await startNextSimulator({ latencyMs: opts.latencyMs, workers: Math.max(16, opts.workers) });
  return { url: sim.url, close: () => sim.close() };
};
