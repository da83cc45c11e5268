/**
 * Shadow mode's evidence in the store: comparisons counted per resource (`shadow_resources`) and
 * every distinct difference per record (`shadow_diffs`), opened, counted up, resolved and reopened
 * as later comparisons of the same record show. Batches go in with unnest, one transaction each.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Comparison, Difference } from '../adapter/shadow.ts';
import { canonicalJson } from '../records/repo.ts';
import type { Queryable, Store } from '../store/types.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** What is stored of a sensitive value: a short hash, enough to see whether two values are equal. */
export function hashedValue(v: unknown): string {
  return `sha256:${sha(canonicalJson(v ?? null)).slice(0, 16)}`;
}

interface Row {
  system: string;
  resource: string;
  key: string;
  fingerprint: string;
  kind: string;
  field: string | null;
  primary: string | null;
  shadow: string | null;
  redacted: boolean;
  detail: string | null;
  via: string;
  occurrences: number;
}

function rowOf(c: Comparison, d: Difference, sensitive: readonly string[]): Row {
  const redacted = d.kind === 'field' && d.field !== undefined && sensitive.includes(d.field);
  const value = (v: unknown) =>
    d.kind === 'field' ? JSON.stringify(redacted ? hashedValue(v) : (v ?? null)) : null;
  const primary = value(d.primary);
  const shadow = value(d.shadow);
  return {
    system: c.system,
    resource: c.resource,
    key: c.key,
    fingerprint: sha(canonicalJson([d.kind, d.field ?? null, primary, shadow, d.detail ?? null])),
    kind: d.kind,
    field: d.field ?? null,
    primary,
    shadow,
    redacted,
    detail: d.detail ?? null,
    via: c.via,
    occurrences: 1,
  };
}

/** Record a batch of comparisons made against `shadowAdapter`. */
export async function writeComparisons(
  store: Store,
  shadowAdapter: string,
  batch: readonly Comparison[],
  sensitiveOf: (resource: string) => readonly string[],
  now: Date = new Date(),
): Promise<void> {
  if (batch.length === 0) return;
  const counters = new Map<string, { system: string; resource: string; n: Record<string, number> }>();
  const rows = new Map<string, Row>();
  /** The latest judged (same/different) comparison per record: it decides what stays open. */
  const latest = new Map<string, Comparison>();
  for (const c of batch) {
    const rk = `${c.system}\u0000${c.resource}`;
    const ctr = counters.get(rk) ?? { system: c.system, resource: c.resource, n: {} };
    ctr.n[c.outcome] = (ctr.n[c.outcome] ?? 0) + 1;
    counters.set(rk, ctr);
    if (c.outcome === 'skipped') continue;
    for (const d of c.differences) {
      const r = rowOf(c, d, sensitiveOf(c.resource));
      const k = `${rk}\u0000${c.key}\u0000${r.fingerprint}`;
      const seen = rows.get(k);
      rows.set(k, seen ? { ...r, occurrences: seen.occurrences + 1 } : r);
    }
    if (c.outcome === 'same' || c.outcome === 'different') latest.set(`${rk}\u0000${c.key}`, c);
  }
  await store.transaction(async (tx) => {
    const ctrs = [...counters.values()];
    const count = (o: string) => ctrs.map((c) => c.n[o] ?? 0);
    await tx.query(
      `INSERT INTO shadow_resources
              (shadow_adapter, system, resource, compared, same, different, errors, skipped, first_at, last_at)
       SELECT $1, s, r, sm + df + er, sm, df, er, sk, $2, $2
         FROM unnest($3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[]) AS t(s, r, sm, df, er, sk)
       ON CONFLICT (shadow_adapter, system, resource) DO UPDATE SET
         compared = shadow_resources.compared + EXCLUDED.compared,
         same = shadow_resources.same + EXCLUDED.same,
         different = shadow_resources.different + EXCLUDED.different,
         errors = shadow_resources.errors + EXCLUDED.errors,
         skipped = shadow_resources.skipped + EXCLUDED.skipped,
         last_at = EXCLUDED.last_at`,
      [
        shadowAdapter,
        now,
        ctrs.map((c) => c.system),
        ctrs.map((c) => c.resource),
        count('same'),
        count('different'),
        count('error'),
        count('skipped'),
      ],
    );
    await upsertDiffs(tx, shadowAdapter, [...rows.values()], now);
    await resolveOthers(tx, shadowAdapter, [...latest.values()], rows, now);
  });
}

