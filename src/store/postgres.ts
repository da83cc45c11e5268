/** The store on a real PostgreSQL server, through a `pg` pool. */
import pg from 'pg';
import type { Logger } from '../log.ts';
import { schemaListener } from './notify.ts';
import {
  assertIdentifier,
  isUnavailable,
  StoreUnavailableError,
  type PoolStats,
  type Queryable,
  type QueryResult,
  type Store,
} from './types.ts';

const { Pool, DatabaseError } = pg;

// Same type mapping as PGlite (see types.ts).
const INT8_OID = 20;
const DATE_OID = 1082;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (v: string) => Number(v);
    if (oid === DATE_OID) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  },
};

/** A pg error that did not come from the server (refused, reset, timed out, terminated) means unreachable. */
function wrap(err: unknown): unknown {
  if (err instanceof DatabaseError && !isUnavailable(err)) return err;
  if (err instanceof StoreUnavailableError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`PostgreSQL unavailable: ${message}`, { cause: err });
}

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      try {
        const r = await client.query(sql, params as unknown[] | undefined);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      } catch (err) {
        throw wrap(err);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await client.query(sql);
      } catch (err) {
        throw wrap(err);
      }
    },
  };
}

/** Reach the server (so a wrong URL fails here, clearly) and create the schema unless told not to. */
async function boot(url: string, schema: string, create: boolean, connectTimeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if (!create) return;
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((err: unknown) => {
      // Two processes creating the same schema at once: the loser sees a unique violation.
      if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P06')
        throw err;
    });
  } catch (err) {
    throw wrap(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function openPostgres(opts: {
  url: string;
  schema: string;
  poolMax: number;
  log: Logger;
  connectTimeoutMs?: number;
  /** false: leave a missing schema missing (its tables then do not exist). Default true. */
  createSchema?: boolean | undefined;
}): Promise<Store> {
  const schema = assertIdentifier(opts.schema);
  // The schema must exist before pooled sessions put it on their search_path.
  await boot(opts.url, schema, opts.createSchema !== false, opts.connectTimeoutMs);

  const pool = new Pool({
    connectionString: opts.url,
    max: opts.poolMax,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    options: `-c search_path=${schema},public`,
    types,
  });
  // A dropped idle connection must not crash the process; the next query reports it.
  pool.on('error', (err) => opts.log.warn({ err }, 'idle PostgreSQL connection failed'));

  const base = queryable(pool);
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let listenClient: pg.PoolClient | undefined;
  let listenConnecting: Promise<pg.PoolClient> | undefined;

  async function listenSession(): Promise<pg.PoolClient> {
    if (listenClient) return listenClient;
    if (listenConnecting) return listenConnecting;
    listenConnecting = (async () => {
      const client = await pool.connect().catch((err: unknown) => {
        throw wrap(err);
      });
      client.on('notification', (msg) => {
        for (const cb of listeners.get(msg.channel) ?? []) cb(msg.payload ?? '');
      });
      client.on('error', (err) => {
        opts.log.warn({ err }, 'LISTEN connection lost; will reconnect on next use');
        listenClient = undefined;
        client.release(err);
        // Re-subscribe in the background so readers keep getting notifications.
        setTimeout(() => void resubscribe(), 1000).unref();
      });
      listenClient = client;
      return client;
    })().finally(() => {
      listenConnecting = undefined;
    });
    return listenConnecting;
  }

  async function resubscribe(): Promise<void> {
    if (listeners.size === 0 || closed) return;
    try {
      const c = await listenSession();
      for (const ch of listeners.keys()) await c.query(`LISTEN ${ch}`);
    } catch {
      setTimeout(() => void resubscribe(), 2000).unref();
    }
  }

  let closed = false;

  return {
    kind: 'postgres',
    schema,
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw wrap(err);
      }
      const tx = queryable(client);
      let broken: unknown;
      try {
        await tx.exec('BEGIN');
        const out = await fn(tx);
        await tx.exec('COMMIT');
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rbErr) {
          broken = rbErr;
        }
        throw err;
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async withSession(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw wrap(err);
      }
      let broken: Error | undefined;
      try {
        return await fn(queryable(client));
      } catch (err) {
        if (err instanceof StoreUnavailableError) broken = err;
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async listen(channel, onPayload) {
      const ch = assertIdentifier(channel);
      let set = listeners.get(ch);
      if (!set) {
        set = new Set();
        listeners.set(ch, set);
        const c = await listenSession();
        await c.query(`LISTEN ${ch}`).catch((err: unknown) => {
          throw wrap(err);
        });
      }
      const scoped = schemaListener(schema, onPayload);
      set.add(scoped);
      return async () => {
        set.delete(scoped);
        if (set.size === 0) {
          listeners.delete(ch);
          await listenClient?.query(`UNLISTEN ${ch}`).catch(() => undefined);
        }
      };
    },
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new StoreUnavailableError(`no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([base.query('SELECT 1'), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    stats(): PoolStats {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    },
    async close() {
      if (closed) return;
      closed = true;
      listenClient?.release();
      listenClient = undefined;
      await pool.end();
    },
  };
}
