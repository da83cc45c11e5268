/**
 * Listing stored records: exact-match filters on declared fields, keyset pagination on the key.
 * Filters go in as two parallel arrays (field names, values) so any number of them stays one
 * parameterised statement; the caller has already checked the field names against the resource.
 */
import type { Queryable } from '../store/types.ts';
import { fromDb, type DbRecord, type StoredRecord } from './types.ts';

export interface ListQuery {
  system: string;
  resource: string;
  /** Field → value; a record matches when the text of each field equals the value. */
  filters: Record<string, string>;
  /** Return records with keys after this one (exclusive). */
  after?: string;
  limit: number;
}

export interface ListResult {
  records: StoredRecord[];
  /** The key to continue after, when there may be more. */
  nextAfter?: string;
}

export async function listRecords(db: Queryable, q: ListQuery): Promise<ListResult> {
  const fields = Object.keys(q.filters);
  const r = await db.query<DbRecord>(
    `SELECT * FROM records
      WHERE system = $1 AND resource = $2 AND deleted_at IS NULL
        AND ($3::text IS NULL OR key > $3)
        AND NOT EXISTS (
          SELECT 1 FROM unnest($4::text[], $5::text[]) AS f(field, value)
           WHERE (records.data ->> f.field) IS DISTINCT FROM f.value)
      ORDER BY key
      LIMIT $6`,
    [q.system, q.resource, q.after ?? null, fields, fields.map((f) => q.filters[f]), q.limit + 1],
  );
  const rows = r.rows.slice(0, q.limit).map(fromDb);
  return { records: rows, ...(r.rows.length > q.limit ? { nextAfter: rows.at(-1)!.key } : {}) };
}

/** Opaque cursors: base64url of the last key, so clients do not build them. */
export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown };
    return typeof v.k === 'string' ? v.k : undefined;
  } catch {
    return undefined;
  }
}
