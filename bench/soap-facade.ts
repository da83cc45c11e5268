/**
 * The SOAP read facade, measured against same-run baselines (npm run bench:soap):
 *
 * 1. Live-read overhead: p50/p95 of `GET /v1/accounts/:id?consistency=live` through seam vs a direct
 *    node-soap call to the same simulator (cache off, so every read calls the box).
 * 2. 200 concurrent agents reading one record: how many SOAP calls the box saw (adapter defaults).
 * 3. 200 concurrent agents reading different records: the most calls the box had in flight at once,
 *    vs seam's configured max concurrency.
 * 4. Store-served reads: requests/s of `GET /v1/accounts/:id` (from the store, with auth and
 *    redaction) vs a bare express route returning a constant JSON body, same connections, same run,
 *    in alternating rounds (BENCH_ROUNDS, default 5, over BENCH_DURATION_S, default 10 s per side)
 *    so load from other work on the machine falls on both sides alike; with this process's CPU time
 *    per request on each side, which moves less with machine load than requests/s do.
 *
 * BENCH_ONLY=live,agents,store runs a subset (e.g. under `node --cpu-prof`).
 *
 * The simulator runs in a child process (like a real box, off seam's event loop); seam, the bare
 * express baseline and the load generator (autocannon) share this process, so both sides of each
 * comparison pay the same. Figures are printed; they belong in docs/benchmarks.md.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import express from 'express';
import soap from 'soap';
import erp from '../adapters/acme-erp/index.ts';
import { WSDL_PATH } from '../adapters/acme-erp/soap.ts';
import { createKey } from '../src/access/keys.ts';
import { accessModule } from '../src/access/module.ts';
import { loadConfig } from '../src/config.ts';
import { createLegacyModule } from '../src/legacy/module.ts';
import { createLogger } from '../src/log.ts';
import { createRecordsModule } from '../src/records/module.ts';
import { startService, type Service } from '../src/server.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const LIVE_SAMPLES = Number(process.env.BENCH_LIVE_SAMPLES ?? 1000);
/** Rounds of each figure-1 request before measuring. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
/** Seconds of load on each side of figure 4, split into alternating rounds. */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Set to run seam on PostgreSQL (a throw-away schema, dropped at the end) instead of PGlite. */
const DATABASE_URL = process.env.BENCH_DATABASE_URL;
const SCHEMA = `bench_soap_${process.pid}`;
/** Comma-separated subset of `live,agents,store` to run (profiling); all by default. */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'live,agents,store').split(','));

interface Sim {
  url: string;
  base: string;
  stop(): Promise<void>;
  stats(): Promise<{ calls: Record<string, number>; maxInFlight: number; total: number }>;
  post(p: string, body?: unknown): Promise<void>;
}

