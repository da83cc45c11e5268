/**
 * Read-ahead for readers catching up: after serving a full page, the feed starts reading the next
 * one, so the database and the reader's own parsing overlap instead of taking turns. Pages are
 * immutable (positions never change), so a prefetched page is as good as a fresh one; entries live
 * a short time so a reader that went away costs only a little memory.
 */
import type { Store } from '../store/types.ts';
import type { CompiledFilter } from './filter.ts';
import { readEvents, type EventPage } from './read.ts';

/** Pages kept at most (each up to MAX_PAGE events). */
const MAX_ENTRIES = 16;
/** A prefetched page not asked for within this long is dropped (and retention stays exact). */
const TTL_MS = 2_000;

export class ReadAhead {
  private readonly pages = new Map<string, { at: number; page: Promise<EventPage> }>();

  constructor(private readonly store: Store) {}

  private key(filterKey: string, after: number, limit: number): string {
    return `${filterKey}|${after}|${limit}`;
  }

  /** The prefetched page for exactly this read, if there is a fresh one. */
  take(filterKey: string, after: number, limit: number): Promise<EventPage> | undefined {
    const k = this.key(filterKey, after, limit);
    const hit = this.pages.get(k);
    if (!hit) return undefined;
    this.pages.delete(k);
    return Date.now() - hit.at <= TTL_MS ? hit.page : undefined;
  }

  prefetch(filterKey: string, filter: CompiledFilter, after: number, limit: number): void {
    const now = Date.now();
    for (const [k, v] of this.pages) if (now - v.at > TTL_MS) this.pages.delete(k);
    if (this.pages.size >= MAX_ENTRIES) {
      const oldest = this.pages.keys().next().value;
      if (oldest !== undefined) this.pages.delete(oldest);
    }
    const page = readEvents(this.store, { after, filter, limit });
    // A failed prefetch is simply not used; the reader's own read reports the error.
    page.catch(() => this.pages.delete(this.key(filterKey, after, limit)));
    this.pages.set(this.key(filterKey, after, limit), { at: now, page });
  }
}
