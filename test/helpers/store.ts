/**
 * Test stores: every suite runs on embedded PGlite, and on PostgreSQL too when TEST_DATABASE_URL is
 * set. Each test file gets its own schema (pg-boss test/hooks.ts), dropped after a clean run;
 * KEEP_TEST_SCHEMAS=1 keeps them to inspect.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createLogger } from '../../src/log.ts';
import { migrate, openStore, type Store, type StoreKind } from '../../src/store/index.ts';

export const silentLog = createLogger({ level: 'silent' });

export interface StoreTarget {
  kind: StoreKind;
  /** postgres URL, for targets that need a second process or connection on the same database. */
  url?: string;
}

export function storeTargets(): StoreTarget[] {
  const targets: StoreTarget[] = [{ kind: 'pglite' }];
  if (process.env.TEST_DATABASE_URL) targets.push({ kind: 'postgres', url: process.env.TEST_DATABASE_URL });
  return targets;
}

export function uniqueSchema(label: string): string {
  const base = path
    .basename(label)
    .replace(/\.test\.ts$/, '')
    .replace(/[^a-z0-9]+/gi, '_')
    .toLowerCase();
  return `t_${base.slice(0, 40)}_${randomBytes(4).toString('hex')}`;
}

/** Open (and migrate) a store on the target with a fresh schema. */
export async function openTestStore(
  target: StoreTarget,
  label: string,
  opts: { schema?: string; migrate?: boolean } = {},
): Promise<Store> {
  const schema = opts.schema ?? uniqueSchema(label);
  const store = await openStore({ url: target.url, schema, poolMax: 10, dataDir: 'memory://' }, silentLog);
  if (opts.migrate !== false) await migrate(store, silentLog);
  return store;
}

/**
 * The same database as a second seam process sees it: on PostgreSQL a second pool on the same
 * schema; on PGlite the same store (one process owns an embedded database, so a "second process"
 * there is a second service on the same store). Close it with closePeerStore.
 */
export async function openPeerStore(target: StoreTarget, store: Store, label: string): Promise<Store> {
  return target.kind === 'postgres' ? openTestStore(target, label, { schema: store.schema }) : store;
}

/** Close a store from openPeerStore (not the schema: that is its original's to drop). */
export async function closePeerStore(peer: Store | undefined, store: Store | undefined): Promise<void> {
  if (peer && peer !== store) await peer.close();
}

/** Close the store and drop its schema on PostgreSQL (unless KEEP_TEST_SCHEMAS=1). */
export async function disposeTestStore(store: Store): Promise<void> {
  if (store.kind === 'postgres' && process.env.KEEP_TEST_SCHEMAS !== '1') {
    await store.exec(`DROP SCHEMA IF EXISTS ${store.schema} CASCADE`).catch(() => undefined);
  }
  await store.close();
}
