/**
 * The guard in front of one legacy system. A read passes, in order:
 *
 *   maintenance window → cache → coalescing → retry (reads only, jittered, budgeted)
 *     → circuit breaker (opossum) → bulkhead + calls/second (p-queue) → one timed, size-capped call
 *
 * so agents can never put more on the box than its declared limits: identical concurrent reads
 * become one call, a failing box is left alone (breaker), a slow one gets at most `maxConcurrency`
 * calls and a bounded queue (then 503 + Retry-After), and retries cannot turn into a storm because
 * each retry spends a token that only first attempts earn.
 */
import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';
import CircuitBreaker from 'opossum';
import PQueue from 'p-queue';
import pRetry from 'p-retry';
import type { LegacyLimits, OperationKind } from '../adapter/resource.ts';
import type { Logger } from '../log.ts';
import { canonicalJson } from '../records/repo.ts';
import { LEGACY_ERROR, LegacyError } from './errors.ts';
import { MaintenanceWindows, type MaintenanceState } from './maintenance.ts';
import type { BREAKER_STATE, LegacyMetrics } from './metrics.ts';
import type { Transport } from './soap.ts';

export interface GuardedResult {
  value: unknown;
  /** When the legacy system gave this answer (earlier than now for cached answers). */
  at: Date;
  served: 'call' | 'cache' | 'coalesced';
}

export interface GuardOptions {
  system: string;
  limits: LegacyLimits;
  operations: Record<string, OperationKind>;
  transport: Transport;
  metrics: LegacyMetrics;
  log: Logger;
  now?: () => Date;
}

export type BreakerState = keyof typeof BREAKER_STATE;

/** Cached answers kept at most (per system), whatever their TTL. */
const CACHE_ENTRIES = 10_000;
/** Ratio tokens a quiet period can bank: bounds the burst of retries after a calm spell. */
const BUDGET_CAP = 10;

/**
 * Retry budget (Finagle-style): every first attempt earns `ratio` of a retry, each retry spends
 * one, plus `minPerSecond` retries a second that need no token so a quiet system can still retry.
 */
export class RetryBudget {
  /** In thousandths of a retry, so ratios like 0.1 add up exactly. */
  private milli = 0;
  private second = 0;
  private spentThisSecond = 0;
  constructor(
    private readonly ratio: number,
    private readonly minPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  deposit(): void {
    this.milli = Math.min(BUDGET_CAP * 1000, this.milli + Math.round(this.ratio * 1000));
  }

  tryWithdraw(): boolean {
    if (this.milli >= 1000) {
      this.milli -= 1000;
      return true;
    }
    const s = Math.floor(this.now() / 1000);
    if (s !== this.second) {
      this.second = s;
      this.spentThisSecond = 0;
    }
    if (this.spentThisSecond < this.minPerSecond) {
      this.spentThisSecond++;
      return true;
    }
    return false;
  }
}

export class LegacyGuard {
  readonly system: string;
  readonly maintenance: MaintenanceWindows;
  private readonly limits: LegacyLimits;
  private readonly queue: PQueue;
  private readonly breaker: CircuitBreaker<[string, Record<string, unknown>], { value: unknown; at: Date }>;
  private readonly cache?: LRUCache<string, { value: unknown; at: Date }>;
  private readonly inflight = new Map<string, Promise<{ value: unknown; at: Date }>>();
  private readonly budget: RetryBudget;
  private readonly now: () => Date;
  private openedAt = 0;

  constructor(private readonly o: GuardOptions) {
    this.system = o.system;
    this.limits = o.limits;
    this.now = o.now ?? (() => new Date());
    this.maintenance = new MaintenanceWindows(o.limits.maintenanceWindows, o.limits.timezone, this.now);
    this.queue = new PQueue({
      concurrency: o.limits.maxConcurrency,
      intervalCap: o.limits.callsPerSecond,
      interval: 1000,
    });
    if (o.limits.cacheTtlMs > 0)
      this.cache = new LRUCache({ max: CACHE_ENTRIES, ttl: o.limits.cacheTtlMs, ttlAutopurge: false });
    this.budget = new RetryBudget(o.limits.retry.budgetRatio, o.limits.retry.minPerSecond);

    const b = o.limits.breaker;
    this.breaker = new CircuitBreaker(
      (op: string, args: Record<string, unknown>) => this.inSlot(op, () => this.timedCall(op, args)),
      {
        timeout: false, // the transport's own per-call timeout aborts the socket; opossum's would not
        errorThresholdPercentage: b.errorThresholdPercentage,
        volumeThreshold: b.volumeThreshold,
        rollingCountTimeout: b.rollingWindowMs,
        rollingCountBuckets: 10,
        resetTimeout: b.resetTimeoutMs,
        // Answers like "not found" or "bad argument" are the box working; only health failures count.
        errorFilter: (err: unknown) => !(err instanceof LegacyError && err.isBoxFailure),
      },
    );
    this.breaker.on('open', () => {
      this.openedAt = Date.now();
      o.log.warn({ system: o.system }, 'circuit breaker opened: pausing calls to the legacy system');
    });
    this.breaker.on('halfOpen', () => {
      o.log.info({ system: o.system }, 'circuit breaker half-open: probing the legacy system');
    });
    this.breaker.on('close', () => {
      o.log.info({ system: o.system }, 'circuit breaker closed: the legacy system answers again');
    });
  }

  breakerState(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half_open';
    return 'closed';
  }

