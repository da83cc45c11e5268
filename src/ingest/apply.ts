/**
 * Set-based diff and apply of a staged file against the current records, inside the caller's
 * transaction: records, their change events and (by the caller) the ledger row commit together or
 * not at all.
 *
 * Record-change events are built in SQL in the exact shape of `recordChangeEvent`
 * (src/records/events.ts; test/ingest.snapshot-diff.test.ts holds the two side by side): a million
 * `created` events must not pass through JavaScript objects. Positions come from the same
 * event-log head row as `appendEvents`, taken at the end of the transaction so the head lock is held
 * briefly, and with no gaps.
 */
import { randomBytes } from 'node:crypto';
import { EVENTS_CHANNEL } from '../events/append.ts';
import { notify } from '../store/notify.ts';
import { PG_ERROR, sqlState, type Queryable, type Store } from '../store/types.ts';
import { FileRejected } from './errors.ts';

export interface ApplyTarget {
  system: string;
  resource: string;
  entity: string;
  feed: string;
  mode: 'snapshot' | 'delta';
  keyField: string;
  fileName: string;
  businessDate: string;
  asOf: Date;
  maxDeleteShare?: number;
}

export interface ApplyCounts {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Delta deletes of records that were not there (nothing to do). */
  deleteMissing: number;
  /** Snapshot deletions not carried out because a bad row's key was unreadable. */
  deletesHeldBack: boolean;
  firstPosition: number | null;
  lastPosition: number | null;
}

/**
 * Before deciding on the bad-row share: a key on more than one row of a snapshot is ambiguous, so
 * every such row becomes bad; in a delta only the last operation per key counts.
 */
export async function prepareStaging(
  store: Store,
  table: string,
  mode: 'snapshot' | 'delta',
  keyField: string,
): Promise<{ duplicates: number }> {
  if (mode === 'snapshot') {
    const r = await store.query(
      `UPDATE ${table} SET status = 'bad', reason_code = 'duplicate_key', field = $1,
              reason = 'key ' || key || ' appears on more than one row of the file'
        WHERE status = 'ok'
          AND key IN (SELECT key FROM ${table} WHERE key IS NOT NULL GROUP BY key HAVING count(*) > 1)`,
      [keyField],
    );
    return { duplicates: r.rowCount };
  }
  await store.query(
    `UPDATE ${table} SET status = 'superseded'
       FROM (SELECT line, row_number() OVER (PARTITION BY key ORDER BY line DESC) AS rn
               FROM ${table} WHERE status = 'ok') later
      WHERE ${table}.line = later.line AND later.rn > 1`,
  );
  return { duplicates: 0 };
}

/**
 * Event ids of one apply: UUIDv7 (RFC 9562) with this moment's milliseconds, 12 random bits and the
 * event's position in the last 48 bits (a dedicated counter, section 6.2), so ids are unique (positions
 * are) and arrive in order: a million ids append to the unique index instead of landing on random
 * pages of it. Version 7 never equals a version-4 id of appendEvents.
 */
