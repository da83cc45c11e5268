/** Open the configured store: PostgreSQL when a URL is given, embedded PGlite otherwise. */
import path from 'node:path';
import type { Logger } from '../log.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Store } from './types.ts';

export * from './types.ts';
export { migrate } from './migrate.ts';
export { StoreLockedError, type LockHolder } from './lock.ts';

export interface StoreOptions {
  url?: string;
  schema: string;
  poolMax: number;
  /** Root data folder; PGlite keeps its files in `<dataDir>/pglite`. `memory://` for in-memory. */
  dataDir: string;
  /**
   * false: do not create the schema when it is missing (read-only callers such as `seam feed
   * check`, which then find no tables in it). Default true.
   */
  createSchema?: boolean;
}

export async function openStore(opts: StoreOptions, log: Logger): Promise<Store> {
  if (opts.url) {
    return openPostgres({
      url: opts.url,
      schema: opts.schema,
      poolMax: opts.poolMax,
      log,
      createSchema: opts.createSchema,
    });
  }
  const dir = opts.dataDir.startsWith('memory://') ? 'memory://' : path.join(opts.dataDir, 'pglite');
  return openPglite({ dataDir: dir, schema: opts.schema, createSchema: opts.createSchema });
}
