/**
 * Delivers events to webhook subscriptions, at least once and in position order per subscription.
 *
 * Claiming: a process takes a subscription with `FOR UPDATE SKIP LOCKED` and stamps a lease
 * (locked_by, locked_until), then posts outside any transaction. Other processes skip a leased
 * subscription, so no two deliver it at the same time; a process that dies leaves a lease that
 * expires and another takes over from the cursor. The cursor moves only after the receiver said
 * 2xx, so a crash in between re-delivers that event (same webhook-id: receivers dedupe), never
 * skips it. Every cursor write is fenced on `locked_by` so a process whose lease ran out stops.
 *
 * Failures: the subscription waits with jittered exponential backoff, then retries the same event;
 * after SEAM_WEBHOOK_MAX_ATTEMPTS consecutive failures (or a 410 from the receiver, or its owner
 * key revoked) it is parked until the agent resumes it.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';
import { compileFilter } from '../filter.ts';
import type { EventHub } from '../hub.ts';
import { EventsGone, readEvents } from '../read.ts';
import { redactEvent, type SensitiveFields } from '../redact.ts';
import type { SeamEvent } from '../types.ts';
import { ownerState } from './owner.ts';
import type { WebhookPoster } from './post.ts';
import type { DbSubscription } from './subscriptions.ts';

export interface WorkerOptions {
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often to look for due retries claimed by nobody (new events wake the worker at once). */
  tickMs?: number;
  /** Subscriptions one process works at the same time. */
  concurrency?: number;
  /** Called after every attempt (metrics). */
  onAttempt?: (outcome: 'delivered' | 'failed', durationMs: number) => void;
}

/** Events read per claim round trip. */
const BATCH = 50;

/** Full backoff before retry n (1-based), with jitter between half and all of it. */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random = Math.random): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(full / 2 + (random() * full) / 2);
}

