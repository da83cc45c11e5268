/**
 * Run the ACME Next simulator on its own (a second terminal, shadow mode against a separate process):
 *
 *   node --import tsx adapters/acme-next/simulator/main.ts [--port 7002] [--latency 10] [--token T]
 *
 * Prints one JSON line `{"url": ...}` once it listens (the base URL to give seam as its endpoint);
 * stops on SIGTERM/SIGINT. Control it over HTTP: GET /__sim/stats, POST /__sim/mode {"mode":"busy"}.
 */
import { parseArgs } from 'node:util';
import { startNextSimulator } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    latency: { type: 'string', default: '10' },
    workers: { type: 'string', default: '16' },
    token: { type: 'string' },
  },
});
const sim = await startNextSimulator({
  port: Number(values.port),
  latencyMs: Number(values.latency),
  workers: Number(values.workers),
  ...(values.token ? { token: values.token } : {}),
});
process.stdout.write(JSON.stringify({ url: sim.url }) + '\n');
const stop = () => void sim.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