async function startSimProcess(latencyMs: number, workers: number): Promise<Sim> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'adapters/acme-erp/simulator/main.ts'),
      '--latency',
      String(latencyMs),
      '--workers',
      String(workers),
      '--box-queue',
      '1000',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"url":"([^"]+)"\}/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  const base = url.replace(/\/erp\/ws$/, '');
  const post = async (p: string, body?: unknown) => {
    await fetch(base + p, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
  };
  return {
    url,
    base,
    post,
    stats: async () =>
      (await (await fetch(`${base}/__sim/stats`)).json()) as Awaited<ReturnType<Sim['stats']>>,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

async function startSeam(simUrl: string, env: Record<string, string>, cacheOff: boolean): Promise<Service> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-bench-'));
  const config = loadConfig({
    PORT: '0',
    SEAM_DATA_DIR: 'memory://',
    LOG_LEVEL: 'silent',
    ...(DATABASE_URL ? { DATABASE_URL, SEAM_DB_SCHEMA: SCHEMA } : {}),
    SEAM_LEGACY_URL: simUrl,
    SEAM_LEGACY_POLL: 'false',
    SEAM_RATE_LIMIT_PER_MINUTE: '1000000',
    SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: '10000000',
    SEAM_EVENTS_ARCHIVE_DIR: dataDir,
    ...(cacheOff ? { SEAM_LEGACY_CACHE_TTL_MS: '0' } : {}),
    ...env,
  });
  return startService(config, {
    log: createLogger({ level: 'silent' }),
    modules: [accessModule, createLegacyModule({ adapters: [erp] }), createRecordsModule()],
  });
}

async function liveOverhead(sim: Sim): Promise<void> {
  await sim.post('/__sim/latency', { ms: 0 });
  const seam = await startSeam(sim.url, { SEAM_LEGACY_CALLS_PER_SECOND: '100000' }, true);
  try {
    const { key } = await createKey(seam.ctx.store, { name: 'bench', scopes: ['read:accounts'] }, 'bench');
    const headers = { authorization: `Bearer ${key}` };
    const client = await soap.createClientAsync(WSDL_PATH, { endpoint: sim.url });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const direct = async () => {
      await (
        client as unknown as { GetAccountAsync: (a: unknown, o: unknown) => Promise<unknown> }
      ).GetAccountAsync({ ACCT_NO: '004471' }, { httpAgent: agent });
    };
    // Agents' requests to seam go over the same kind of connection as the direct call: node's http
    // client with a keep-alive agent (fetch would add ~0.3 ms of its own per request to seam's side).
    const seamAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (p: string) =>
      new Promise<void>((resolve, reject) => {
        http
          .get(`${seam.url}${p}`, { agent: seamAgent, headers }, (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`seam answered ${res.statusCode}`)),
            );
          })
          .on('error', reject);
      });
    const viaSeam = () => get('/v1/accounts/004471?consistency=live');
    // The same request answered from seam's store: what the HTTP hop, the key check, the audit entry
    // and the response cost on their own, without the legacy call.
    const fromStore = () => get('/v1/accounts/004471');
    // Warm up every path (WSDL load, JIT, first store write): timings settle after a few hundred.
    for (let i = 0; i < WARMUP; i++) {
      await direct();
      await viaSeam();
      await fromStore();
    }
    const d: number[] = [];
    const s: number[] = [];
    const st: number[] = [];
    // Interleave so all see the same machine conditions.
    for (let i = 0; i < LIVE_SAMPLES; i++) {
      let t = performance.now();
      await direct();
      d.push(performance.now() - t);
      t = performance.now();
      await viaSeam();
      s.push(performance.now() - t);
      t = performance.now();
      await fromStore();
      st.push(performance.now() - t);
    }
    d.sort((a, b) => a - b);
    s.sort((a, b) => a - b);
    st.sort((a, b) => a - b);
    console.log(
      `\n1. Live read, ${LIVE_SAMPLES} sequential reads each after ${WARMUP} to warm up, simulator latency 0 ms, seam cache off, calls-per-second limit off`,
    );
    console.log(`   direct node-soap call      p50 ${ms(pct(d, 50))}  p95 ${ms(pct(d, 95))}`);
    console.log(`   seam GET ?consistency=live p50 ${ms(pct(s, 50))}  p95 ${ms(pct(s, 95))}`);
    console.log(`   facade overhead            p50 ${ms(pct(s, 50) - pct(d, 50))}`);
    console.log(
      `   (same request from the store, no legacy call: p50 ${ms(pct(st, 50))}  p95 ${ms(pct(st, 95))})`,
    );
    agent.destroy();
    seamAgent.destroy();
  } finally {
    await seam.stop();
  }
}

async function concurrentAgents(sim: Sim): Promise<void> {
  await sim.post('/__sim/latency', { ms: 40 });
  const seam = await startSeam(sim.url, {}, false);
  try {
    const { key } = await createKey(seam.ctx.store, { name: 'bench', scopes: ['read:accounts'] }, 'bench');
    const headers = { authorization: `Bearer ${key}` };
    const limits = erp.soap!.limits;
    await sim.post('/__sim/reset');
    let statuses = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`${seam.url}/v1/accounts/004471?consistency=live`, { headers }).then((r) => r.status),
      ),
    );
    let st = await sim.stats();
    console.log('\n2. 200 concurrent agents, same record, live (adapter defaults, box latency 40 ms)');
    console.log(`   answers: ${summary(statuses)}; SOAP calls the box saw: ${st.calls.GetAccount ?? 0}`);

    await sim.post('/__sim/reset');
    const ids = Array.from({ length: 200 }, (_, i) => String(1000 + i * 41).padStart(6, '0'));
    const t = performance.now();
    statuses = await Promise.all(
      ids.map((id) =>
        fetch(`${seam.url}/v1/accounts/${id}?consistency=live`, { headers }).then((r) => r.status),
      ),
    );
    st = await sim.stats();
    console.log('\n3. 200 concurrent agents, different records, live');
    console.log(
      `   answers: ${summary(statuses)} in ${ms(performance.now() - t)}; calls the box saw: ${st.calls.GetAccount ?? 0}; ` +
        `most in flight at once: ${st.maxInFlight} (seam max concurrency ${limits.maxConcurrency}, queue ${limits.queueSize})`,
    );
  } finally {
    await seam.stop();
  }
}

function summary(statuses: number[]): string {
  const c = new Map<number, number>();
  for (const s of statuses) c.set(s, (c.get(s) ?? 0) + 1);
  return [...c.entries()].map(([s, n]) => `${n}×${s}`).join(', ');
}

