/**
 * Store reads of single records: batched on every store, and cached on a store that sees every
 * write to its database (embedded PGlite).
 *
 * Batching (the DataLoader pattern). Every `GET /v1/<resource>/:id` served from the store needs one
 * primary-key SELECT; under load most of the cost of that SELECT is the round trip, not the lookup.
 * So reads of one resource that arrive while a SELECT for it is in flight wait and go together in
 * the next one (`key = ANY($3)`): one round trip serves every request that queued meanwhile. A read
 * joins only a SELECT that has not started yet, so every answer comes from a statement that began
 * after the request arrived. A single read with nothing in flight goes out at once.
 *
 * Caching (PGlite only). PGlite runs each statement on the event loop (~0.9 ms per primary-key
 * SELECT) and there is no round trip to batch away, so batching rarely forms there. But one process
 * owns a PGlite database and the store counts every write to it (`Store.writeGeneration`): a record
 * read at generation G, with the generation still G when the SELECT returned, is the database's
 * current state for as long as the generation stays G. Such records are kept (bounded, least
 * recently used first out) and served while the generation has not moved; any statement or
 * transaction through the store (an ingest, a live read's write-back, a poll, an audit flush, even a
 * SELECT elsewhere) moves it and so retires every entry. A cached answer is therefore never older
 * than a commit made before the read began.
 *
 * On PostgreSQL nothing is cached: other processes write the same database and this one cannot see
 * their commits. Everything there works exactly as batching alone.
 *
 * Records from the store are read-only to callers (redaction copies). On PGlite, where one `data`
 * object may be served to many requests, that is enforced: `data` is deeply frozen, and every caller
 * gets its own StoredRecord with its own Date objects.
 */
import { LRUCache } from 'lru-cache';
import type { Queryable, QueryResult, Store, WriteGeneration } from '../store/types.ts';
import { fromDb, type DbRecord, type StoredRecord } from './types.ts';

interface Waiter {
  resolve: (r: StoredRecord | undefined) => void;
  reject: (err: unknown) => void;
}

interface Group {
  /** `system \0 resource`, the prefix of this group's cache keys. */
  id: string;
  system: string;
  resource: string;
  /** Keys waiting for the next SELECT, each with everyone who asked for it. */
  queued: Map<string, Waiter[]>;
  inFlight: number;
}

interface Cached {
  /** The write generation the record was read at; valid while the store's is the same. */
  generation: number;
  record: StoredRecord;
}

/** SELECTs one resource may have running at once; more reads queue for the next. */
const MAX_IN_FLIGHT = 1;
/** Keys per SELECT; a bigger queue is split. */
const MAX_BATCH = 500;
/**
 * Records the PGlite cache keeps, counted in entries, not bytes: a demo ERP account (~280 bytes of
 * JSON) takes ~1 KB of heap cached, so ~10 MB when full (records with many lines, more). A pilot's
 * hot set fits; a record pushed out costs one SELECT on its next read, as it did without the cache.
 */
export const RECORD_CACHE_MAX = 10_000;

export class RecordLoader {
  private readonly groups = new Map<string, Group>();
  private readonly cache: LRUCache<string, Cached> | undefined;

  /**
   * With `generation` (the store's WriteGeneration), records are cached up to `cacheMax`;
   * without it, nothing is.
   */
  constructor(
    private readonly db: Queryable,
    private readonly generation?: WriteGeneration,
    cacheMax: number = RECORD_CACHE_MAX,
  ) {
    if (generation) this.cache = new LRUCache<string, Cached>({ max: cacheMax });
  }

  /** The live (not deleted) record, or undefined. */
  get(system: string, resource: string, key: string): Promise<StoredRecord | undefined> {
    const id = `${system}\u0000${resource}`;
    if (this.cache) {
      const hit = this.cache.get(`${id}\u0000${key}`);
      if (hit) {
        if (hit.generation === this.generation!.current()) return Promise.resolve(ownCopy(hit.record));
        this.cache.delete(`${id}\u0000${key}`);
      }
    }
    let g = this.groups.get(id);
    if (!g) {
      g = { id, system, resource, queued: new Map(), inFlight: 0 };
      this.groups.set(id, g);
    }
    const group = g;
    return new Promise<StoredRecord | undefined>((resolve, reject) => {
      const list = group.queued.get(key);
      if (list) list.push({ resolve, reject });
      else group.queued.set(key, [{ resolve, reject }]);
      this.pump(group);
    });
  }

  private pump(g: Group): void {
    while (g.inFlight < MAX_IN_FLIGHT && g.queued.size > 0) {
      const batch = new Map<string, Waiter[]>();
      for (const [k, w] of g.queued) {
        batch.set(k, w);
        g.queued.delete(k);
        if (batch.size >= MAX_BATCH) break;
      }
      g.inFlight++;
      void this.run(g, batch).finally(() => {
        g.inFlight--;
        this.pump(g);
      });
    }
  }

  private select(sql: string, params: unknown[]): Promise<QueryResult<DbRecord>> {
    // The cache's own reads must not count as writes, or every fill would retire itself.
    return this.generation
      ? this.generation.read<DbRecord>(sql, params)
      : this.db.query<DbRecord>(sql, params);
  }

  private async run(g: Group, batch: Map<string, Waiter[]>): Promise<void> {
    try {
      const keys = [...batch.keys()];
      // Taken just before the SELECT is issued: undefined while a write is in flight.
      const before = this.generation?.current();
      const r =
        keys.length === 1
          ? await this.select(
              `SELECT * FROM records WHERE system = $1 AND resource = $2 AND key = $3 AND deleted_at IS NULL`,
              [g.system, g.resource, keys[0]],
            )
          : await this.select(
              `SELECT * FROM records WHERE system = $1 AND resource = $2 AND key = ANY($3::text[])
                 AND deleted_at IS NULL`,
              [g.system, g.resource, keys],
            );
      const found = new Map(r.rows.map((row) => [row.key, row]));
      if (!this.cache) {
        for (const [k, waiters] of batch) {
          const row = found.get(k);
          // Each caller gets its own StoredRecord; `data` is shared by callers of the same key and,
          // like everything read from the store, treated as read-only (redaction copies).
          for (const w of waiters) w.resolve(row ? fromDb(row) : undefined);
        }
        return;
      }
      // Kept only if no write started or ended while the SELECT ran (nor was running when it began).
      const keep = before !== undefined && this.generation!.current() === before;
      for (const [k, waiters] of batch) {
        const row = found.get(k);
        if (!row) {
          for (const w of waiters) w.resolve(undefined);
          continue;
        }
        const record = fromDb({ ...row, data: deepFreeze(row.data) });
        if (keep) this.cache.set(`${g.id}\u0000${k}`, { generation: before, record });
        for (const w of waiters) w.resolve(ownCopy(record));
      }
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  }
}

/** A caller's own StoredRecord over shared, frozen `data`. */
function ownCopy(r: StoredRecord): StoredRecord {
  return { ...r, asOf: new Date(r.asOf.getTime()), updatedAt: new Date(r.updatedAt.getTime()) };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const loaders = new WeakMap<Store, RecordLoader>();

/** The store's shared loader (one per store, so every caller's reads batch, and hit, together). */
export function recordLoader(store: Store): RecordLoader {
  let l = loaders.get(store);
  if (!l) {
    l = new RecordLoader(store, store.writeGeneration);
    loaders.set(store, l);
  }
  return l;
}
