/**
 * Rate limits: token buckets kept in the store, so every seam process on one database draws from
 * the same bucket (a per-process memory limiter would let N processes grant N times the limit).
 * One UPSERT per request covers the key's bucket and the global one. We do not use
 * rate-limiter-flexible's Postgres store: it wants a raw pg pool (so not PGlite), creates its own
 * table and cleanup timers, and counts fixed windows (twice the limit across a window edge); this
 * bucket refills smoothly, runs the same SQL on both stores, and needs no cleanup (one row per key).
 */
import { Problem } from '../http/problem.ts';
import type { Queryable } from '../store/types.ts';

export interface BucketSpec {
  bucket: string;
  /** Requests per minute; also the burst size. */
  perMinute: number;
}

export interface Verdict {
  allowed: boolean;
  /** Seconds until the next request would be allowed (when refused). */
  retryAfterSeconds: number;
  /** The first bucket that refused. */
  bucket?: string;
}

/** Take one token from each bucket (in the given order, which callers keep stable). */
export async function take(db: Queryable, specs: readonly BucketSpec[]): Promise<Verdict> {
  const { verdict } = await takeMany(
    db,
    specs.map((s) => ({ ...s, amount: 1 })),
  );
  return verdict;
}

/**
 * Take up to `amount` tokens from each bucket: all of them when that many are there, else one when
 * one is there, else none (the bucket then goes to -1, which sets Retry-After). Returns how many each
 * bucket granted.
 */
async function takeMany(
  db: Queryable,
  specs: readonly (BucketSpec & { amount: number })[],
): Promise<{ verdict: Verdict; granted: Map<string, number> }> {
  const granted = new Map<string, number>();
  if (specs.length === 0) return { verdict: { allowed: true, retryAfterSeconds: 0 }, granted };
  const avail = `LEAST(EXCLUDED.capacity, b.tokens + EXTRACT(EPOCH FROM (EXCLUDED.refilled_at - b.refilled_at)) * EXCLUDED.capacity / 60.0)`;
  const r = await db.query<{ bucket: string; tokens: number; capacity: number; last_grant: number }>(
    `INSERT INTO rate_buckets AS b (bucket, tokens, capacity, refilled_at, last_grant)
     SELECT t.bucket, t.capacity - LEAST(t.amount, t.capacity), t.capacity, clock_timestamp(), LEAST(t.amount, t.capacity)
       FROM unnest($1::text[], $2::float8[], $3::float8[]) WITH ORDINALITY AS t(bucket, capacity, amount, n)
      ORDER BY t.n
     ON CONFLICT (bucket) DO UPDATE SET
       tokens = CASE WHEN ${avail} >= EXCLUDED.last_grant THEN ${avail} - EXCLUDED.last_grant
                     ELSE GREATEST(-1, ${avail} - 1) END,
       last_grant = CASE WHEN ${avail} >= EXCLUDED.last_grant THEN EXCLUDED.last_grant
                         WHEN ${avail} >= 1 THEN 1 ELSE 0 END,
       capacity = EXCLUDED.capacity,
       refilled_at = EXCLUDED.refilled_at
     RETURNING bucket, tokens, capacity, last_grant`,
    [specs.map((s) => s.bucket), specs.map((s) => s.perMinute), specs.map((s) => s.amount)],
  );
  let worst: Verdict = { allowed: true, retryAfterSeconds: 0 };
  for (const row of r.rows) {
    granted.set(row.bucket, row.last_grant);
    if (row.last_grant >= 1) continue;
    const wait = Math.max(1, Math.ceil((-row.tokens * 60) / row.capacity));
    if (worst.allowed || wait > worst.retryAfterSeconds)
      worst = { allowed: false, retryAfterSeconds: wait, bucket: row.bucket };
  }
  return { verdict: worst, granted };
}

/** How long leased tokens stay usable: unused ones lapse, so a process cannot hoard a burst. */
export const LEASE_MS = 1000;

/**
 * Shared buckets with per-process leases. A process takes a second's worth of a bucket's tokens
 * from the store at once and spends them locally, so most requests cost no store round trip.
 * Tokens are debited from the shared bucket before they are spent, so N processes together never
 * grant more than the limit; unused leased tokens lapse after LEASE_MS (a slight under-grant).
 * Small limits (under 120 a minute) lease one token at a time and behave exactly like `take`.
 */
export class LeasedBuckets {
  private readonly local = new Map<string, { tokens: number; until: number }>();
  /** Lease refreshes in flight, by bucket set: concurrent requests share one instead of each taking a lease. */
  private readonly refreshing = new Map<string, Promise<Verdict>>();
  constructor(
    private readonly db: Queryable,
    private readonly now: () => number = Date.now,
  ) {}

  async take(specs: readonly BucketSpec[]): Promise<Verdict> {
    for (;;) {
      const t = this.now();
      const missing = specs.filter((s) => {
        const l = this.local.get(s.bucket);
        return !l || l.tokens < 1 || l.until <= t;
      });
      if (missing.length === 0) {
        for (const s of specs) this.local.get(s.bucket)!.tokens -= 1;
        if (this.local.size > 10_000) this.local.clear();
        return { allowed: true, retryAfterSeconds: 0 };
      }
      // Whoever finds a lease missing refreshes it; requests arriving meanwhile wait for that refresh
      // and then spend from it (leasing once each would drain the shared bucket N times as fast).
      const id = missing.map((s) => s.bucket).join('\n');
      let refresh = this.refreshing.get(id);
      if (!refresh) {
        refresh = this.refresh(missing).finally(() => this.refreshing.delete(id));
        this.refreshing.set(id, refresh);
      }
      const verdict = await refresh;
      if (!verdict.allowed) return verdict;
      // Granted: go round and spend (others waiting on the same refresh may have used it up first).
    }
  }

  private async refresh(missing: readonly BucketSpec[]): Promise<Verdict> {
    const { verdict, granted } = await takeMany(
      this.db,
      missing.map((s) => ({ ...s, amount: Math.max(1, Math.floor(s.perMinute / 60)) })),
    );
    // The lease runs from when it arrived, so a slow round trip cannot leave it expired on arrival.
    const t = this.now();
    for (const [bucket, n] of granted) if (n >= 1) this.local.set(bucket, { tokens: n, until: t + LEASE_MS });
    return verdict;
  }
}

export function rateLimited(retryAfterSeconds: number, detail: string): Problem {
  return new Problem({
    status: 429,
    code: 'rate_limited',
    title: 'Too many requests',
    detail,
    headers: { 'Retry-After': String(retryAfterSeconds) },
    extra: { retryAfterSeconds },
  });
}
