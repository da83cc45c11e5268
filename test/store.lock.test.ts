/**
 * One process at a time on an embedded store's folder (src/store/lock.ts). A second opener, in
 * another process or in this one, fails at once with a message naming the holder, and touches
 * nothing; close() and the death of the holder (kill -9 included) free the folder. Real child
 * processes, real PGlite folders in temp dirs. On PostgreSQL there is no folder lock: the CLI runs
 * beside a process holding the same database.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { migrate, openStore, StoreLockedError, type Store } from '../src/store/index.ts';
import { ROOT, runSeam, SEAM_BIN, type Run } from './helpers/process.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets } from './helpers/store.ts';

const ROWS = 1000;
const storeModule = pathToFileURL(path.join(ROOT, 'src/store/index.ts')).href;
const logModule = pathToFileURL(path.join(ROOT, 'src/log.ts')).href;

const open = (dataDir: string) => openStore({ schema: 'seam', poolMax: 1, dataDir }, silentLog);

/** The probe table's row count and the sum of its values, to see that nothing changed. */
async function probe(store: Store): Promise<{ n: number; sum: number }> {
  const r = await store.query<{ n: number; sum: number }>(
    'SELECT count(*)::int AS n, coalesce(sum(v), 0)::int AS sum FROM lock_probe',
  );
  return r.rows[0]!;
}

/**
 * A child process running `code` (ESM, top-level await) with `openStore` and a silent `log` in
 * scope and the data folder in `DIR`. Lines it prints arrive through `onLine`.
 */
function child(code: string, dataDir: string, onLine: (line: string) => void = () => {}) {
  const script =
    `const { openStore } = await import(${JSON.stringify(storeModule)});\n` +
    `const log = (await import(${JSON.stringify(logModule)})).createLogger({ level: 'silent' });\n` +
    `const DIR = ${JSON.stringify(dataDir)};\n${code}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) onLine(line);
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { proc, exited, output: () => ({ stdout, stderr }) };
}

/**
 * `seam ARGS` as a child process that is killed if still running after a minute: without the lock,
 * `seam serve` would run on and this test would hang instead of failing.
 */
function seamOnHeldFolder(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [SEAM_BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(deadline);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const lockedMessage = (pid: number) =>
  new RegExp(
    `the embedded store in .*pglite is already open in another process \\(pid ${pid}\\b.*` +
      'stop that process \\(e\\.g\\. the running `seam serve`\\).*DATABASE_URL',
  );

describe('embedded store folder lock (pglite)', () => {
  let dataDir: string;
  let held: Store | undefined;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-lock-'));
    held = await open(dataDir);
    await migrate(held, silentLog);
    await held.exec('CREATE TABLE lock_probe (id int PRIMARY KEY, v int NOT NULL)');
    await held.query('INSERT INTO lock_probe SELECT g, 1 FROM generate_series(1, $1::int) g', [ROWS]);
    assert.deepEqual(await probe(held), { n: ROWS, sum: ROWS });
  });

  after(async () => {
    await held?.close();
  });

  it('turns away a second process, which changes nothing', async () => {
    // What a colleague's test did to a held folder (and lost 774 of 1,000 rows): update every
    // row and checkpoint. Here the open fails before PGlite touches the folder.
    const writer = child(
      `try {
         const s = await openStore({ schema: 'seam', poolMax: 1, dataDir: DIR }, log);
         await s.query('UPDATE lock_probe SET v = v + 1');
         await s.exec('CHECKPOINT');
         await s.close();
         console.log('wrote');
       } catch (err) {
         console.error(err.code + ': ' + err.message);
         process.exit(3);
       }`,
      dataDir,
    );
    const { code } = await writer.exited;
    const { stdout, stderr } = writer.output();
    assert.equal(code, 3, `the second process opened the folder:\n${stdout}${stderr}`);
    assert.match(stderr, /^STORE_LOCKED: /);
    assert.match(stderr, lockedMessage(process.pid));
    assert.deepEqual(await probe(held!), { n: ROWS, sum: ROWS }, 'this process still sees every row');
  });

  it('turns away a second open in this process', async () => {
    await assert.rejects(open(dataDir), (err: unknown) => {
      assert.ok(err instanceof StoreLockedError);
      assert.match(err.message, new RegExp(`already open in this process \\(pid ${process.pid}\\)`));
      assert.equal(err.holder?.pid, process.pid);
      return true;
    });
    // The failed open left nothing behind: the held store still works.
    assert.deepEqual(await probe(held!), { n: ROWS, sum: ROWS });
  });

  it('reports it from the CLI as one line with exit 1', async () => {
    const env = { SEAM_DATA_DIR: dataDir, DATABASE_URL: undefined, SEAM_INGEST_WATCH: 'false' };
    for (const args of [['keys', 'list'], ['ingest', 'files'], ['migrate'], ['kill'], ['serve']]) {
      const r = await seamOnHeldFolder(args, env);
      assert.equal(r.code, 1, `seam ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '', `seam ${args.join(' ')} printed to stdout`);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `seam ${args.join(' ')}: not one line:\n${r.stderr}`);
      assert.match(lines[0]!, /^seam: /);
      assert.match(lines[0]!, lockedMessage(process.pid));
    }
    // `seam mcp` can bridge to the running service instead, and says so.
    const mcp = await seamOnHeldFolder(['mcp', '--key', 'sk_not_a_real_key'], env);
    assert.equal(mcp.code, 1, mcp.stderr);
    assert.match(mcp.stderr, lockedMessage(process.pid));
    assert.match(mcp.stderr, /--url/);
    assert.doesNotMatch(mcp.stderr, /sk_not_a_real_key/);
    // A dry run keeps its read-and-validate report and says why there is no diff.
    const check = await seamOnHeldFolder(
      ['feed', 'check', path.join(ROOT, 'fixtures/acme-erp/drops/ACCOUNTS_20240301.csv'), '--json'],
      env,
    );
    const report = JSON.parse(check.stdout) as { store: { status: string; message: string } };
    assert.equal(report.store.status, 'unavailable');
    assert.match(report.store.message, lockedMessage(process.pid));
    assert.deepEqual(await probe(held!), { n: ROWS, sum: ROWS });
  });

  it('frees the folder on close(), for this process and for others', async () => {
    await held!.close();
    held = undefined;
    assert.equal(fs.readFileSync(`${fs.realpathSync(path.join(dataDir, 'pglite'))}.lock`, 'utf8'), '');
    const again = await open(dataDir);
    try {
      assert.deepEqual(await probe(again), { n: ROWS, sum: ROWS });
    } finally {
      await again.close();
    }
    const r = await runSeam(['keys', 'list'], { SEAM_DATA_DIR: dataDir, DATABASE_URL: undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no keys/);
    fs.rmSync(dataDir, { recursive: true }); // kept only after a failure, to inspect
  });
});

