/**
 * Claiming a feed so exactly one process works on it at a time. On PostgreSQL a session advisory
 * lock, held on a dedicated connection for the whole file: if the process dies, the connection
 * closes and the lock goes with it, so there is nothing to expire or clean up. PGlite lives inside
 * one process, where an in-memory set does the same job.
 *
 * The claim is per feed, not per file: files of one feed must apply one after another in business
 * date order, and a snapshot diff must never interleave with another file of the same feed.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/types.ts';

export const BUSY = Symbol('busy');

const local = new WeakMap<Store, Set<string>>();

function lockKey(schema: string, name: string): string {
  return createHash('sha256').update(`seam:ingest:${schema}:${name}`).digest().readBigInt64BE(0).toString();
}

export async function withClaim<T>(
  store: Store,
  name: string,
  fn: () => Promise<T>,
): Promise<T | typeof BUSY> {
  if (store.kind !== 'postgres') {
    let set = local.get(store);
    if (!set) local.set(store, (set = new Set()));
    if (set.has(name)) return BUSY;
    set.add(name);
    try {
      return await fn();
    } finally {
      set.delete(name);
    }
  }
  const key = lockKey(store.schema, name);
  return store.withSession(async (session) => {
    const r = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
    if (!r.rows[0]?.ok) return BUSY;
    try {
      return await fn();
    } finally {
      await session.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
    }
  });
}
