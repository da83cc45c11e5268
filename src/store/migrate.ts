/**
 * Numbered plain .sql migrations in src/store/migrations/, applied in order at start.
 * Each runs in its own transaction that first takes a transaction-scoped advisory lock and records
 * itself, so two processes starting at once serialise: the second waits, sees the row, and skips
 * (graphile/worker src/migrate.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.ts';
import type { Store } from './types.ts';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const seen = new Set<number>();
  return files.map((f) => {
    const id = Number(f.slice(0, 4));
    if (seen.has(id)) throw new Error(`Two migrations share number ${id}: ${f}`);
    seen.add(id);
    return { id, name: f.replace(/\.sql$/, ''), sql: fs.readFileSync(path.join(dir, f), 'utf8') };
  });
}

/** Lock key per schema: migrating one schema never waits on another. */
function lockKey(schema: string): string {
  const h = createHash('sha256').update(`seam:migrate:${schema}`).digest();
  return h.readBigInt64BE(0).toString();
}

export async function migrate(store: Store, log: Logger, migrations = loadMigrations()): Promise<number[]> {
  const key = lockKey(store.schema);
  const applied: number[] = [];
  for (const m of migrations) {
    const didApply = await store.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [key]);
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS seam_migrations (
           id integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const done = await tx.query('SELECT 1 FROM seam_migrations WHERE id = $1', [m.id]);
      if (done.rowCount > 0) return false;
      await tx.query('INSERT INTO seam_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      await tx.exec(m.sql);
      return true;
    });
    if (didApply) {
      applied.push(m.id);
      log.info({ migration: m.name }, 'migration applied');
    }
  }
  return applied;
}