function eventIdPrefix(): string {
  const ms = Date.now().toString(16).padStart(12, '0');
  const r = randomBytes(3);
  const rand = r.toString('hex');
  const variant = (0x8 | (r[2]! & 0x3)).toString(16);
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${rand.slice(0, 3)}-${variant}${rand.slice(3, 6)}-`;
}

export async function applyStaged(
  tx: Queryable,
  table: string,
  t: ApplyTarget,
  opts: {
    holdDeletes: boolean;
    timings?: Record<string, number>;
    /** Good rows of the file with op U, when the caller has counted them (saves a scan). */
    upserts?: number;
  },
): Promise<ApplyCounts> {
  let tMark = performance.now();
  const lap = (k: string) => {
    const now = performance.now();
    if (opts.timings) opts.timings[k] = Math.round(now - tMark);
    tMark = now;
  };
  // Settings for this transaction only; each changes how a result is computed, never what it is or
  // how durable it is (synchronous_commit stays on: an applied file is acknowledged and moved to
  // archive/, so its commit must be on disk first).
  // - work_mem: room for the hash joins and the event-position sort of a million-row file to stay in
  //   memory.
  // - jit off: compiling the expressions of one of these statements took 0.34 s of a 2.3 s events
  //   insert of 100k rows (EXPLAIN ANALYZE), more than it saves on inserts whose time goes to heap,
  //   index and WAL work.
  // - enable_nestloop off, for snapshots: every statement below joins a whole file with a whole
  //   resource, where hash joins are linear. On the statistics of a table that has just grown by
  //   a million rows, or never had any (PGlite runs no autovacuum), the planner otherwise nests
  //   loops over all of a resource's records: a 20,000-row second snapshot on PGlite spent 97 s in
  //   one such plan. Delta files are small, and their index lookups are the right plan.
  await tx.exec(`SET LOCAL work_mem = '64MB'`);
  await tx.exec('SET LOCAL jit = off');
  if (t.mode === 'snapshot') await tx.exec('SET LOCAL enable_nestloop = off');
  // revive: a 'created' key that has a tombstone (updated in place); the others are plain inserts.
  await tx.exec(
    `CREATE TEMP TABLE ingest_diff (key text NOT NULL, line integer, change text NOT NULL, before jsonb,
       revive boolean NOT NULL DEFAULT false) ON COMMIT DROP`,
  );
  const sr = [t.system, t.resource];
  let deleteMissing = 0;
  if (t.mode === 'snapshot') {
    // One full join of the file's keys with the resource's records: rows new or changed, and live
    // records no row of the file names (a bad row that names its key keeps its record). A full join
    // is always hashed or merged, never a million index probes chosen on stale statistics.
    // The join carries narrow columns only: with each record's data in it, the hash table of a
    // million records outgrew work_mem and spilled to disk. The data before a change is fetched
    // afterwards, for the few keys that changed.
    await tx.query(
      `INSERT INTO ingest_diff (key, line, change, revive)
       SELECT COALESCE(s.key, r.key), s.line,
              CASE WHEN s.key IS NULL THEN 'deleted'
                   WHEN r.key IS NULL OR r.deleted_at IS NOT NULL THEN 'created' ELSE 'updated' END,
              s.key IS NOT NULL AND r.deleted_at IS NOT NULL
         FROM (SELECT key, line, hash, status = 'ok' AND op = 'U' AS upsert FROM ${table}
                WHERE key IS NOT NULL) s
         FULL JOIN (SELECT key, hash, deleted_at FROM records WHERE system = $1 AND resource = $2) r
           ON r.key = s.key
        WHERE (s.key IS NULL AND r.deleted_at IS NULL AND NOT $3::boolean)
           OR (s.upsert AND (r.key IS NULL OR r.deleted_at IS NOT NULL OR r.hash <> s.hash))`,
      [...sr, opts.holdDeletes],
    );
    await tx.exec('ANALYZE ingest_diff');
    await tx.query(
      `UPDATE ingest_diff d SET before = r.data FROM records r
        WHERE d.change <> 'created' AND r.system = $1 AND r.resource = $2 AND r.key = d.key`,
      sr,
    );
  } else {
    await tx.query(
      `INSERT INTO ingest_diff (key, line, change, before, revive)
       SELECT s.key, s.line,
              CASE WHEN r.key IS NULL OR r.deleted_at IS NOT NULL THEN 'created' ELSE 'updated' END,
              CASE WHEN r.deleted_at IS NULL THEN r.data END,
              r.deleted_at IS NOT NULL
         FROM ${table} s
         LEFT JOIN records r ON r.system = $1 AND r.resource = $2 AND r.key = s.key
        WHERE s.status = 'ok' AND s.op = 'U'
          AND (r.key IS NULL OR r.deleted_at IS NOT NULL OR r.hash <> s.hash)`,
      sr,
    );
    await tx.query(
      `INSERT INTO ingest_diff (key, line, change, before)
       SELECT s.key, s.line, 'deleted', r.data FROM ${table} s
         JOIN records r ON r.system = $1 AND r.resource = $2 AND r.key = s.key AND r.deleted_at IS NULL
        WHERE s.status = 'ok' AND s.op = 'D'`,
      sr,
    );
    const m = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} s WHERE s.status = 'ok' AND s.op = 'D'
          AND NOT EXISTS (SELECT 1 FROM records r WHERE r.system = $1 AND r.resource = $2 AND r.key = s.key
                            AND r.deleted_at IS NULL)`,
      sr,
    );
    deleteMissing = m.rows[0]!.n;
  }

  if (t.mode !== 'snapshot') await tx.exec('ANALYZE ingest_diff');
  lap('diffMs');
  const byChange = await tx.query<{ change: string; n: number }>(
    'SELECT change, count(*)::int AS n FROM ingest_diff GROUP BY change',
  );
  const n = (c: string) => byChange.rows.find((r) => r.change === c)?.n ?? 0;
  const created = n('created');
  const updated = n('updated');
  const deleted = n('deleted');
  // Rows that say "this record should exist": the caller knows them for a snapshot (every good row).
  const upserts =
    opts.upserts ??
    (
      await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE status = 'ok' AND op = 'U'`,
      )
    ).rows[0]!.n;
  const unchanged = upserts - created - updated;

  if (t.mode === 'snapshot' && t.maxDeleteShare !== undefined && deleted > 0) {
    const live = await tx.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM records WHERE system = $1 AND resource = $2 AND deleted_at IS NULL',
      sr,
    );
    const share = deleted / Math.max(1, live.rows[0]!.n);
    if (share > t.maxDeleteShare)
      throw new FileRejected(
        'too_many_deletes',
        `snapshot would delete ${deleted} of ${live.rows[0]!.n} live records (${(share * 100).toFixed(1)}%), ` +
          `more than the feed allows (${(t.maxDeleteShare * 100).toFixed(1)}%)`,
        { deleted, live: live.rows[0]!.n, maxDeleteShare: t.maxDeleteShare },
      );
  }

  lap('countMs');
  const common = [t.system, t.resource, t.fileName, t.asOf, t.businessDate];
  if (created > 0) {
    // New keys: a plain insert (a speculative ON CONFLICT costs a third more per row). Should another
    // writer (a live SOAP read) have added one of the keys meanwhile, the insert is redone as an upsert.
    const insert = (onConflict: string) =>
      tx.query(
        `INSERT INTO records (system, resource, key, data, hash, version, source, source_ref, as_of, business_date)
         SELECT $1, $2, s.key, s.data::jsonb, s.hash, 1, 'feed', $3 || ':' || s.line, $4, $5::date
           FROM ingest_diff d JOIN ${table} s ON s.line = d.line
          WHERE d.change = 'created' AND NOT d.revive ${onConflict}`,
        common,
      );
    await tx.exec('SAVEPOINT ingest_insert');
    let ins;
    try {
      ins = await insert('');
      await tx.exec('RELEASE SAVEPOINT ingest_insert');
    } catch (err) {
      if (sqlState(err) !== PG_ERROR.unique_violation) throw err;
      await tx.exec('ROLLBACK TO SAVEPOINT ingest_insert');
      ins = await insert(
        `ON CONFLICT (system, resource, key) DO UPDATE SET
           data = EXCLUDED.data, hash = EXCLUDED.hash, version = records.version + 1, source = 'feed',
           source_ref = EXCLUDED.source_ref, as_of = EXCLUDED.as_of, business_date = EXCLUDED.business_date,
           updated_at = now(), deleted_at = NULL`,
      );
    }
    if (ins.rowCount < created)
      await tx.query(
        `UPDATE records r SET data = s.data::jsonb, hash = s.hash, version = r.version + 1, source = 'feed',
                source_ref = $3 || ':' || s.line, as_of = $4, business_date = $5::date, updated_at = now(),
                deleted_at = NULL
           FROM ingest_diff d JOIN ${table} s ON s.line = d.line
          WHERE d.change = 'created' AND d.revive AND r.system = $1 AND r.resource = $2 AND r.key = d.key`,
        common,
      );
  }
  if (updated > 0) {
    await tx.query(
      `UPDATE records r SET data = s.data::jsonb, hash = s.hash, version = r.version + 1, source = 'feed',
              source_ref = $3 || ':' || s.line, as_of = $4, business_date = $5::date, updated_at = now()
         FROM ingest_diff d JOIN ${table} s ON s.line = d.line
        WHERE d.change = 'updated' AND r.system = $1 AND r.resource = $2 AND r.key = d.key`,
      common,
    );
  }
  if (deleted > 0) {
    await tx.query(
      `UPDATE records r SET deleted_at = now(), version = r.version + 1, source = 'feed',
              source_ref = $3 || COALESCE(':' || d.line, ''), as_of = $4, business_date = $5::date, updated_at = now()
         FROM ingest_diff d
        WHERE d.change = 'deleted' AND r.system = $1 AND r.resource = $2 AND r.key = d.key`,
      common,
    );
  }

  lap('recordsMs');
  const total = created + updated + deleted;
  let firstPosition: number | null = null;
  let lastPosition: number | null = null;
  if (total > 0) {
    // Last in the transaction: the head row lock serialises every event writer until commit.
    const head = await tx.query<{ last_position: number }>(
      'UPDATE event_log_head SET last_position = last_position + $1 RETURNING last_position',
      [total],
    );
    lastPosition = head.rows[0]!.last_position;
    firstPosition = lastPosition - total + 1;
    await tx.query(
      // Positions are numbered over the narrow diff rows (an in-memory sort), and the record data
      // joined afterwards (cast where it is used: staged as text, only these rows are parsed); each
      // event's data is built by one jsonb_build_object (only a snapshot's deletion has no line, so
      // only its provenance needs its nulls stripped).
      `INSERT INTO events (position, id, source, type, subject, time, data, aggregate_type, aggregate_id)
       SELECT $1::bigint - 1 + d.rn,
              ($9::text || lpad(to_hex($1::bigint - 1 + d.rn), 12, '0'))::uuid,
              $2::text, $3::text || '.' || d.change, $4::text || '/' || d.key, now(),
              CASE d.change
                WHEN 'created' THEN jsonb_build_object('system', $5::text, 'resource', $4::text, 'key', d.key,
                  'provenance', jsonb_build_object('via', 'feed', 'file', $6::text, 'line', d.line,
                                  'feed', $7::text, 'businessDate', $8::text),
                  'record', s.data::jsonb)
                WHEN 'updated' THEN jsonb_build_object('system', $5::text, 'resource', $4::text, 'key', d.key,
                  'provenance', jsonb_build_object('via', 'feed', 'file', $6::text, 'line', d.line,
                                  'feed', $7::text, 'businessDate', $8::text),
                  'record', s.data::jsonb,
                  'changes',
                    (SELECT jsonb_object_agg(k.name, jsonb_build_object(
                               'before', COALESCE(d.before -> k.name, 'null'::jsonb),
                               'after', COALESCE(s.data::jsonb -> k.name, 'null'::jsonb)))
                       FROM (SELECT jsonb_object_keys(d.before) UNION SELECT jsonb_object_keys(s.data::jsonb)) AS k(name)
                      WHERE (d.before -> k.name) IS DISTINCT FROM (s.data::jsonb -> k.name)))
                ELSE jsonb_build_object('system', $5::text, 'resource', $4::text, 'key', d.key,
                  'provenance', jsonb_strip_nulls(jsonb_build_object('via', 'feed', 'file', $6::text, 'line', d.line,
                                  'feed', $7::text, 'businessDate', $8::text)),
                  'before', d.before)
              END,
              $4::text, d.key
         FROM (SELECT key, line, change, before,
                      row_number() OVER (ORDER BY (change = 'deleted'), line, key) AS rn
                 FROM ingest_diff) d
         LEFT JOIN ${table} s ON s.line = d.line`,
      [
        firstPosition,
        `${t.system}/feeds/${t.feed}`,
        `${t.system}.${t.entity}`,
        t.resource,
        t.system,
        t.fileName,
        t.feed,
        t.businessDate,
        eventIdPrefix(),
      ],
    );
    await notify(tx, EVENTS_CHANNEL, String(lastPosition));
  }
  if (t.mode === 'snapshot') await tx.exec('SET LOCAL enable_nestloop TO DEFAULT');
  lap('eventsMs');
  return {
    created,
    updated,
    deleted,
    unchanged,
    deleteMissing,
    deletesHeldBack: opts.holdDeletes,
    firstPosition,
    lastPosition,
  };
}