export class WebhookWorker {
  readonly id = `${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly leaseMs: number;
  private running = 0;
  private again = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly hub: EventHub,
    private readonly poster: WebhookPoster,
    private readonly sensitiveFields: SensitiveFields,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {
    // A lease outlives the work done under it: work stops starting new posts at half the lease.
    this.leaseMs = Math.max(30_000, opts.timeoutMs * 4);
  }

  start(): void {
    this.unsubscribe = this.hub.onHead(() => this.kick());
    this.timer = setInterval(() => this.kick(), this.opts.tickMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    if (this.running > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  /** Look for work now. */
  kick(): void {
    if (this.stopped) return;
    const concurrency = this.opts.concurrency ?? 4;
    if (this.running >= concurrency) {
      this.again = true;
      return;
    }
    this.running++;
    void this.drain().finally(() => {
      this.running--;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
      if (this.running === 0) for (const resolve of this.idle) resolve();
    });
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        const sub = await this.claim();
        if (!sub) return;
        // More may be due: let another runner claim in parallel.
        this.kick();
        await this.work(sub);
      }
    } catch (err) {
      this.log.warn({ err }, 'webhook delivery round failed');
    }
  }

  private async claim(): Promise<DbSubscription | undefined> {
    const r = await this.store.query<DbSubscription>(
      `UPDATE webhook_subscriptions
          SET locked_by = $1, locked_until = now() + make_interval(secs => $2::double precision)
        WHERE id = (
          SELECT id FROM webhook_subscriptions
           WHERE status = 'active' AND next_attempt_at <= now()
             AND (locked_until IS NULL OR locked_until < now())
             AND cursor < (SELECT last_position FROM event_log_head)
           ORDER BY next_attempt_at
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [this.id, this.leaseMs / 1000],
    );
    return r.rows[0];
  }

  private async work(sub: DbSubscription): Promise<void> {
    const until = Date.now() + this.leaseMs / 2;
    let cursor = sub.cursor;
    let failures = sub.consecutive_failures;
    try {
      const owner = await ownerState(this.store, sub.owner_id);
      if (!owner.valid) return await this.park(sub, 'the agent key that registered it is revoked or expired');
      const caller = { scopes: owner.scopes };
      const filter = compileFilter({
        types: sub.types ?? undefined,
        subject: sub.subject_prefix ?? undefined,
      });
      while (Date.now() < until && !this.stopped) {
        let page;
        try {
          page = await readEvents(this.store, { after: cursor, filter, limit: BATCH });
        } catch (err) {
          if (err instanceof EventsGone)
            return await this.park(sub, `events after ${cursor} were removed by retention before delivery`);
          throw err;
        }
        for (const event of page.events) {
          if (Date.now() >= until || this.stopped) return;
          const ok = await this.deliver(sub, event, failures + 1, caller);
          if (ok === 'lost') return;
          if (ok === 'failed') return;
          cursor = event.position;
          failures = 0;
        }
        if (page.next > cursor) {
          if (!(await this.moveCursor(sub, page.next))) return;
          cursor = page.next;
        }
        if (page.next >= page.head) return;
      }
    } catch (err) {
      this.log.warn({ err, subscription: sub.id }, 'webhook delivery failed unexpectedly');
    } finally {
      await this.store
        .query(
          'UPDATE webhook_subscriptions SET locked_by = NULL, locked_until = NULL WHERE id = $1 AND locked_by = $2',
          [sub.id, this.id],
        )
        .catch((err: unknown) =>
          this.log.warn({ err, subscription: sub.id }, 'could not release webhook lease'),
        );
    }
  }

  /** Post one event; returns 'delivered', 'failed' (backoff or parked), or 'lost' (lease gone). */
  private async deliver(
    sub: DbSubscription,
    event: SeamEvent,
    attempt: number,
    caller: { scopes: string[] },
  ): Promise<'delivered' | 'failed' | 'lost'> {
    const body = JSON.stringify(redactEvent(event, this.sensitiveFields, caller));
    const r = await this.poster.post(sub.url, sub.secret, event.id, body);
    this.opts.onAttempt?.(r.ok ? 'delivered' : 'failed', r.durationMs);
    await this.store.query(
      `INSERT INTO webhook_deliveries
         (subscription_id, position, event_id, event_type, attempt, outcome, http_status, error, duration_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        sub.id,
        event.position,
        event.id,
        event.type,
        attempt,
        r.ok ? 'delivered' : 'failed',
        r.status ?? null,
        r.error?.slice(0, 500) ?? null,
        r.durationMs,
      ],
    );
    if (r.ok) {
      const u = await this.store.query(
        `UPDATE webhook_subscriptions
            SET cursor = $3, delivered_count = delivered_count + 1, consecutive_failures = 0,
                last_attempt_at = now(), last_success_at = now(), last_error = NULL
          WHERE id = $1 AND locked_by = $2`,
        [sub.id, this.id, event.position],
      );
      return u.rowCount > 0 ? 'delivered' : 'lost';
    }
    const error = (r.error ?? 'failed').slice(0, 500);
    const park = attempt >= this.opts.maxAttempts || r.status === 410;
    if (park) {
      const reason =
        r.status === 410
          ? 'the receiver answered 410 Gone'
          : `${attempt} consecutive failed attempts (last: ${error})`;
      await this.store.query(
        `UPDATE webhook_subscriptions
            SET status = 'parked', parked_at = now(), parked_reason = $3, consecutive_failures = $4,
                last_attempt_at = now(), last_error = $5
          WHERE id = $1 AND locked_by = $2`,
        [sub.id, this.id, reason, attempt, error],
      );
      this.log.warn({ subscription: sub.id, reason }, 'webhook subscription parked');
      return 'failed';
    }
    const delay = backoffMs(attempt, this.opts.retryBaseMs, this.opts.retryMaxMs);
    await this.store.query(
      `UPDATE webhook_subscriptions
          SET consecutive_failures = $3, last_attempt_at = now(), last_error = $4,
              next_attempt_at = now() + make_interval(secs => $5::double precision)
        WHERE id = $1 AND locked_by = $2`,
      [sub.id, this.id, attempt, error, delay / 1000],
    );
    // Come back for it ourselves when it is due (other processes' ticks would too).
    setTimeout(() => this.kick(), delay + 5).unref();
    return 'failed';
  }

  private async moveCursor(sub: DbSubscription, to: number): Promise<boolean> {
    const u = await this.store.query(
      'UPDATE webhook_subscriptions SET cursor = $3 WHERE id = $1 AND locked_by = $2 AND cursor < $3',
      [sub.id, this.id, to],
    );
    return u.rowCount > 0;
  }

  private async park(sub: DbSubscription, reason: string): Promise<void> {
    await this.store.query(
      `UPDATE webhook_subscriptions SET status = 'parked', parked_at = now(), parked_reason = $3
        WHERE id = $1 AND locked_by = $2`,
      [sub.id, this.id, reason],
    );
    this.log.warn({ subscription: sub.id, reason }, 'webhook subscription parked');
  }
}
