/**
 * Batched store reads of single records (the DataLoader pattern, without a cache). Every
 * `GET /v1/<resource>/:id` served from the store needs one primary-key SELECT; under load most of
 * the cost of that SELECT is the round trip, not the lookup. So reads of one resource that arrive
 * while a SELECT for it is in flight wait and go together in the next one
 * (`key = ANY($3)`): one round trip serves every request that queued meanwhile.
 *
 * Nothing is cached. A read joins only a SELECT that has not started yet, so every answer comes
 * from a statement that began after the request arrived: a change committed before the read began
 * (by this process or any other on the same database) is always seen. A single read with nothing
 * in flight goes out at once, as before.
 */
import type { Queryable, Store } from '../store/types.ts';
import { fromDb, type DbRecord, type StoredRecord } from './types.ts';

interface Waiter {
  resolve: (r: StoredRecord | undefined) => void;
  reject: (err: unknown) => void;
}

interface Group {
  system: string;
  resource: string;
  /** Keys waiting for the next SELECT, each with everyone who asked for it. */
  queued: Map<string, Waiter[]>;
  inFlight: number;
}

/** SELECTs one resource may have running at once; more reads queue for the next. */
const MAX_IN_FLIGHT = 1;
/** Keys per SELECT; a bigger queue is split. */
const MAX_BATCH = 500;

export class RecordLoader {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly db: Queryable) {}

  /** The live (not deleted) record, or undefined. */
  get(system: string, resource: string, key: string): Promise<StoredRecord | undefined> {
    const id = `${system}\u0000${resource}`;
    let g = this.groups.get(id);
    if (!g) {
      g = { system, resource, queued: new Map(), inFlight: 0 };
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

  private async run(g: Group, batch: Map<string, Waiter[]>): Promise<void> {
    try {
      const keys = [...batch.keys()];
      const r =
        keys.length === 1
          ? await this.db.query<DbRecord>(
              `SELECT * FROM records WHERE system = $1 AND resource = $2 AND key = $3 AND deleted_at IS NULL`,
              [g.system, g.resource, keys[0]],
            )
          : await this.db.query<DbRecord>(
              `SELECT * FROM records WHERE system = $1 AND resource = $2 AND key = ANY($3::text[])
                 AND deleted_at IS NULL`,
              [g.system, g.resource, keys],
            );
      const found = new Map(r.rows.map((row) => [row.key, row]));
      for (const [k, waiters] of batch) {
        const row = found.get(k);
        // Each caller gets its own StoredRecord; `data` is shared by callers of the same key and,
        // like everything read from the store, treated as read-only (redaction copies).
        for (const w of waiters) w.resolve(row ? fromDb(row) : undefined);
      }
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  }
}

const loaders = new WeakMap<Store, RecordLoader>();

/** The store's shared loader (one per store, so every caller's reads batch together). */
export function recordLoader(store: Store): RecordLoader {
  let l = loaders.get(store);
  if (!l) {
    l = new RecordLoader(store);
    loaders.set(store, l);
  }
  return l;
}
