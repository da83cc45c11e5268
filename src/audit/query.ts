/**
 * Reading the trail: one query answers "what did agent X do with account 4471 last Tuesday?":
 *   actor=X & record=accounts/4471 & from=2026-11-17 & to=2026-11-17
 * Plain dates are whole days in the configured zone; record keys match with or without leading
 * zeros (`accounts/4471` finds `accounts/004471`).
 */
import { z } from 'zod';
import type { Queryable } from '../store/types.ts';
import { bound, localTime } from './dates.ts';
import type { DbAuditRow } from './types.ts';

export const AuditFilter = z.object({
  actor: z.string().min(1).max(200).optional().meta({ description: 'Agent or human name, or its id' }),
  record: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .meta({ description: 'A record, `accounts/004471` (leading zeros optional), or a bare key' }),
  action: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .meta({ description: 'Exact action, or a prefix ending in `*` (e.g. `proposal.*`)' }),
  decision: z.enum(['allowed', 'denied']).optional(),
  from: z.string().max(40).optional().meta({ description: 'Plain date (whole day in `tz`) or ISO time' }),
  to: z.string().max(40).optional().meta({ description: 'Plain date (inclusive) or ISO time' }),
  tz: z.string().max(60).optional().meta({ description: 'IANA zone for plain dates; default SEAM_TIMEZONE' }),
});
export type AuditFilter = z.infer<typeof AuditFilter>;

export interface Page {
  /** Continue after this seq (exclusive). */
  cursor?: number;
  limit: number;
  order: 'asc' | 'desc';
}

/** Longest zero-padding tried when matching numeric keys (ERP keys are rarely wider). */
const MAX_PAD = 16;

function recordCondition(record: string, param: (v: unknown) => string): string {
  const slash = record.indexOf('/');
  if (slash < 0) {
    const key = record;
    if (/^\d+$/.test(key))
      return `EXISTS (SELECT 1 FROM unnest(records) r WHERE ltrim(substr(r, strpos(r, '/') + 1), '0') = ${param(key.replace(/^0+/, ''))})`;
    return `EXISTS (SELECT 1 FROM unnest(records) r WHERE substr(r, strpos(r, '/') + 1) = ${param(key)})`;
  }
  const resource = record.slice(0, slash);
  const key = record.slice(slash + 1);
  if (!/^\d+$/.test(key)) return `records && ${param([record])}::text[]`;
  // Numeric keys: every zero-padded spelling, so the GIN index still answers.
  const bare = key.replace(/^0+/, '') || '0';
  const forms = new Set<string>([record]);
  for (let w = bare.length; w <= MAX_PAD; w++) forms.add(`${resource}/${bare.padStart(w, '0')}`);
  return `records && ${param([...forms])}::text[]`;
}

export function buildWhere(
  f: AuditFilter,
  defaultTz: string,
  params: unknown[],
): { where: string; tz: string } {
  const tz = f.tz ?? defaultTz;
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const conds: string[] = [];
  if (f.actor) {
    const p = param(f.actor);
    conds.push(`(lower(actor_name) = lower(${p}) OR actor_id = ${p})`);
  }
  if (f.record) conds.push(recordCondition(f.record, param));
  if (f.action) {
    if (f.action.endsWith('*'))
      conds.push(`action LIKE ${param(f.action.slice(0, -1).replace(/[\\%_]/g, '\\$&') + '%')}`);
    else conds.push(`action = ${param(f.action)}`);
  }
  if (f.decision) conds.push(`decision = ${param(f.decision)}`);
  if (f.from) conds.push(`at >= ${param(bound(f.from, tz, 'from'))}`);
  if (f.to) conds.push(`at < ${param(bound(f.to, tz, 'to'))}`);
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', tz };
}

export async function queryAudit(
  db: Queryable,
  f: AuditFilter,
  page: Page,
  defaultTz: string,
): Promise<{ rows: DbAuditRow[]; nextCursor: number | null }> {
  const params: unknown[] = [];
  const { where } = buildWhere(f, defaultTz, params);
  const conds = where ? [where.slice(6)] : [];
  if (page.cursor !== undefined) {
    params.push(page.cursor);
    conds.push(page.order === 'desc' ? `seq < $${params.length}` : `seq > $${params.length}`);
  }
  params.push(page.limit);
  const r = await db.query<DbAuditRow>(
    `SELECT * FROM audit_log ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
      ORDER BY seq ${page.order === 'desc' ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
    params,
  );
  const last = r.rows.at(-1);
  return { rows: r.rows, nextCursor: r.rows.length === page.limit && last ? last.seq : null };
}

export const CSV_HEADER = [
  'seq',
  'time_utc',
  'time_local',
  'actor_kind',
  'actor_name',
  'actor_id',
  'action',
  'records',
  'decision',
  'reason',
  'status',
  'request_id',
  'input',
  'result',
];

/** One CSV cell: quoted when needed; a leading = + - @ is defused so spreadsheets show text. */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(r: DbAuditRow, tz: string): string {
  return (
    [
      r.seq,
      r.at.toISOString(),
      localTime(r.at, tz),
      r.actor_kind,
      r.actor_name,
      r.actor_id,
      r.action,
      r.records.join(' '),
      r.decision,
      r.reason,
      r.status,
      r.request_id,
      r.input,
      r.result,
    ]
      .map((v) => csvCell(typeof v === 'number' ? String(v) : v))
      .join(',') + '\r\n'
  );
}

/** Every matching row, oldest first, in pages (for CSV export of any size). */
export async function* allMatching(
  db: Queryable,
  f: AuditFilter,
  defaultTz: string,
  pageSize = 1000,
): AsyncGenerator<DbAuditRow> {
  let cursor: number | undefined;
  for (;;) {
    const { rows, nextCursor } = await queryAudit(
      db,
      f,
      { cursor, limit: pageSize, order: 'asc' },
      defaultTz,
    );
    yield* rows;
    if (nextCursor === null) return;
    cursor = nextCursor;
  }
}
