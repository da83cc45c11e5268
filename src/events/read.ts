/**
 * Reading the log: one page of events after a position, with the log's head and tail read in the
 * same statement (one snapshot), so a page can be trusted whole:
 * - every event up to `head` has committed (positions are handed out under the head's row lock and
 *   become visible in order, see append.ts), so `next` may move up to `head` even when nothing matched;
 * - if retention removed anything after `after`, `prunedThrough` says so and the reader gets
 *   EventsGone (410) instead of a page with a hole in it.
 */
import type { Queryable } from '../store/types.ts';
import { compileFilter, type CompiledFilter, type EventFilter } from './filter.ts';
import type { SeamEvent } from './types.ts';

/** Largest page a reader may ask for. */
export const MAX_PAGE = 1000;

/**
 * Positions one filtered query scans at most. A selective filter over a long log would otherwise
 * walk the whole table in one statement; instead the page comes back short with `next` advanced,
 * and the reader (or the long-poll loop) carries on from there. Unfiltered reads need no window:
 * positions are gap-free, so (after, after + limit] holds exactly the page.
 */
export const SCAN_WINDOW = 10_000;

export interface ReadRequest {
  after: number;
  filter?: EventFilter | CompiledFilter;
  limit: number;
}

export interface EventPage {
  events: SeamEvent[];
  /** The `after` to ask for next: every event up to it has been considered. */
  next: number;
  /** Highest committed position. */
  head: number;
  /** Lowest position still in the log (head + 1 when the log is empty). */
  oldest: number;
}

/** The reader asked for events that retention has already removed. */
export class EventsGone extends Error {
  readonly code = 'events_gone';
  constructor(
    readonly after: number,
    readonly oldest: number,
    readonly head: number,
  ) {
    super(`Events after position ${after} are no longer kept; the oldest available is ${oldest}.`);
    this.name = 'EventsGone';
  }
}

interface Row {
  head: number;
  pruned_through: number;
  position: number | null;
  id: string;
  source: string;
  type: string;
  subject: string | null;
  /** ISO 8601 UTC, formatted by the database (cheaper than Date round trips for big pages). */
  time: string;
  data: Record<string, unknown>;
}

// Head and tail come from scalar subqueries (estimated as one row each, whatever the statistics),
// not joins: on a freshly loaded table a join's estimate made the planner pick a slow plan and
// JIT-compile a sub-millisecond query for a second.
const READ_SQL = `
SELECT b.head, b.pruned_through,
       e.position, e.id, e.source, e.type, e.subject,
       to_char(e.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time, e.data
  FROM (SELECT (SELECT last_position FROM event_log_head) AS head,
               (SELECT pruned_through FROM event_log_tail) AS pruned_through) b
  LEFT JOIN LATERAL (
    SELECT position, id, source, type, subject, time, data
      FROM events
     WHERE position > $1 AND position <= least(b.head, $1 + $2::bigint)
       AND ($3::text[] IS NULL OR type LIKE ANY ($3::text[]))
       AND ($4::text IS NULL OR starts_with(subject, $4::text))
     ORDER BY position
     LIMIT $5
  ) e ON true`;

function isCompiled(f: EventFilter | CompiledFilter | undefined): f is CompiledFilter {
  return f !== undefined && 'matches' in f;
}

export async function readEvents(db: Queryable, req: ReadRequest): Promise<EventPage> {
  const filter = isCompiled(req.filter) ? req.filter : compileFilter(req.filter);
  const limit = Math.max(1, Math.min(MAX_PAGE, req.limit));
  const unfiltered = filter.likePatterns === null && filter.subject === null;
  const window = unfiltered ? limit : SCAN_WINDOW;
  const r = await db.query<Row>(READ_SQL, [req.after, window, filter.likePatterns, filter.subject, limit]);
  const first = r.rows[0]!;
  const head = first.head;
  const oldest = first.pruned_through + 1;
  if (req.after < first.pruned_through) throw new EventsGone(req.after, oldest, head);
  const events: SeamEvent[] = [];
  for (const row of r.rows) {
    if (row.position === null) continue;
    events.push({
      specversion: '1.0',
      id: row.id,
      source: row.source,
      type: row.type,
      ...(row.subject !== null ? { subject: row.subject } : {}),
      time: row.time,
      datacontenttype: 'application/json',
      data: row.data,
      position: row.position,
    });
  }
  const scannedTo = Math.max(req.after, Math.min(head, req.after + window));
  const next = events.length === limit ? events[events.length - 1]!.position : scannedTo;
  return { events, next, head, oldest };
}

/** The committed head and tail, without reading events. */
export async function logBounds(db: Queryable): Promise<{ head: number; oldest: number }> {
  const r = await db.query<{ head: number; pruned_through: number }>(
    `SELECT (SELECT last_position FROM event_log_head) AS head,
            (SELECT pruned_through FROM event_log_tail) AS pruned_through`,
  );
  const row = r.rows[0]!;
  return { head: row.head, oldest: row.pruned_through + 1 };
}
