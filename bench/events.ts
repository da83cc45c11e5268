/**
 * Event feed benchmarks (`npm run bench:events`), printed with a baseline measured in the same run:
 *
 * 1. Fan-out latency: 100 SSE readers connected to one seam process; events committed one at a
 *    time; for every event and reader, the time from the writer issuing COMMIT to the reader having
 *    the event parsed. Readers run in a worker thread (the second core), like clients would.
 *    Baseline: one bare LISTEN on the same store, COMMIT → NOTIFY arrival.
 * 2. Feed throughput: one reader paging GET /v1/events?limit=1000 over a preloaded log (account
 *    records with personal fields, redacted for a key without pii scopes).
 *    Baseline: the same pages read straight from the store (readEvents, no HTTP).
 *
 * Stores: PostgreSQL when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, and embedded PGlite;
 * `--store postgres|pglite` picks one. `--events N` sets the preloaded log size (default 100000).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createKey } from '../src/access/keys.ts';
import { accessModule } from '../src/access/module.ts';
import { auditModule } from '../src/audit/module.ts';
import { loadConfig } from '../src/config.ts';
import { appendEvents } from '../src/events/append.ts';
import { createEventsModule } from '../src/events/module.ts';
import { readEvents } from '../src/events/read.ts';
import type { NewEvent } from '../src/events/types.ts';
import { createLogger } from '../src/log.ts';
import { startService } from '../src/server.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { notify } from '../src/store/notify.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const READERS = Number(arg('readers') ?? 100);
const FANOUT_EVENTS = Number(arg('fanout-events') ?? 200);
const FANOUT_INTERVAL_MS = 20;
const LOG_EVENTS = Number(arg('events') ?? 100_000);
const PAGE = 1000;

const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' });
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
function summary(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(1).padStart(6);
  return `p50 ${f(pct(s, 50))} ms   p99 ${f(pct(s, 99))} ms   max ${f(s.at(-1)!)} ms   (n=${s.length})`;
}

function accountEvent(i: number): NewEvent {
  const key = String(i).padStart(6, '0');
  return {
    source: 'erp/feeds/ACCOUNTS',
    type: 'erp.account.updated',
    subject: `accounts/${key}`,
    data: {
      system: 'erp',
      resource: 'accounts',
      key,
      changes: { creditLimit: { before: '5000.00', after: '7500.00' } },
      record: {
        accountNumber: key,
        name: `Customer ${key} AG`,
        email: `billing-${key}@example.com`,
        phone: '+41 44 555 01 23',
        street: 'Bahnhofstrasse 1',
        city: 'Zurich',
        country: 'CH',
        creditLimit: '7500.00',
        balance: '1234.50',
        status: 'ACTIVE',
      },
      provenance: { via: 'feed', feed: 'ACCOUNTS', file: 'ACCOUNTS_20261117.csv', line: i + 2 },
    },
    aggregateType: 'accounts',
    aggregateId: key,
  };
}

/** Append one event in its own transaction; returns the time just before COMMIT was issued. */
async function commitOne(store: Store, event: NewEvent): Promise<number> {
  return store.transaction(async (tx) => {
    await appendEvents(tx, [event]);
    return now();
  });
}

/** The SSE readers, in a worker thread: connect, report ready, record arrival times per seq. */
const READER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, key, readers } = workerData;
const now = () => performance.timeOrigin + performance.now();
const arrivals = [];
let connected = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: readers + 10 });
for (let r = 0; r < readers; r++) {
  http.get(url, { agent, headers: { authorization: 'Bearer ' + key, accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => parentPort.postMessage({ error: 'status ' + res.statusCode + ' ' + body }));
      return;
    }
    connected++;
    if (connected === readers) parentPort.postMessage({ ready: true });
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk) => {
      buf += chunk;
      let cut;
      while ((cut = buf.indexOf('\\n\\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const line = block.split('\\n').find((l) => l.startsWith('data:'));
        if (!line) continue;
        const ev = JSON.parse(line.slice(5));
        if (typeof ev.data.seq === 'number') arrivals.push([ev.data.seq, now()]);
      }
    });
  });
}
parentPort.on('message', (m) => { if (m === 'report') parentPort.postMessage({ arrivals }); });
`;

/**
 * The paging reader, in a worker thread too: GET /v1/events?after=&limit= until the end, with
 * node:http and keep-alive (undici's fetch().text() costs several times more per 700 KB page).
 */
const PAGER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { base, key, limit } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (after) => new Promise((resolve, reject) => {
  http.get(base + '/v1/events?after=' + after + '&limit=' + limit, { agent, headers: { authorization: 'Bearer ' + key } }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (res.statusCode === 200) resolve({ text, page: JSON.parse(text) });
      else reject(new Error('status ' + res.statusCode + ' ' + text));
    });
    res.on('error', reject);
  }).on('error', reject);
});
(async () => {
  await get(0);
  let after = 0, read = 0, bytes = 0, redacted = true;
  const started = performance.now();
  for (;;) {
    const { text, page } = await get(after);
    if (page.events.length === 0) break;
    if (page.events[0].data.record.email !== '[REDACTED]') redacted = false;
    bytes += text.length;
    read += page.events.length;
    after = page.next;
  }
  parentPort.postMessage({ read, bytes, secs: (performance.now() - started) / 1000, redacted });
})().catch((err) => parentPort.postMessage({ error: String(err) }));
`;

