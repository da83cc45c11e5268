/** Helpers shared by CLI commands that talk to the store directly. */
import type { Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { migrate, openStore, type Store } from '../store/index.ts';

/** Where the store is, for messages, with any password removed. */
export function describeStore(config: Config): string {
  if (!config.store.url) return `embedded PostgreSQL in ${config.store.dataDir}`;
  try {
    const u = new URL(config.store.url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

/** Open the configured store, migrated, for one CLI command; closes it afterwards. */
export async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const log = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level });
  const store = await openStore(config.store, log);
  try {
    await migrate(store, log);
    return await fn(store);
  } finally {
    await store.close();
  }
}
