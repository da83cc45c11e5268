/**
 * The agents' event feed: a page of events after a position, optionally long-polled (returns as
 * soon as a matching event exists, or empty when the wait ends), redacted for the caller.
 */
import type { Principal } from '../access/types.ts';
import type { Store } from '../store/types.ts';
import { compileFilter, type EventFilter } from './filter.ts';
import type { EventHub } from './hub.ts';
import { logBounds, readEvents, type EventPage } from './read.ts';
import { ReadAhead } from './readahead.ts';
import { redactEvent, type SensitiveFields } from './redact.ts';

/** Longest long-poll: long enough to save round trips, short enough for proxies' idle timeouts. */
export const MAX_WAIT_MS = 30_000;

export interface FeedQuery {
  /** Position to read after; undefined starts at the oldest event still kept. */
  after?: number;
  filter: EventFilter;
  limit: number;
  /** Long-poll up to this long when nothing matches yet. */
  waitMs: number;
}

export class EventFeed {
  private readonly readAhead: ReadAhead;

  constructor(
    private readonly store: Store,
    readonly hub: EventHub,
    private readonly sensitiveFields: SensitiveFields,
  ) {
    this.readAhead = new ReadAhead(store);
  }

  /** Read (and long-poll) one page; throws EventsGone when `after` is older than the log keeps. */
  async poll(q: FeedQuery, caller: Principal | undefined, signal?: AbortSignal): Promise<EventPage> {
    const filter = compileFilter(q.filter);
    const deadline = Date.now() + Math.min(q.waitMs, MAX_WAIT_MS);
    let after = q.after;
    if (after === undefined) {
      // "From the start" means from what is still kept: oldest - 1.
      after = (await logBounds(this.store)).oldest - 1;
    }
    const filterKey = JSON.stringify([q.filter.types ?? null, q.filter.subject ?? null]);
    const ahead = this.readAhead.take(filterKey, after, q.limit);
    let page = ahead
      ? await ahead.catch(() => readEvents(this.store, { after: after!, filter, limit: q.limit }))
      : await readEvents(this.store, { after, filter, limit: q.limit });
    this.hub.advance(page.head);
    while (page.events.length === 0 && !signal?.aborted) {
      if (page.next < page.head) {
        // The scan window ran out before the head: keep scanning without waiting.
        if (Date.now() >= deadline) break;
        page = await readEvents(this.store, { after: page.next, filter, limit: q.limit });
        continue;
      }
      const woken = await this.hub.waitBeyond(page.head, deadline - Date.now(), signal);
      if (!woken) break;
      page = await readEvents(this.store, { after: page.next, filter, limit: q.limit });
      // Never past the deadline, whatever woke us (a head this log has not reached yet included).
      if (Date.now() >= deadline) break;
    }
    // A full page means the reader is catching up: start on the next one while this one travels.
    if (page.events.length === q.limit && page.next < page.head)
      this.readAhead.prefetch(filterKey, filter, page.next, q.limit);
    return { ...page, events: page.events.map((e) => redactEvent(e, this.sensitiveFields, caller)) };
  }

  redact(event: Parameters<typeof redactEvent>[0], caller: Principal | undefined) {
    return redactEvent(event, this.sensitiveFields, caller);
  }
}
