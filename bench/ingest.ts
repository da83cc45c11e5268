/**
 * Batch ingest benchmark: a generated accounts snapshot (windows-1252 CSV with quoted fields and a
 * control trailer) into an empty store, then a second snapshot with 1% changed, 0.1% deleted and
 * 0.1% added, end to end (hash, read, decode, parse, validate with zod, stage, diff, apply, events,
 * ledger, move). Baseline in the same run: PostgreSQL's own COPY of the same file into a bare table.
 * Each (store, size) runs in its own child process so its peak RSS is its own.
 *
 *   npm run bench:ingest                       # 100k and 1M rows on PostgreSQL, 100k on PGlite
 *   npm run bench:ingest -- --pglite-rows 100000,1000000 --pg-rows 100000
 *
 * PostgreSQL from TEST_DATABASE_URL or DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 * Account numbers are 6 digits in the demo system (at most 1M accounts), so the benchmark feed is the
 * demo ACCOUNTS feed with 8-digit keys; everything else (format, checks, mapping) is the same.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { z } from 'zod';
import { accountsFeedDefinition } from '../adapters/acme-erp/feeds.ts';
import { Account } from '../adapters/acme-erp/resources.ts';
import { defineFeed } from '../src/adapter/feed.ts';
import { ensureDropDirs } from '../src/ingest/files.ts';
import { Ingestor } from '../src/ingest/ingest.ts';
import { createLogger } from '../src/log.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { expectedDiff, snapshotRows, writeAccountsCsv } from './generate-accounts.ts';

const DIGITS = 8;
const PG_URL =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = createLogger({ level: 'silent' });

const benchFeed = defineFeed({
  ...accountsFeedDefinition,
  keyOf: (raw) => ((raw.ACCT_NO ?? '').trim().match(/^\d{8}$/) ? raw.ACCT_NO!.trim() : undefined),
  record: Account.extend({ accountNumber: z.string().regex(/^\d{8}$/) }),
});

interface Run {
  ms: number;
  rowsPerSec: number;
  timings: Record<string, number>;
  changes: Record<string, number>;
  /** CPU seconds of this process and of its PostgreSQL backends during the run. */
  cpu: { nodeS: number; postgresS?: number };
  /** One-minute load average at the end of the run. */
  loadAvg: number;
}

interface Result {
  store: string;
  rows: number;
  fileMB: number;
  copyMs?: number;
  copyCpuS?: number | undefined;
  /** PostgreSQL copying, already built, only the rows a first snapshot must commit (records and events). */
  floorMs?: number;
  first: Run;
  second: Run;
  eventsMatch: boolean;
  eventCounts: Record<string, number>;
  peakRssMB: number;
}

async function files(n: number): Promise<{ a: string; b: string }> {
  const dir = path.join(os.tmpdir(), `seam-bench-accounts-${n}`);
  const a = path.join(dir, 'ACCOUNTS_20240301.csv');
  const b = path.join(dir, 'ACCOUNTS_20240302.csv');
  if (!fs.existsSync(b)) {
    fs.mkdirSync(dir, { recursive: true });
    await writeAccountsCsv(a, snapshotRows(n, 'a', DIGITS));
    await writeAccountsCsv(b, snapshotRows(n, 'b', DIGITS));
  }
  return { a, b };
}

/** A connection of its own to the bench's schema. */
async function schemaClient(schema: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  return client;
}

/** PostgreSQL's own COPY of the same file (minus its trailer line) into a bare table. */
async function copyBaseline(file: string, schema: string): Promise<number> {
  const client = await schemaClient(schema);
  try {
    await client.query(
      `CREATE UNLOGGED TABLE bare (${accountsFeedDefinition.format.columns.map((c) => `${c} text`).join(', ')})`,
    );
    const size = fs.statSync(file).size;
    const tail = Buffer.alloc(Math.min(200, size));
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    fs.closeSync(fd);
    const trailerAt = size - tail.length + tail.lastIndexOf('TRAILER,');
    const t0 = performance.now();
    const sink = client.query(
      copyStreams.from(`COPY bare FROM STDIN (FORMAT csv, HEADER true, ENCODING 'WIN1252')`),
    );
    await new Promise<void>((resolve, reject) => {
      const src = fs.createReadStream(file, { end: trailerAt - 1, highWaterMark: 1 << 20 });
      src.on('error', reject);
      sink.on('error', reject);
      sink.on('finish', () => resolve());
      src.pipe(sink);
    });
    return performance.now() - t0;
  } finally {
    await client.end();
  }
}

/**
 * The least PostgreSQL itself spends on a first snapshot: the rows it must commit (every record,
 * and its `created` event carrying that record) copied, already built, from the tables the ingest
 * just wrote into empty tables of the same definition and indexes, in one transaction. Nothing is
 * read, parsed, validated, diffed or built, so no ingest of the same file can commit sooner.
 */
