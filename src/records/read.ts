/**
 * The read facade's logic: answer one record or a page of records, from the store or live from the
 * legacy system, always saying where the answer came from and how old it is.
 *
 * - A stored record is served as is (`source: store`), `stale` once older than the resource's
 *   `staleAfterSeconds`.
 * - `consistency=live`, or a record the store does not have, reads through the guarded legacy
 *   client (`source: live`). A live answer that differs from the stored copy is written back with
 *   its change event in one transaction.
 * - Inside a maintenance window the legacy system is not called: the stored copy is served with
 *   `stale: true` (`stale_reason: maintenance`); without one the caller gets 503 + Retry-After.
 */
import type { ResourceHandle } from '../adapter/registry.ts';
import { problems } from '../http/problem.ts';
import { LegacyError } from '../legacy/errors.ts';
import type { Store } from '../store/types.ts';
import { decodeCursor, encodeCursor, listRecords } from './query.ts';
import { recordLoader } from './loader.ts';
import { canonicalJson, getRecord } from './repo.ts';
import { syncRecords } from './sync.ts';
import type { StoredRecord } from './types.ts';

/** Stored copies are fresh for this long unless the resource says otherwise (nightly drops + slack). */
export const DEFAULT_STALE_AFTER_SECONDS = 26 * 3600;

export type Consistency = 'store' | 'live';

export interface RecordEnvelope {
  system: string;
  resource: string;
  id: string;
  /** Store version of the record (bumped on every change); null if it was never stored. */
  version: number | null;
  data: Record<string, unknown>;
  /** `store`: seam's copy; `live`: read from the legacy system for this request (or within its short cache). */
  source: 'store' | 'live';
  /** How seam's copy was learned: a batch `feed`, a `soap` read or poll. */
  origin: 'feed' | 'soap' | 'api';
  /** When the legacy system said this was true (ISO 8601 UTC). */
  as_of: string;
  stale: boolean;
  stale_reason?: 'age' | 'maintenance';
}

export interface RecordPage {
  system: string;
  resource: string;
  items: RecordEnvelope[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
  source: 'store';
  /** The oldest `as_of` on this page (null when empty). */
  as_of: string | null;
  /** True when any item on the page is stale. */
  stale: boolean;
}

function staleAfterMs(h: ResourceHandle): number {
  return (h.def.staleAfterSeconds ?? DEFAULT_STALE_AFTER_SECONDS) * 1000;
}

export function storedEnvelope(h: ResourceHandle, r: StoredRecord, now: Date): RecordEnvelope {
  const old = now.getTime() - r.asOf.getTime() > staleAfterMs(h);
  return {
    system: r.system,
    resource: r.resource,
    id: r.key,
    version: r.version,
    data: r.data,
    source: 'store',
    origin: r.source,
    as_of: r.asOf.toISOString(),
    stale: old,
    ...(old ? { stale_reason: 'age' as const } : {}),
  };
}

/**
 * Live answers being written back, by store, record and content. Concurrent live reads of one record
 * (coalesced into one legacy call, so they all carry the same answer) share one write instead of each
 * taking the event log's lock for the same change: 200 agents asking at once cost one transaction.
 */
const writesInFlight = new WeakMap<Store, Map<string, Promise<number | null>>>();

function writeBack(
  store: Store,
  h: ResourceHandle,
  live: NonNullable<Awaited<ReturnType<ResourceHandle['fetchOne']>>>,
  liveJson: string,
): Promise<number | null> {
  let inFlight = writesInFlight.get(store);
  if (!inFlight) writesInFlight.set(store, (inFlight = new Map()));
  const k = `${h.system}\u0000${h.def.name}\u0000${live.key}\u0000${liveJson}`;
  let p = inFlight.get(k);
  if (!p) {
    const map = inFlight;
    p = syncRecords(store, { system: h.system, resource: h.def.name, entity: h.def.entity }, [live])
      .then((r) => r.records.get(live.key)?.version ?? null)
      .finally(() => map.delete(k));
    map.set(k, p);
  }
  return p;
}

export async function readOne(
  store: Store,
  h: ResourceHandle,
  id: string,
  consistency: Consistency,
  now: () => Date = () => new Date(),
): Promise<RecordEnvelope> {
  const key = h.normaliseKey(id);
  const loader = recordLoader(store);
  let storedNow: Promise<StoredRecord | undefined>;
  if (consistency === 'store') {
    const stored = await loader.get(h.system, h.def.name, key);
    if (stored) return storedEnvelope(h, stored, now());
    // Just read: the store has no copy to compare the live answer with.
    storedNow = Promise.resolve(undefined);
  } else {
    // The stored copy (to compare the live answer with, or to serve in a maintenance window) is read
    // while the legacy system is asked, so its round trip hides under the legacy call's.
    storedNow = loader.get(h.system, h.def.name, key);
    storedNow.catch(() => undefined);
  }
  let live;
  try {
    live = await h.fetchOne(key);
  } catch (err) {
    if (err instanceof LegacyError && err.kind === 'maintenance') {
      const stored = await storedNow;
      if (stored) return { ...storedEnvelope(h, stored, now()), stale: true, stale_reason: 'maintenance' };
    }
    throw err;
  }
  if (!live) throw problems.notFound(`No ${h.def.entity} ${key} in ${h.system}.`);
  const current = live.key === key ? await storedNow : await getRecord(store, h.system, h.def.name, live.key);
  let version = current?.version ?? null;
  const liveJson = canonicalJson(live.data);
  if (!current || canonicalJson(current.data) !== liveJson) {
    version = (await writeBack(store, h, live, liveJson)) ?? version;
  }
  return {
    system: h.system,
    resource: h.def.name,
    id: live.key,
    version,
    data: live.data,
    source: 'live',
    origin: 'soap',
    as_of: live.at.toISOString(),
    stale: false,
  };
}

export interface ListInput {
  filters: Record<string, string>;
  cursor?: string;
  limit: number;
}

export async function readPage(
  store: Store,
  h: ResourceHandle,
  q: ListInput,
  now: () => Date = () => new Date(),
): Promise<RecordPage> {
  for (const f of Object.keys(q.filters))
    if (!h.def.filterable.includes(f)) throw problems.badRequest(`${h.def.name} cannot be filtered on ${f}.`);
  let after: string | undefined;
  if (q.cursor !== undefined) {
    after = decodeCursor(q.cursor);
    if (after === undefined) throw problems.badRequest('The cursor is not one seam gave out.');
  }
  const r = await listRecords(store, {
    system: h.system,
    resource: h.def.name,
    filters: q.filters,
    ...(after !== undefined ? { after } : {}),
    limit: q.limit,
  });
  const t = now();
  const items = r.records.map((rec) => storedEnvelope(h, rec, t));
  const oldest = items.reduce<string | null>(
    (min, i) => (min === null || i.as_of < min ? i.as_of : min),
    null,
  );
  return {
    system: h.system,
    resource: h.def.name,
    items,
    next_cursor: r.nextAfter !== undefined ? encodeCursor(r.nextAfter) : null,
    source: 'store',
    as_of: oldest,
    stale: items.some((i) => i.stale),
  };
}