async function upsertDiffs(tx: Queryable, shadowAdapter: string, rows: Row[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof Row>(k: K) => rows.map((r) => r[k]);
  await tx.query(
    `INSERT INTO shadow_diffs (shadow_adapter, system, resource, key, fingerprint, kind, field, primary_value,
                               shadow_value, redacted, detail, via, occurrences, first_seen_at, last_seen_at)
     SELECT $1, s, r, k, fp, kd, f, pv::jsonb, sv::jsonb, rd, dt, v, n, $2, $2
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                   $10::text[], $11::bool[], $12::text[], $13::text[], $14::int8[])
            AS t(s, r, k, fp, kd, f, pv, sv, rd, dt, v, n)
     ON CONFLICT (shadow_adapter, system, resource, key, fingerprint) DO UPDATE SET
       occurrences = shadow_diffs.occurrences + EXCLUDED.occurrences,
       via = EXCLUDED.via,
       last_seen_at = EXCLUDED.last_seen_at,
       resolved_at = NULL`,
    [
      shadowAdapter,
      now,
      col('system'),
      col('resource'),
      col('key'),
      col('fingerprint'),
      col('kind'),
      col('field'),
      col('primary'),
      col('shadow'),
      col('redacted'),
      col('detail'),
      col('via'),
      col('occurrences'),
    ],
  );
}

/** A record compared again: its open differences that this comparison no longer shows are resolved. */
async function resolveOthers(
  tx: Queryable,
  shadowAdapter: string,
  latest: Comparison[],
  rows: Map<string, Row>,
  now: Date,
): Promise<void> {
  if (latest.length === 0) return;
  const keep = [...rows.values()];
  await tx.query(
    `UPDATE shadow_diffs d SET resolved_at = $2
       FROM unnest($3::text[], $4::text[], $5::text[]) AS c(system, resource, key)
      WHERE d.shadow_adapter = $1 AND d.resolved_at IS NULL
        AND d.system = c.system AND d.resource = c.resource AND d.key = c.key
        AND NOT EXISTS (SELECT 1 FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) AS k(s, r, k, fp)
                         WHERE k.s = d.system AND k.r = d.resource AND k.k = d.key AND k.fp = d.fingerprint)`,
    [
      shadowAdapter,
      now,
      latest.map((c) => c.system),
      latest.map((c) => c.resource),
      latest.map((c) => c.key),
      keep.map((r) => r.system),
      keep.map((r) => r.resource),
      keep.map((r) => r.key),
      keep.map((r) => r.fingerprint),
    ],
  );
}

// ---- reading the evidence ------------------------------------------------------------------

export interface DbShadowDiff {
  id: number;
  shadow_adapter: string;
  system: string;
  resource: string;
  key: string;
  kind: string;
  field: string | null;
  primary_value: unknown;
  shadow_value: unknown;
  redacted: boolean;
  detail: string | null;
  via: string;
  occurrences: number;
  first_seen_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
}

export const ShadowDiff = z
  .object({
    id: z.number().int(),
    shadowAdapter: z.string(),
    system: z.string(),
    resource: z.string(),
    key: z.string(),
    kind: z.enum(['field', 'missing', 'extra', 'invalid', 'error']),
    field: z.string().nullable(),
    primary: z.unknown().describe('the primary (legacy) value; for sensitive fields a hash'),
    shadow: z.unknown().describe('the shadow (replacement) value; for sensitive fields a hash'),
    redacted: z.boolean(),
    detail: z.string().nullable(),
    via: z.enum(['one', 'page']),
    occurrences: z.number().int(),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'ShadowDiff' });
export type ShadowDiff = z.infer<typeof ShadowDiff>;

export function diffFromDb(r: DbShadowDiff): ShadowDiff {
  return {
    id: r.id,
    shadowAdapter: r.shadow_adapter,
    system: r.system,
    resource: r.resource,
    key: r.key,
    kind: r.kind as ShadowDiff['kind'],
    field: r.field,
    primary: r.primary_value,
    shadow: r.shadow_value,
    redacted: r.redacted,
    detail: r.detail,
    via: r.via as ShadowDiff['via'],
    occurrences: r.occurrences,
    firstSeenAt: r.first_seen_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
  };
}

export interface DiffQuery {
  resource?: string;
  field?: string;
  kind?: string;
  key?: string;
  state: 'open' | 'resolved' | 'all';
  cursor?: number;
  limit: number;
}

/** Newest first, keyset-paged by id. */
export async function listDiffs(
  db: Queryable,
  q: DiffQuery,
): Promise<{ items: ShadowDiff[]; nextCursor: number | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.resource) add('resource = ?', q.resource);
  if (q.field) add('field = ?', q.field);
  if (q.kind) add('kind = ?', q.kind);
  if (q.key) add('key = ?', q.key);
  if (q.state === 'open') where.push('resolved_at IS NULL');
  if (q.state === 'resolved') where.push('resolved_at IS NOT NULL');
  if (q.cursor !== undefined) add('id < ?', q.cursor);
  params.push(q.limit + 1);
  const r = await db.query<DbShadowDiff>(
    `SELECT * FROM shadow_diffs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  const more = r.rows.length > q.limit;
  const rows = more ? r.rows.slice(0, q.limit) : r.rows;
  return { items: rows.map(diffFromDb), nextCursor: more ? rows.at(-1)!.id : null };
}

export const ShadowSummary = z
  .object({
    resources: z.array(
      z.object({
        shadowAdapter: z.string(),
        system: z.string(),
        resource: z.string(),
        compared: z.number().int(),
        same: z.number().int(),
        different: z.number().int(),
        errors: z.number().int(),
        skipped: z.number().int(),
        recordsDifferingNow: z.number().int().describe('records with at least one open difference'),
        since: z.string(),
        lastAt: z.string(),
      }),
    ),
    fields: z.array(
      z.object({
        shadowAdapter: z.string(),
        system: z.string(),
        resource: z.string(),
        kind: z.enum(['field', 'missing', 'extra', 'invalid', 'error']),
        field: z.string().nullable(),
        open: z.number().int().describe('differences still shown by the latest comparison'),
        resolved: z.number().int(),
        records: z.number().int().describe('records with this difference open'),
        occurrences: z.number().int().describe('times seen in all'),
        lastSeenAt: z.string(),
      }),
    ),
  })
  .meta({ id: 'ShadowSummary' });
export type ShadowSummary = z.infer<typeof ShadowSummary>;

export async function summary(db: Queryable): Promise<ShadowSummary> {
  const res = await db.query<{
    shadow_adapter: string;
    system: string;
    resource: string;
    compared: number;
    same: number;
    different: number;
    errors: number;
    skipped: number;
    differing: number;
    first_at: Date;
    last_at: Date;
  }>(
    `SELECT s.*, (SELECT count(DISTINCT d.key) FROM shadow_diffs d
                   WHERE d.shadow_adapter = s.shadow_adapter AND d.system = s.system
                     AND d.resource = s.resource AND d.resolved_at IS NULL) AS differing
       FROM shadow_resources s ORDER BY s.shadow_adapter, s.system, s.resource`,
  );
  const fields = await db.query<{
    shadow_adapter: string;
    system: string;
    resource: string;
    kind: ShadowDiff['kind'];
    field: string | null;
    open: number;
    resolved: number;
    records: number;
    occurrences: number;
    last_seen_at: Date;
  }>(
    `SELECT shadow_adapter, system, resource, kind, field,
            count(*) FILTER (WHERE resolved_at IS NULL) AS open,
            count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
            count(DISTINCT key) FILTER (WHERE resolved_at IS NULL) AS records,
            sum(occurrences)::int8 AS occurrences,
            max(last_seen_at) AS last_seen_at
       FROM shadow_diffs
      GROUP BY shadow_adapter, system, resource, kind, field
      ORDER BY shadow_adapter, system, resource, kind, field NULLS FIRST`,
  );
  return {
    resources: res.rows.map((r) => ({
      shadowAdapter: r.shadow_adapter,
      system: r.system,
      resource: r.resource,
      compared: r.compared,
      same: r.same,
      different: r.different,
      errors: r.errors,
      skipped: r.skipped,
      recordsDifferingNow: r.differing,
      since: r.first_at.toISOString(),
      lastAt: r.last_at.toISOString(),
    })),
    fields: fields.rows.map((f) => ({
      shadowAdapter: f.shadow_adapter,
      system: f.system,
      resource: f.resource,
      kind: f.kind,
      field: f.field,
      open: f.open,
      resolved: f.resolved,
      records: f.records,
      occurrences: f.occurrences,
      lastSeenAt: f.last_seen_at.toISOString(),
    })),
  };
}