  maintenanceState(): MaintenanceState {
    return this.maintenance.state(this.now());
  }

  /** Calls waiting for a slot, and calls in flight at the box. */
  load(): { queued: number; inFlight: number } {
    return { queued: this.queue.size, inFlight: this.queue.pending };
  }

  /** A read through every protection. Throws LegacyError. */
  async read(operation: string, args: Record<string, unknown>): Promise<GuardedResult> {
    const count = (served: string) => this.o.metrics.requests.inc({ system: this.system, operation, served });
    const kind = this.o.operations[operation];
    if (kind !== 'read') {
      count('rejected');
      // seam holds no write path at all: a write operation cannot be called through the guard.
      throw new LegacyError({
        system: this.system,
        operation,
        kind: LEGACY_ERROR.refused,
        message:
          kind === 'write'
            ? `${operation} is a write operation; seam never calls write operations`
            : `${operation} is not a declared operation of ${this.system}`,
      });
    }
    const m = this.maintenance.state(this.now());
    if (m.active) {
      count('rejected');
      throw new LegacyError({
        system: this.system,
        operation,
        kind: LEGACY_ERROR.maintenance,
        message: `${this.system} is in a maintenance window until ${m.until?.toISOString() ?? 'later'}`,
        retryAfterSeconds: m.until ? (m.until.getTime() - this.now().getTime()) / 1000 : 60,
      });
    }
    const key = `${operation} ${canonicalJson(args)}`;
    const hit = this.cache?.get(key);
    if (hit) {
      count('cache');
      return { ...hit, served: 'cache' };
    }
    const pending = this.inflight.get(key);
    if (pending) {
      count('coalesced');
      return { ...(await pending), served: 'coalesced' };
    }
    count('call');
    const p = this.withRetries(operation, args);
    this.inflight.set(key, p);
    try {
      const r = await p;
      this.cache?.set(key, r);
      return { ...r, served: 'call' };
    } finally {
      this.inflight.delete(key);
    }
  }

  private withRetries(operation: string, args: Record<string, unknown>) {
    const r = this.limits.retry;
    this.budget.deposit();
    return pRetry(() => this.throughBreaker(operation, args), {
      retries: r.retries,
      factor: 2,
      minTimeout: r.minDelayMs,
      maxTimeout: r.maxDelayMs,
      randomize: true,
      unref: true,
      shouldRetry: ({ error }) => {
        if (!(error instanceof LegacyError) || !error.transient) return false;
        const ok = this.budget.tryWithdraw();
        this.o.metrics.retries.inc({
          system: this.system,
          operation,
          decision: ok ? 'retried' : 'budget_exhausted',
        });
        return ok;
      },
    });
  }

  private async throughBreaker(operation: string, args: Record<string, unknown>) {
    try {
      return await this.breaker.fire(operation, args);
    } catch (err) {
      if (err instanceof LegacyError) throw err;
      if ((err as { code?: unknown } | null)?.code === 'EOPENBREAKER') {
        const waited = Date.now() - this.openedAt;
        throw new LegacyError({
          system: this.system,
          operation,
          kind: LEGACY_ERROR.circuitOpen,
          message: `calls to ${this.system} are paused after repeated failures`,
          retryAfterSeconds: Math.max(1, (this.limits.breaker.resetTimeoutMs - waited) / 1000),
        });
      }
      throw err;
    }
  }

  /**
   * A call that is not a guarded read (a gated write) in one of the box's slots: bulkhead, queue
   * limit and calls/second apply; no cache, coalescing, retries or breaker (the caller decides).
   */
  async inSlot<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (this.queue.size >= this.limits.queueSize) {
      throw new LegacyError({
        system: this.system,
        operation,
        kind: LEGACY_ERROR.overloaded,
        message: `${this.limits.queueSize} calls to ${this.system} are already waiting`,
        retryAfterSeconds: 1,
      });
    }
    // A call that cannot get a slot within the timeout gives up rather than pile up behind a slow box.
    const waitLimit = new AbortController();
    const timer = setTimeout(() => waitLimit.abort(), this.limits.timeoutMs);
    timer.unref();
    try {
      return await this.queue.add(
        () => {
          clearTimeout(timer);
          return run();
        },
        { signal: waitLimit.signal },
      );
    } catch (err) {
      if (waitLimit.signal.aborted && !(err instanceof LegacyError)) {
        throw new LegacyError({
          system: this.system,
          operation,
          kind: LEGACY_ERROR.overloaded,
          message: `no free slot at ${this.system} within ${this.limits.timeoutMs} ms`,
          retryAfterSeconds: 1,
        });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async timedCall(operation: string, args: Record<string, unknown>) {
    const labels = { system: this.system, operation };
    const start = performance.now();
    let outcome = 'ok';
    try {
      const value = await this.o.transport(operation, args);
      return { value, at: this.now() };
    } catch (err) {
      outcome =
        err instanceof LegacyError ? (err.kind === 'fault' ? `fault_${err.faultKind}` : err.kind) : 'error';
      throw err;
    } finally {
      const seconds = (performance.now() - start) / 1000;
      this.o.metrics.calls.inc({ ...labels, outcome });
      this.o.metrics.duration.observe({ ...labels, outcome }, seconds);
    }
  }

  async close(): Promise<void> {
    this.maintenance.close();
    this.queue.clear();
    this.cache?.clear();
    this.breaker.shutdown();
  }
}
