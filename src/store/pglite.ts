/**
 * The store embedded in the process: PGlite (PostgreSQL compiled to WASM). One session, so
 * statements are serialised; fine for a pilot, and the same SQL as on a real server.
 */
import fs from 'node:fs';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { schemaListener } from './notify.ts';
import { assertIdentifier, type Queryable, type QueryResult, type Store } from './types.ts';

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

/** dataDir: a folder for durable state, or `memory://` for a throwaway database (tests). */
export async function openPglite(opts: { dataDir: string; schema: string }): Promise<Store> {
  const schema = assertIdentifier(opts.schema);
  if (!opts.dataDir.startsWith('memory://')) fs.mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir, {
    parsers: { [DATE_OID]: (v: string) => v, [pgliteTypes.INT8]: (v: string) => Number(v) },
  });
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}, public;`);
  const base = queryable(db);
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
      return db.transaction((tx) => fn(queryable(tx)));
    },
    withSession(fn) {
      const run = sessionChain.then(() => fn(base));
      sessionChain = run.catch(() => undefined);
      return run;
    },
    async listen(channel, onPayload) {
      const unsub = await db.listen(assertIdentifier(channel), schemaListener(schema, onPayload));
      return async () => unsub();
    },
    async ping() {
      if (closed) throw new Error('embedded store is closed');
      await db.query('SELECT 1');
    },
    stats() {
      return { total: 1, idle: 1, waiting: 0 };
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