async function benchStore(kind: 'postgres' | 'pglite'): Promise<void> {
  const schema = `bench_events_${randomBytes(3).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-bench-'));
  const store = await openStore(
    { url: kind === 'postgres' ? PG_URL : undefined, schema, poolMax: 20, dataDir: 'memory://' },
    log,
  );
  await migrate(store, log);
  const config = loadConfig({
    PORT: '0',
    SEAM_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SEAM_MAX_PAGE_SIZE: '1000',
    SEAM_RATE_LIMIT_PER_MINUTE: '1000000',
    SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: '10000000',
  });
  const svc = await startService(config, {
    log,
    store,
    modules: [
      auditModule,
      accessModule,
      createEventsModule({
        sensitiveFields: (system, resource) =>
          system === 'erp' && resource === 'accounts' ? ['email', 'phone'] : undefined,
      }),
    ],
  });
  const { key } = await createKey(store, { name: 'bench', scopes: ['events:read'] }, 'bench');
  console.log(
    `\n## ${kind} (${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)})`,
  );
  try {
    // ---- 1. fan-out latency -------------------------------------------------------------
    const baseline: number[] = [];
    let pendingT0 = 0;
    const unlisten = await store.listen('bench_baseline', () => baseline.push(now() - pendingT0));
    for (let i = 0; i < FANOUT_EVENTS; i++) {
      await store.transaction(async (tx) => {
        await notify(tx, 'bench_baseline', 'x');
        pendingT0 = now();
      });
      await sleep(FANOUT_INTERVAL_MS);
    }
    await unlisten();

    const worker = new Worker(READER_CODE, {
      eval: true,
      workerData: { url: `${svc.url}/v1/events/stream`, key, readers: READERS },
    });
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: { ready?: boolean; error?: string }) => {
        if (m.ready) resolve();
        if (m.error) reject(new Error(m.error));
      });
      worker.on('error', reject);
    });
    while (svc.ctx.services.events!.hub.streams < READERS) await sleep(10);
    const t0: number[] = [];
    for (let i = 0; i < FANOUT_EVENTS + 20; i++) {
      const seq = i - 20; // the first 20 warm up
      t0[i] = await commitOne(store, { ...accountEvent(i), data: { ...accountEvent(i).data, seq } });
      await sleep(FANOUT_INTERVAL_MS);
    }
    await sleep(500);
    const arrivals = await new Promise<[number, number][]>((resolve) => {
      worker.once('message', (m: { arrivals: [number, number][] }) => resolve(m.arrivals));
      worker.postMessage('report');
    });
    await worker.terminate();
    const latencies = arrivals.filter(([seq]) => seq >= 0).map(([seq, at]) => at - t0[seq + 20]!);
    const expected = FANOUT_EVENTS * READERS;
    console.log(
      `commit → ${READERS} SSE readers   ${summary(latencies)}${latencies.length < expected ? `  MISSING ${expected - latencies.length}` : ''}`,
    );
    console.log(`baseline: COMMIT → NOTIFY        ${summary(baseline)}`);

    // ---- 2. feed throughput -------------------------------------------------------------
    await store.exec('TRUNCATE events');
    await store.exec('UPDATE event_log_head SET last_position = 0');
    for (let start = 0; start < LOG_EVENTS; start += 5000) {
      const n = Math.min(5000, LOG_EVENTS - start);
      await store.transaction((tx) =>
        appendEvents(
          tx,
          Array.from({ length: n }, (_, i) => accountEvent(start + i)),
        ),
      );
    }
    const paged = await new Promise<{ read: number; bytes: number; secs: number; redacted: boolean }>(
      (resolve, reject) => {
        const w = new Worker(PAGER_CODE, { eval: true, workerData: { base: svc.url, key, limit: PAGE } });
        w.once(
          'message',
          (m: { error?: string; read: number; bytes: number; secs: number; redacted: boolean }) => {
            if (m.error) reject(new Error(m.error));
            else resolve(m);
            void w.terminate();
          },
        );
        w.once('error', reject);
      },
    );
    if (!paged.redacted) throw new Error('redaction was not applied');
    const { read, bytes, secs } = paged;
    let direct = 0;
    let after = 0;
    const dStarted = now();
    for (;;) {
      const page = await readEvents(store, { after, limit: PAGE });
      if (page.events.length === 0) break;
      direct += page.events.length;
      after = page.next;
    }
    const dSecs = (now() - dStarted) / 1000;
    const rate = (n: number, s: number) =>
      `${Math.round(n / s)
        .toLocaleString('en-US')
        .padStart(8)} events/s`;
    console.log(
      `feed, one reader, limit=${PAGE}     ${rate(read, secs)}   (${read} events, ${(bytes / 1e6).toFixed(0)} MB JSON in ${secs.toFixed(2)} s)`,
    );
    console.log(
      `baseline: store read, no HTTP    ${rate(direct, dSecs)}   (${direct} events in ${dSecs.toFixed(2)} s)`,
    );
  } finally {
    await svc.stop();
    if (store.kind === 'postgres') await store.exec(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const only = arg('store');
const kinds: ('postgres' | 'pglite')[] = [];
if ((only === undefined || only === 'postgres') && PG_URL) kinds.push('postgres');
if (only === undefined || only === 'pglite') kinds.push('pglite');
console.log('# seam event feed benchmark');
for (const k of kinds) await benchStore(k);
