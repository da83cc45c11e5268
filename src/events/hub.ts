/**
 * One per process: knows the log's committed head and wakes whoever waits on it.
 *
 * Writers NOTIFY `seam_events` with the last position they appended (append.ts); PostgreSQL
 * delivers it to every process at commit, so a long-poll or stream in any process wakes promptly.
 * A slow safety poll of the head covers notifications lost with a dropped LISTEN connection.
 *
 * Live readers (SSE streams) do not each query the log on every notification: the hub reads the
 * new events once and hands the same unfiltered, position-ordered batch to every live subscriber,
 * which filters and redacts for its own caller. A subscriber that sees a hole in positions (it
 * joined late, or fell behind) reads the missing part itself; positions make that exact.
 */
import type { Logger } from '../log.ts';
import type { Store } from '../store/types.ts';
import { EVENTS_CHANNEL } from './append.ts';
import { EventsGone, logBounds, MAX_PAGE, readEvents } from './read.ts';
import type { SeamEvent } from './types.ts';

/** After a failed read for live streams, try again this soon (the store is probably briefly away). */
const FETCH_RETRY_MS = 1000;

export type LiveListener = (events: readonly SeamEvent[]) => void;

interface Waiter {
  beyond: number;
  wake: () => void;
}

export class EventHub {
  /** Highest position known to have committed. */
  head = 0;
  private fetched = 0;
  private fetching = false;
  private readonly waiters = new Set<Waiter>();
  private readonly live = new Set<LiveListener>();
  private readonly headListeners = new Set<(head: number) => void>();
  private unlisten?: () => Promise<void>;
  private safetyTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: { safetyPollMs: number },
  ) {}

  /** Long-polls waiting right now (metrics, tests). */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Live streams subscribed right now. */
  get streams(): number {
    return this.live.size;
  }

  async start(): Promise<void> {
    // Listen before reading the head, so no commit falls between the two unseen.
    this.unlisten = await this.store.listen(EVENTS_CHANNEL, (payload) => {
      const n = Number(payload);
      if (Number.isSafeInteger(n)) this.advance(n);
    });
    const { head } = await logBounds(this.store);
    this.head = Math.max(this.head, head);
    this.fetched = this.head;
    if (this.opts.safetyPollMs > 0) {
      this.safetyTimer = setInterval(() => void this.pollHead(), this.opts.safetyPollMs);
      this.safetyTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.safetyTimer);
    await this.unlisten?.().catch(() => undefined);
    for (const w of this.waiters) w.wake();
    this.waiters.clear();
  }

  /** Learned (from a notification, a poll or a read) that the log reaches `position`. */
  advance(position: number): void {
    if (position <= this.head) return;
    this.head = position;
    for (const w of this.waiters) {
      if (this.head > w.beyond) {
        this.waiters.delete(w);
        w.wake();
      }
    }
    for (const l of this.headListeners) l(position);
    if (this.live.size > 0) void this.fetchNew();
    else this.fetched = this.head;
  }

  /**
   * Resolves true once the head passes `beyond`, false when `ms` ran out or the signal aborted.
   * Resolves at once when the head is already past it (a notification that arrived between the
   * caller's read and this call is not lost).
   */
  waitBeyond(beyond: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.head > beyond) return Promise.resolve(true);
    if (this.stopped || ms <= 0 || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        resolve(woken);
      };
      const onAbort = () => done(false);
      const waiter: Waiter = { beyond, wake: () => done(!this.stopped) };
      const timer = setTimeout(() => done(false), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Receive every newly committed event in position order until the returned function is called. */
  subscribe(listener: LiveListener): () => void {
    this.live.add(listener);
    return () => this.live.delete(listener);
  }

  /** Called with the new head whenever it moves (webhook delivery uses it). */
  onHead(listener: (head: number) => void): () => void {
    this.headListeners.add(listener);
    return () => this.headListeners.delete(listener);
  }

  private async pollHead(): Promise<void> {
    try {
      const { head } = await logBounds(this.store);
      this.advance(head);
      if (this.live.size > 0 && this.fetched < this.head) void this.fetchNew();
    } catch (err) {
      this.log.debug({ err }, 'event log head poll failed');
    }
  }

  private async fetchNew(): Promise<void> {
    if (this.fetching) return;
    this.fetching = true;
    try {
      while (!this.stopped && this.fetched < this.head && this.live.size > 0) {
        let page;
        try {
          page = await readEvents(this.store, { after: this.fetched, limit: MAX_PAGE });
        } catch (err) {
          if (err instanceof EventsGone) {
            // Retention overtook the hub: subscribers will see the hole and settle it themselves.
            this.fetched = err.head;
            continue;
          }
          throw err;
        }
        this.fetched = page.next;
        if (page.head > this.head) this.advance(page.head);
        if (page.events.length > 0) for (const l of this.live) l(page.events);
      }
      if (this.live.size === 0) this.fetched = this.head;
    } catch (err) {
      this.log.warn({ err }, 'reading new events for live streams failed; retrying');
      setTimeout(() => void this.fetchNew(), FETCH_RETRY_MS).unref();
    } finally {
      this.fetching = false;
    }
  }
}