async function writeFloor(schema: string, lastPosition: number): Promise<number> {
  const client = await schemaClient(schema);
  try {
    await client.query('CREATE TABLE floor_records (LIKE records INCLUDING ALL)');
    await client.query('CREATE TABLE floor_events (LIKE events INCLUDING ALL)');
    const t0 = performance.now();
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO floor_records SELECT * FROM records WHERE system = 'erp' AND resource = 'accounts'`,
    );
    await client.query(
      `INSERT INTO floor_events SELECT * FROM events WHERE position <= $1 AND type = 'erp.account.created'`,
      [lastPosition],
    );
    await client.query('COMMIT');
    return performance.now() - t0;
  } finally {
    await client.query('DROP TABLE IF EXISTS floor_records, floor_events').catch(() => undefined);
    await client.end();
  }
}

/**
 * CPU seconds spent by this process's PostgreSQL backends (the machine is shared, so wall time alone
 * says little): every connection the child opens carries its application name, and a sampler reads
 * their CPU counters from /proc (PostgreSQL runs on this machine) four times a second.
 */
function pgCpuSampler(appName: string) {
  const seen = new Map<number, number>();
  const client = new pg.Client({ connectionString: PG_URL, application_name: `${appName}-sampler` });
  let timer: NodeJS.Timeout | undefined;
  const ticks = (pid: number): number | undefined => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return undefined;
    }
  };
  const sample = async () => {
    const r = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [appName],
    );
    for (const { pid } of r.rows) {
      const t = ticks(pid);
      if (t !== undefined) seen.set(pid, Math.max(seen.get(pid) ?? 0, t));
    }
  };
  return {
    async start() {
      await client.connect();
      const loop = () => {
        timer = setTimeout(() => {
          sample().then(loop, () => undefined);
        }, 250);
      };
      loop();
    },
    /** CPU seconds so far (clock ticks of 10 ms). */
    async seconds(): Promise<number> {
      await sample();
      let sum = 0;
      for (const t of seen.values()) sum += t;
      return sum / 100;
    },
    async stop() {
      clearTimeout(timer);
      await client.end();
    },
  };
}

async function child(kind: 'postgres' | 'pglite', n: number): Promise<Result> {
  const { a, b } = await files(n);
  const appName = `seam-bench-${process.pid}`;
  process.env.PGAPPNAME = appName;
  const sampler = kind === 'postgres' ? pgCpuSampler(appName) : undefined;
  await sampler?.start();
  const schema = `bench_ingest_${process.pid}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-bench-'));
  const drop = path.join(work, 'drop');
  ensureDropDirs(drop);
  const store: Store =
    kind === 'postgres'
      ? await openStore({ url: PG_URL, schema, poolMax: 4, dataDir: work }, log)
      : await openStore({ schema, poolMax: 1, dataDir: work }, log);
  try {
    await migrate(store, log);
    const ingestor = new Ingestor({
      store,
      log,
      feeds: [{ ...benchFeed, system: 'erp' }],
      dropDir: drop,
      ...(kind === 'postgres' ? { copyUrl: PG_URL } : {}),
      maxBadShare: 0.01,
      maxLineChars: 1 << 20,
    });
    const run = async (file: string) => {
      const target = path.join(drop, path.basename(file));
      fs.copyFileSync(file, target);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const p0 = (await sampler?.seconds()) ?? 0;
      const out = await ingestor.ingest(target);
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const cpu = {
        nodeS: Math.round((c.user + c.system) / 1e4) / 100,
        ...(sampler ? { postgresS: Math.round(((await sampler.seconds()) - p0) * 100) / 100 } : {}),
      };
      if (out.status !== 'applied') throw new Error(`not applied: ${JSON.stringify(out)}`);
      const t = await store.query<{ timings: Record<string, number> }>(
        'SELECT timings FROM ingest_files WHERE id = $1',
        [out.fileId],
      );
      return {
        ms,
        rowsPerSec: Math.round((n / ms) * 1000),
        timings: t.rows[0]!.timings,
        changes: out.changes!,
        cpu,
        loadAvg: os.loadavg()[0]!,
      };
    };
    const first = await run(a);
    const head = (await store.query<{ p: number }>('SELECT last_position AS p FROM event_log_head')).rows[0]!
      .p;
    const floorMs = kind === 'postgres' ? await writeFloor(schema, head) : undefined;
    const second = await run(b);
    const ev = await store.query<{ type: string; key: string }>(
      "SELECT type, aggregate_id AS key FROM events WHERE position > $1 AND type LIKE 'erp.account.%' ORDER BY type, aggregate_id",
      [head],
    );
    const want = expectedDiff(n, DIGITS);
    const got = (t: string) => ev.rows.filter((r) => r.type === `erp.account.${t}`).map((r) => r.key);
    const eventsMatch =
      JSON.stringify(got('created')) === JSON.stringify(want.created) &&
      JSON.stringify(got('updated')) === JSON.stringify(want.updated) &&
      JSON.stringify(got('deleted')) === JSON.stringify(want.deleted);
    const cp0 = (await sampler?.seconds()) ?? 0;
    const copyMs = kind === 'postgres' ? await copyBaseline(a, schema) : undefined;
    const copyCpuS = sampler ? Math.round(((await sampler.seconds()) - cp0) * 100) / 100 : undefined;
    return {
      store: kind,
      rows: n,
      fileMB: Math.round(fs.statSync(a).size / 1e5) / 10,
      ...(copyMs !== undefined ? { copyMs: Math.round(copyMs), copyCpuS } : {}),
      ...(floorMs !== undefined ? { floorMs: Math.round(floorMs) } : {}),
      first: { ...first, ms: Math.round(first.ms) },
      second: { ...second, ms: Math.round(second.ms) },
      eventsMatch,
      eventCounts: {
        created: got('created').length,
        updated: got('updated').length,
        deleted: got('deleted').length,
      },
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await sampler?.stop();
    if (kind === 'postgres')
      await store.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await store.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      rows: { type: 'string' },
      'pg-rows': { type: 'string', default: '100000,1000000' },
      'pglite-rows': { type: 'string', default: '100000' },
    },
  });
  if (values.child) {
    const r = await child(values.child as 'postgres' | 'pglite', Number(values.rows));
    console.log(JSON.stringify(r));
    return;
  }
  console.log(`batch ingest benchmark on ${os.cpus().length} cores, node ${process.version}`);
  const plan = [
    ...values['pg-rows']!.split(',')
      .filter(Boolean)
      .map((n) => ['postgres', n] as const),
    ...values['pglite-rows']!.split(',')
      .filter(Boolean)
      .map((n) => ['pglite', n] as const),
  ];
  for (const [kind, n] of plan) {
    await files(Number(n));
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', import.meta.filename, '--child', kind, '--rows', n],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
        env: process.env,
      },
    );
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      console.log(`${kind} ${n}: failed\n${r.stderr.slice(-3000)}`);
      continue;
    }
    const x = JSON.parse(line) as Result;
    console.log(
      `\n${x.store}, ${x.rows.toLocaleString('en')} rows (${x.fileMB} MB):\n` +
        `  first snapshot into empty store: ${(x.first.ms / 1000).toFixed(1)} s, ${x.first.rowsPerSec.toLocaleString('en')} rows/s ` +
        `(hash ${x.first.timings.hashMs} ms, read+validate+stage ${x.first.timings.readMs} ms, diff+apply+events ${x.first.timings.applyMs} ms)\n` +
        `  second snapshot (1% changed, 0.1% deleted, 0.1% added): ${(x.second.ms / 1000).toFixed(1)} s, ` +
        `${x.second.rowsPerSec.toLocaleString('en')} rows/s (read+validate+stage ${x.second.timings.readMs} ms, diff+apply+events ${x.second.timings.applyMs} ms)\n` +
        (x.copyMs !== undefined
          ? `  baseline: PostgreSQL COPY of the same file into a bare table: ${(x.copyMs / 1000).toFixed(1)} s (${x.copyCpuS} s CPU); ` +
            `ours is ${(x.first.ms / x.copyMs).toFixed(1)}x (first), ${(x.second.ms / x.copyMs).toFixed(1)}x (second)\n`
          : '') +
        (x.floorMs !== undefined && x.copyMs !== undefined
          ? `  floor: PostgreSQL copying only the rows a first snapshot commits, already built (${x.rows.toLocaleString('en')} records and their created events, ` +
            `into the same tables and indexes, one transaction): ${(x.floorMs / 1000).toFixed(1)} s, ` +
            `${Math.round((x.rows / x.floorMs) * 1000).toLocaleString('en')} rows/s, ${(x.floorMs / x.copyMs).toFixed(1)}x COPY\n`
          : '') +
        `  events of the second snapshot: ${JSON.stringify(x.eventCounts)}; exactly the diff: ${x.eventsMatch ? 'yes' : 'NO'}\n` +
        `  peak RSS of the process: ${x.peakRssMB} MB\n` +
        `  CPU seconds (node / postgres): first ${x.first.cpu.nodeS} / ${x.first.cpu.postgresS ?? '-'}, ` +
        `second ${x.second.cpu.nodeS} / ${x.second.cpu.postgresS ?? '-'}; ` +
        `load average at the end of each: ${x.first.loadAvg.toFixed(1)}, ${x.second.loadAvg.toFixed(1)}\n` +
        `  timings (ms): first ${JSON.stringify(x.first.timings)}; second ${JSON.stringify(x.second.timings)}\n` +
        `  load average after the run: ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
    );
  }
}

await main();
