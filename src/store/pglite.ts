/**
 * The store embedded in the process: PGlite (PostgreSQL compiled to WASM). One session, so
 * statements are serialised; fine for a pilot, and the same SQL as on a real server.
 *
 * One process owns the database (README, docs/ingest.md: CLI commands only while `seam serve` is
 * stopped), and one Store in it: the folder is locked (./lock.ts) from before PGlite opens it until
 * close(), and a second opener, in another process or this one, fails at once with
 * StoreLockedError. A second process would be a writer this one could not see (its writes never
 * reach this process's PGlite, and the folder is damaged). So every write this process can see
 * passes through the Store returned here, which keeps a write generation (`writeGeneration`) that
 * lets the records loader cache reads safely.
 */
import { execFile as execFileCb } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { lockFolder, type FolderLock } from './lock.ts';
import { schemaListener } from './notify.ts';
import {
  assertIdentifier,
  type Queryable,
  type QueryResult,
  type Store,
  type WriteGeneration,
} from './types.ts';

const execFile = promisify(execFileCb);

type Transaction = Parameters<Parameters<PGlite['transaction']>[0]>[0];

const DATE_OID = 1082;

function queryable(db: PGlite | Transaction): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const r = await db.query<R>(sql, params as unknown[] | undefined);
      // PGlite reports affectedRows 0 for SELECT; fall back to the rows returned.
      return { rows: r.rows, rowCount: r.affectedRows || r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}

/**
 * Make a new folder's database (initdb) in a short-lived child process. PGlite runs initdb as a
 * second WASM instance whose memory stays with the process that ran it: opening a new folder
 * in-process left `seam serve` at 845 MB RSS for its whole life, against 363 MB when it opens a
 * folder made before. The database is made in a sibling folder and renamed into place, so a crash
 * half-way never leaves a half-made database where the store is.
 */
async function initIfNew(dir: string): Promise<void> {
  if (fs.existsSync(path.join(dir, 'PG_VERSION')) || fs.readdirSync(dir).length > 0) return;
  // The folder's lock is held: no other process is making this database, so any sibling
  // `.init-*` folder is what a crash left behind.
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.init-`;
  for (const name of fs.readdirSync(parent))
    if (name.startsWith(prefix)) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  const tmp = path.join(parent, `${prefix}${process.pid}`);
  const script =
    `const { PGlite } = await import(${JSON.stringify(import.meta.resolve('@electric-sql/pglite'))});\n` +
    `const db = await PGlite.create(${JSON.stringify(tmp)});\nawait db.close();\n`;
  try {
    await execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 5 * 60_000 });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const detail = (err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ');
    throw new Error(`could not create the embedded database in ${dir}: ${detail || (err as Error).message}`, {
      cause: err,
    });
  }
  fs.rmdirSync(dir);
  fs.renameSync(tmp, dir);
}

/**
 * dataDir: a folder for durable state, or `memory://` for a throwaway database (tests, unlocked:
 * each is its own). Throws StoreLockedError when the folder is open already.
 */
export async function openPglite(opts: {
  dataDir: string;
  schema: string;
  /** false: leave a missing schema missing (see StoreOptions.createSchema). Default true. */
  createSchema?: boolean | undefined;
}): Promise<Store> {
  const schema = assertIdentifier(opts.schema);
  let lock: FolderLock | undefined;
  if (!opts.dataDir.startsWith('memory://')) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    lock = lockFolder(opts.dataDir);
  }
  let db: PGlite;
  try {
    if (lock) await initIfNew(opts.dataDir);
    db = await PGlite.create(opts.dataDir, {
      parsers: { [DATE_OID]: (v: string) => v, [pgliteTypes.INT8]: (v: string) => Number(v) },
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
  try {
    const create = opts.createSchema === false ? '' : `CREATE SCHEMA IF NOT EXISTS ${schema}; `;
    await db.exec(`${create}SET search_path TO ${schema}, public;`);
  } catch (err) {
    // The first error is the one to report; closing is only tidying up.
    await db.close().catch(() => undefined);
    lock?.release();
    throw err;
  }
  const raw = queryable(db);
  // The write generation. Every statement, transaction and session counts as a write (whatever it
  // does) from the moment it is called until it has finished, committed or rolled back: `gen` moves
  // at both ends, `writing` counts those in flight. PGlite runs one statement at a time and a
  // top-level statement never runs inside another caller's transaction (both wait on its
  // transaction mutex), so a `read` begun and ended at one generation with nothing in flight saw
  // the committed state, and that state stands until `gen` next moves.
  let gen = 0;
  let writing = 0;
  const counted = async <T>(fn: () => Promise<T>): Promise<T> => {
    writing++;
    gen++;
    try {
      return await fn();
    } finally {
      writing--;
      gen++;
    }
  };
  const base: Queryable = {
    query: (sql, params) => counted(() => raw.query(sql, params)),
    exec: (sql) => counted(() => raw.exec(sql)),
  };
  const writeGeneration: WriteGeneration = {
    current: () => (writing === 0 ? gen : undefined),
    read(sql, params) {
      // A guard against misuse, not a proof: the caller still promises the SELECT calls nothing
      // that writes.
      if (!/^\s*SELECT\s/i.test(sql)) throw new Error('writeGeneration.read runs SELECT statements only');
      return raw.query(sql, params);
    },
  };
  // A session-level lock (advisory lock, LISTEN) on PGlite is the whole database's one session:
  // serialise withSession callers so one caller's locks are not another's.
  let sessionChain: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    kind: 'pglite',
    schema,
    query: base.query,
    exec: base.exec,
    transaction(fn) {
      return counted(() => db.transaction((tx) => fn(queryable(tx))));
    },
    withSession(fn) {
      // Counted whole: statements a session runs between its own BEGIN and COMMIT are not
      // committed yet, and top-level reads would see them.
      const run = counted(() => sessionChain.then(() => fn(base)));
      sessionChain = run.catch(() => undefined);
      return run;
    },
    writeGeneration,
    async listen(channel, onPayload) {
      const unsub = await db.listen(assertIdentifier(channel), schemaListener(schema, onPayload));
      return async () => unsub();
    },
    async ping() {
      if (closed) throw new Error('embedded store is closed');
      // Not counted as a write: it reads nothing.
      await db.query('SELECT 1');
    },
    stats() {
      return { total: 1, idle: 1, waiting: 0 };
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