describe('a lock left by a killed process (pglite)', () => {
  it('does not block the next open', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-lock-killed-'));
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const holder = child(
      `const s = await openStore({ schema: 'seam', poolMax: 1, dataDir: DIR }, log);
       await s.exec('CREATE TABLE lock_probe (id int PRIMARY KEY, v int NOT NULL)');
       await s.query('INSERT INTO lock_probe SELECT g, 1 FROM generate_series(1, 10) g');
       console.log('ready');
       setInterval(() => {}, 60_000);`,
      dataDir,
      (line) => line === 'ready' && ready(),
    );
    await Promise.race([
      isReady,
      holder.exited.then(({ code }) =>
        assert.fail(`the holder exited (${code}) before it was ready:\n${holder.output().stderr}`),
      ),
    ]);
    const lockFile = `${fs.realpathSync(path.join(dataDir, 'pglite'))}.lock`;
    assert.equal(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid, holder.proc.pid);
    // While it lives, the folder is taken.
    await assert.rejects(open(dataDir), StoreLockedError);

    holder.proc.kill('SIGKILL');
    assert.equal((await holder.exited).signal, 'SIGKILL');
    // The file still names the dead process; the lock itself died with it.
    assert.equal(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid, holder.proc.pid);
    const store = await open(dataDir);
    try {
      assert.deepEqual(await probe(store), { n: 10, sum: 10 }, 'the killed process’s committed rows');
      assert.equal(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid, process.pid);
    } finally {
      await store.close();
    }
    fs.rmSync(dataDir, { recursive: true });
  });
});

describe('in-memory stores (pglite)', () => {
  it('take no lock: two at once both open', async () => {
    const a = await open('memory://');
    const b = await open('memory://');
    try {
      assert.equal((await a.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
      assert.equal((await b.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

const pg = storeTargets().find((t) => t.kind === 'postgres');
if (pg)
  describe('no folder lock on postgres', () => {
    it('runs the CLI beside a process holding the same database, whatever holds the folder', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-lock-pg-'));
      const store = await openTestStore(pg, import.meta.filename);
      // The embedded store in the same SEAM_DATA_DIR is held too: with DATABASE_URL it is not used.
      const embedded = await open(dataDir);
      try {
        const env = { SEAM_DATA_DIR: dataDir, DATABASE_URL: pg.url, SEAM_DB_SCHEMA: store.schema };
        const r = await runSeam(['keys', 'list'], env);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /no keys/);
        const without = await seamOnHeldFolder(['keys', 'list'], { ...env, DATABASE_URL: undefined });
        assert.equal(without.code, 1, 'the same folder without DATABASE_URL is locked');
        assert.match(without.stderr, lockedMessage(process.pid));
      } finally {
        await embedded.close();
        await disposeTestStore(store);
      }
      fs.rmSync(dataDir, { recursive: true });
    });
  });
