/**
 * Run the ERP simulator on its own (a second terminal, a benchmark's child process):
 *
 *   node --import tsx adapters/acme-erp/simulator/main.ts [--port 7001] [--latency 40] [--workers 6]
 *
 * Prints one JSON line `{"url": ...}` once it listens; stops on SIGTERM/SIGINT. Control it over
 * HTTP: GET /__sim/stats, POST /__sim/mode {"mode":"hang"}, POST /__sim/latency {"ms":0}.
 */
import { parseArgs } from 'node:util';
import { startErpSimulator } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    latency: { type: 'string', default: '40' },
    workers: { type: 'string', default: '6' },
    'box-queue': { type: 'string', default: '64' },
  },
});
const sim = await startErpSimulator({
  port: Number(values.port),
  latencyMs: Number(values.latency),
  workers: Number(values.workers),
  boxQueue: Number(values['box-queue']),
});
process.stdout.write(JSON.stringify({ url: sim.url }) + '\n');
const stop = () => void sim.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
