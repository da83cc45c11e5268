/**
 * The ingest ledger (table ingest_files) and quarantine (ingest_quarantine): what became of every
 * file, and the bad rows of each. Row types (Db*) stay apart from the API types.
 */
import { z } from 'zod';
import type { Queryable } from '../store/types.ts';

export type FileStatus = 'applied' | 'duplicate' | 'rejected' | 'flagged';

export interface DbIngestFile {
  id: string;
  system: string | null;
  feed: string | null;
  file_name: string;
  sha256: string | null;
  size_bytes: number | null;
  business_date: string | null;
  business_at: Date | null;
  status: FileStatus;
  reason_code: string | null;
  reason: string | null;
  details: Record<string, unknown>;
  duplicate_of: string | null;
  rows_total: number;
  rows_valid: number;
  rows_quarantined: number;
  created_count: number;
  updated_count: number;
  deleted_count: number;
  unchanged_count: number;
  moved_to: string | null;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
  timings: Record<string, number>;
  handled_by: string | null;
}

export const IngestFile = z
  .object({
    id: z.string().uuid(),
    system: z.string().nullable(),
    feed: z.string().nullable(),
    fileName: z.string(),
    sha256: z.string().nullable(),
    sizeBytes: z.number().nullable(),
    businessDate: z.string().nullable(),
    status: z.enum(['applied', 'duplicate', 'rejected', 'flagged']),
    reasonCode: z.string().nullable(),
    reason: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    duplicateOf: z.string().nullable(),
    rows: z.object({ total: z.number(), valid: z.number(), quarantined: z.number() }),
    changes: z.object({
      created: z.number(),
      updated: z.number(),
      deleted: z.number(),
      unchanged: z.number(),
    }),
    movedTo: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string(),
    durationMs: z.number(),
    timings: z.record(z.string(), z.number()),
    handledBy: z.string().nullable(),
  })
  .meta({ id: 'IngestFile' });
export type IngestFile = z.infer<typeof IngestFile>;

export function fileFromDb(r: DbIngestFile): IngestFile {
  return {
    id: r.id,
    system: r.system,
    feed: r.feed,
    fileName: r.file_name,
    sha256: r.sha256,
    sizeBytes: r.size_bytes,
    businessDate: r.business_date,
    status: r.status,
    reasonCode: r.reason_code,
    reason: r.reason,
    details: r.details,
    duplicateOf: r.duplicate_of,
    rows: { total: r.rows_total, valid: r.rows_valid, quarantined: r.rows_quarantined },
    changes: {
      created: r.created_count,
      updated: r.updated_count,
      deleted: r.deleted_count,
      unchanged: r.unchanged_count,
    },
    movedTo: r.moved_to,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at.toISOString(),
    durationMs: r.duration_ms,
    timings: r.timings,
    handledBy: r.handled_by,
  };
}

export interface LedgerEntry {
  id: string;
  system: string | null;
  feed: string | null;
  fileName: string;
  sha256: string | null;
  sizeBytes: number | null;
  businessDate: string | null;
  businessAt: Date | null;
  status: FileStatus;
  reasonCode?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
  duplicateOf?: string | null;
  rows?: { total: number; valid: number; quarantined: number };
  changes?: { created: number; updated: number; deleted: number; unchanged: number };
  startedAt: Date;
  timings?: Record<string, number>;
  handledBy: string;
}

export async function insertLedger(db: Queryable, e: LedgerEntry): Promise<void> {
  const finished = new Date();
  await db.query(
    `INSERT INTO ingest_files (id, system, feed, file_name, sha256, size_bytes, business_date, business_at, status,
       reason_code, reason, details, duplicate_of, rows_total, rows_valid, rows_quarantined, created_count,
       updated_count, deleted_count, unchanged_count, started_at, finished_at, duration_ms, timings, handled_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
       $23, $24, $25)`,
    [
      e.id,
      e.system,
      e.feed,
      e.fileName,
      e.sha256,
      e.sizeBytes,
      e.businessDate,
      e.businessAt,
      e.status,
      e.reasonCode ?? null,
      e.reason ?? null,
      JSON.stringify(e.details ?? {}),
      e.duplicateOf ?? null,
      e.rows?.total ?? 0,
      e.rows?.valid ?? 0,
      e.rows?.quarantined ?? 0,
      e.changes?.created ?? 0,
      e.changes?.updated ?? 0,
      e.changes?.deleted ?? 0,
      e.changes?.unchanged ?? 0,
      e.startedAt,
      finished,
      Math.round(finished.getTime() - e.startedAt.getTime()),
      JSON.stringify(e.timings ?? {}),
      e.handledBy,
    ],
  );
}

export async function setMovedTo(db: Queryable, id: string, movedTo: string): Promise<void> {
  await db.query('UPDATE ingest_files SET moved_to = $2 WHERE id = $1', [id, movedTo]);
}

/** The applied file with this content, if any (exactly-once key). */
export async function appliedBySha(db: Queryable, sha256: string): Promise<DbIngestFile | undefined> {
  const r = await db.query<DbIngestFile>(
    "SELECT * FROM ingest_files WHERE sha256 = $1 AND status = 'applied'",
    [sha256],
  );
  return r.rows[0];
}

/** An applied file of this feed with this name (a name may be applied once). */
export async function appliedByName(
  db: Queryable,
  feed: string,
  fileName: string,
): Promise<DbIngestFile | undefined> {
  const r = await db.query<DbIngestFile>(
    "SELECT * FROM ingest_files WHERE feed = $1 AND file_name = $2 AND status = 'applied' ORDER BY finished_at DESC LIMIT 1",
    [feed, fileName],
  );
  return r.rows[0];
}