interface CannonRun {
  requests: number;
  seconds: number;
  p50: number[];
  p99: number[];
  failed: number;
  statuses: Record<string, unknown>;
  cpuUs: number;
}

/** Add one autocannon run of `seconds` to `into`, with this process's CPU time (server and load generator). */
async function cannon(
  into: CannonRun,
  url: string,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<void> {
  const cpu = process.cpuUsage();
  const res = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: seconds, headers }, (err, r) =>
      err ? reject(err) : resolve(r),
    );
  });
  const used = process.cpuUsage(cpu);
  into.requests += res.requests.total;
  into.seconds += res.duration;
  into.p50.push(res.latency.p50);
  into.p99.push(res.latency.p99);
  into.failed += res.non2xx + res.errors;
  for (const [k, v] of Object.entries(res.statusCodeStats ?? {}))
    if (!k.startsWith('2')) into.statuses[k] = v;
  into.cpuUs += used.user + used.system;
}

const emptyRun = (): CannonRun => ({
  requests: 0,
  seconds: 0,
  p50: [],
  p99: [],
  failed: 0,
  statuses: {},
  cpuUs: 0,
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const rate = (r: CannonRun) => r.requests / Math.max(r.seconds, 1e-9);

async function storeReads(sim: Sim): Promise<void> {
  const seam = await startSeam(sim.url, {}, false);
  const bare = express();
  const constant = {
    system: 'erp',
    resource: 'accounts',
    id: '004471',
    version: 1,
    data: {
      accountNumber: '004471',
      name: 'NORTHWIND TRADING LTD',
      status: 'ACTIVE',
      creditLimit: '15000.00',
    },
    source: 'store',
    as_of: new Date().toISOString(),
    stale: false,
  };
  bare.get('/x', (_req, res) => {
    res.json(constant);
  });
  const server = await new Promise<http.Server>((resolve) => {
    const s = bare.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const { key } = await createKey(seam.ctx.store, { name: 'bench', scopes: ['read:accounts'] }, 'bench');
    const headers = { authorization: `Bearer ${key}` };
    // Put the record in the store first.
    const first = await fetch(`${seam.url}/v1/accounts/004471`, { headers });
    if (first.status !== 200) throw new Error(`seam answered ${first.status}`);
    const check = (await (await fetch(`${seam.url}/v1/accounts/004471`, { headers })).json()) as {
      source: string;
    };
    if (check.source !== 'store') throw new Error('expected a store-served read');
    const port = (server.address() as AddressInfo).port;
    // Alternate short runs of both so a machine whose load changes during the run (other work on
    // a shared box) weighs on both sides alike; rates are total requests over total time.
    const base = emptyRun();
    const store = emptyRun();
    const slice = Math.max(1, Math.round(DURATION_S / ROUNDS));
    for (let i = 0; i < ROUNDS; i++) {
      if (i % 2 === 0) {
        await cannon(base, `http://127.0.0.1:${port}/x`, slice);
        await cannon(store, `${seam.url}/v1/accounts/004471`, slice, headers);
      } else {
        await cannon(store, `${seam.url}/v1/accounts/004471`, slice, headers);
        await cannon(base, `http://127.0.0.1:${port}/x`, slice);
      }
    }
    const line = (r: CannonRun) =>
      `${rate(r).toFixed(0)} req/s  p50 ${median(r.p50)} ms  p99 ${median(r.p99)} ms  ` +
      `CPU ${(r.cpuUs / Math.max(1, r.requests)).toFixed(0)} µs/req`;
    console.log(
      `\n4. Store-served reads, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${slice} s each (autocannon; ` +
        `p50/p99: median over rounds; CPU: this process, server and load generator)`,
    );
    console.log(`   bare express constant JSON  ${line(base)}`);
    console.log(
      `   seam GET /v1/accounts/:id   ${line(store)}` +
        (store.failed ? `  (${store.failed} non-2xx/errors! ${JSON.stringify(store.statuses)})` : ''),
    );
    console.log(`   seam / bare                 ${((100 * rate(store)) / rate(base)).toFixed(0)} %`);
    console.log(`   seam store: ${seam.ctx.store.kind}`);
  } finally {
    server.close();
    await seam.stop();
  }
}

async function main() {
  console.log(`SOAP read facade benchmark (node ${process.version}, ${os.cpus().length} CPUs)`);
  const sim = await startSimProcess(0, 16);
  try {
    if (ONLY.has('live')) await liveOverhead(sim);
    if (ONLY.has('agents')) await concurrentAgents(sim);
    if (ONLY.has('store')) await storeReads(sim);
  } finally {
    await sim.stop();
    if (DATABASE_URL) {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await c.end();
    }
  }
}

await main();
