/** Reading and writing current records. Writers pass their transaction so records and events commit together. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical.ts';
import type { Queryable } from '../store/types.ts';
import { fromDb, type DbRecord, type RecordSource, type StoredRecord } from './types.ts';

export { canonicalJson } from '../canonical.ts';

export function recordHash(data: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(data)).digest('hex');
}

export async function getRecord(
  db: Queryable,
  system: string,
  resource: string,
  key: string,
  opts: { includeDeleted?: boolean } = {},
): Promise<StoredRecord | undefined> {
  const r = await db.query<DbRecord>(
    `SELECT * FROM records WHERE system = $1 AND resource = $2 AND key = $3
       AND ($4::boolean OR deleted_at IS NULL)`,
    [system, resource, key, opts.includeDeleted ?? false],
  );
  return r.rows[0] ? fromDb(r.rows[0]) : undefined;
}

export interface UpsertInput {
  system: string;
  resource: string;
  key: string;
  data: Record<string, unknown>;
  source: RecordSource;
  sourceRef?: string | null;
  asOf: Date;
  businessDate?: string | null;
}

export interface UpsertResult {
  change: 'created' | 'updated' | 'unchanged';
  before?: Record<string, unknown>;
  record: StoredRecord;
}

/**
 * Write one record's new state and say what changed (for the caller's event). Row-locks the record
 * so two writers of the same key serialise. Bulk loads (ingest) use their own set-based SQL.
 */
export async function upsertRecord(tx: Queryable, input: UpsertInput): Promise<UpsertResult> {
  const hash = recordHash(input.data);
  const prev = await tx.query<DbRecord>(
    'SELECT * FROM records WHERE system = $1 AND resource = $2 AND key = $3 FOR UPDATE',
    [input.system, input.resource, input.key],
  );
  const old = prev.rows[0];
  if (old && old.hash === hash && old.deleted_at === null) {
    return { change: 'unchanged', record: fromDb(old) };
  }
  const r = await tx.query<DbRecord>(
    `INSERT INTO records (system, resource, key, data, hash, version, source, source_ref, as_of, business_date)
     VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9)
     ON CONFLICT (system, resource, key) DO UPDATE SET
       data = EXCLUDED.data, hash = EXCLUDED.hash, version = records.version + 1,
       source = EXCLUDED.source, source_ref = EXCLUDED.source_ref, as_of = EXCLUDED.as_of,
       business_date = EXCLUDED.business_date, updated_at = now(), deleted_at = NULL
     RETURNING *`,
    [
      input.system,
      input.resource,
      input.key,
      JSON.stringify(input.data),
      hash,
      input.source,
      input.sourceRef ?? null,
      input.asOf,
      input.businessDate ?? null,
    ],
  );
  const row = r.rows[0]!;
  if (!old || old.deleted_at !== null) return { change: 'created', record: fromDb(row) };
  return { change: 'updated', before: old.data, record: fromDb(row) };
}

/** Fields whose values differ between two versions of a record, with before and after. */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { before: unknown; after: unknown }> {
  const out: Record<string, { before: unknown; after: unknown }> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (canonicalJson(before[k]) !== canonicalJson(after[k])) {
      out[k] = { before: before[k] ?? null, after: after[k] ?? null };
    }
  }
  return out;
}