/** The newest applied file of the feed by business date and time. */
export async function latestApplied(db: Queryable, feed: string): Promise<DbIngestFile | undefined> {
  const r = await db.query<DbIngestFile>(
    "SELECT * FROM ingest_files WHERE feed = $1 AND status = 'applied' ORDER BY business_at DESC NULLS LAST LIMIT 1",
    [feed],
  );
  return r.rows[0];
}

export const FileQuery = z.object({
  feed: z.string().optional(),
  status: z.enum(['applied', 'duplicate', 'rejected', 'flagged']).optional(),
  name: z.string().optional().describe('exact file name'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().optional().describe('cursor: the `next` of the previous page'),
});
export type FileQuery = z.infer<typeof FileQuery>;

/** Newest first, keyset-paginated on (finished_at, id). */
export async function listFiles(
  db: Queryable,
  q: FileQuery,
): Promise<{ files: IngestFile[]; next?: string }> {
  let beforeAt: string | null = null;
  let beforeId: string | null = null;
  if (q.before) {
    const [at, id] = Buffer.from(q.before, 'base64url').toString().split('|');
    beforeAt = at ?? null;
    beforeId = id ?? null;
  }
  const r = await db.query<DbIngestFile>(
    `SELECT * FROM ingest_files
      WHERE ($1::text IS NULL OR feed = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR file_name = $3)
        AND ($4::timestamptz IS NULL OR (finished_at, id) < ($4::timestamptz, $5::uuid))
      ORDER BY finished_at DESC, id DESC LIMIT $6`,
    [q.feed ?? null, q.status ?? null, q.name ?? null, beforeAt, beforeId, q.limit + 1],
  );
  const rows = r.rows.slice(0, q.limit);
  const last = rows.at(-1);
  return {
    files: rows.map(fileFromDb),
    ...(r.rows.length > q.limit && last
      ? { next: Buffer.from(`${last.finished_at.toISOString()}|${last.id}`).toString('base64url') }
      : {}),
  };
}

export async function getFile(db: Queryable, id: string): Promise<IngestFile | undefined> {
  const r = await db.query<DbIngestFile>('SELECT * FROM ingest_files WHERE id = $1', [id]);
  return r.rows[0] ? fileFromDb(r.rows[0]) : undefined;
}

export const QuarantinedRow = z
  .object({
    id: z.number(),
    fileId: z.string(),
    fileName: z.string(),
    feed: z.string().nullable(),
    line: z.number(),
    key: z.string().nullable(),
    field: z.string().nullable(),
    reasonCode: z.string(),
    reason: z.string(),
    raw: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'QuarantinedRow' });
export type QuarantinedRow = z.infer<typeof QuarantinedRow>;

export const QuarantineQuery = z.object({
  file: z.string().optional().describe('file id (uuid) or exact file name'),
  feed: z.string().optional(),
  reason: z.string().optional().describe('reason code, e.g. invalid_field'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.coerce.number().int().min(0).optional().describe('cursor: the `next` of the previous page'),
});
export type QuarantineQuery = z.infer<typeof QuarantineQuery>;

export async function listQuarantine(
  db: Queryable,
  q: QuarantineQuery,
): Promise<{ rows: QuarantinedRow[]; next?: number }> {
  const isId = q.file !== undefined && /^[0-9a-f-]{36}$/i.test(q.file);
  const r = await db.query<{
    id: number;
    file_id: string;
    file_name: string;
    feed: string | null;
    line: number;
    record_key: string | null;
    field: string | null;
    reason_code: string;
    reason: string;
    raw: string | null;
    created_at: Date;
  }>(
    `SELECT q.*, f.file_name FROM ingest_quarantine q JOIN ingest_files f ON f.id = q.file_id
      WHERE ($1::uuid IS NULL OR q.file_id = $1) AND ($2::text IS NULL OR f.file_name = $2)
        AND ($3::text IS NULL OR q.feed = $3) AND ($4::text IS NULL OR q.reason_code = $4)
        AND q.id > $5
      ORDER BY q.id LIMIT $6`,
    [
      isId ? q.file : null,
      !isId && q.file !== undefined ? q.file : null,
      q.feed ?? null,
      q.reason ?? null,
      q.after ?? 0,
      q.limit + 1,
    ],
  );
  const rows = r.rows.slice(0, q.limit).map((x) => ({
    id: x.id,
    fileId: x.file_id,
    fileName: x.file_name,
    feed: x.feed,
    line: x.line,
    key: x.record_key,
    field: x.field,
    reasonCode: x.reason_code,
    reason: x.reason,
    raw: x.raw,
    createdAt: x.created_at.toISOString(),
  }));
  return { rows, ...(r.rows.length > q.limit ? { next: rows.at(-1)!.id } : {}) };
}

/** Copy the bad rows of a staged file into the quarantine (all of them, or the first `limit`). */
export async function quarantineFromStaging(
  db: Queryable,
  table: string,
  fileId: string,
  feed: string,
  limit: number | null,
): Promise<void> {
  await db.query(
    `INSERT INTO ingest_quarantine (file_id, feed, line, record_key, field, reason_code, reason, raw)
     SELECT $1, $2, line, key, field, reason_code, reason, raw FROM ${table}
      WHERE status = 'bad' ORDER BY line LIMIT $3`,
    [fileId, feed, limit],
  );
}
