/**
 * The staging table: every row of a file lands here first (COPY on PostgreSQL, batched unnest
 * inserts on PGlite), so validation streams and the diff and apply run as set-based SQL. Staging is
 * scratch: one table per feed (only the process holding the feed's claim touches it), unlogged, and
 * rebuilt from scratch by every attempt, so a crash leaves nothing that matters.
 */
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { assertIdentifier, type Store } from '../store/types.ts';
import type { StageRow, StageSink } from './rows.ts';

export function stagingTable(system: string, feed: string): string {
  return assertIdentifier(`ingest_stage_${system}_${feed}`.toLowerCase().slice(0, 63));
}

const COLUMNS = 'line, key, status, op, hash, data, field, reason_code, reason, raw';

export interface Stager extends StageSink {
  readonly table: string;
  /** Flush what is buffered and make every row visible to other sessions. */
  finish(): Promise<void>;
  /** Stop early (the file was rejected); the table is dropped by `dropStaging`. */
  abort(): Promise<void>;
}

/**
 * `data` is the record's canonical JSON, and the apply reads it as `data::jsonb`. Staged as text,
 * PostgreSQL parses only the rows the diff finds new or changed (parsing them all cost 2.3 µs a row
 * on COPY); staged as jsonb, every row is parsed once on the way in, which is cheaper when every
 * row is written (the apply reads the data twice: records and events). The batched inserts stage
 * jsonb: they get it parsed already, as part of the batch's JSON.
 */
async function createTable(
  db: { query(sql: string): Promise<unknown> },
  table: string,
  dataType: 'text' | 'jsonb',
): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${table}`);
  await db.query(
    `CREATE UNLOGGED TABLE ${table} (
       line integer NOT NULL, key text, status text NOT NULL, op text NOT NULL, hash text, data ${dataType},
       field text, reason_code text, reason text, raw text)`,
  );
}

/**
 * The diff hashes staging against the diff table and the records (every join touches most of the
 * table), which needs statistics, not indexes: without them the planner would nest loops over a
 * million rows; building indexes would cost more than the rest of the staging.
 */
async function indexAndAnalyze(db: { query(sql: string): Promise<unknown> }, table: string): Promise<void> {
  await db.query(`ANALYZE ${table}`);
}

export async function dropStaging(store: Store, table: string): Promise<void> {
  await store.exec(`DROP TABLE IF EXISTS ${assertIdentifier(table)}`);
}

/** Bytes of COPY text handed to the connection at a time. */
const COPY_PIECE = 1 << 18;

const NEEDS_ESCAPE = /[\\\n\r\t]/;
function copyText(v: string | number | null): string {
  if (v === null) return '\\N';
  const s = String(v);
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/[\\\n\r\t]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
  );
}

function copyLine(r: StageRow): string {
  // A good row: line, status, op and the hex hash never need escaping, and field/reason/raw are null.
  if (r.status === 'ok' && r.field === null && r.reasonCode === null && r.reason === null && r.raw === null)
    return `${r.line}\t${copyText(r.key)}\tok\t${r.op}\t${r.hash ?? '\\N'}\t${copyText(r.data)}\t\\N\t\\N\t\\N\t\\N\n`;
  return (
    `${r.line}\t${copyText(r.key)}\t${r.status}\t${r.op}\t${copyText(r.hash)}\t${copyText(r.data)}\t` +
    `${copyText(r.field)}\t${copyText(r.reasonCode)}\t${copyText(r.reason)}\t${copyText(r.raw)}\n`
  );
}

/**
 * Whether most rows of a file will leave their records as they are: a snapshot of a resource that
 * already has live records (a nightly snapshot changes a few percent of them). The first snapshot
 * and delta files write (nearly) every row.
 */
export async function mostlyUnchanged(
  store: Store,
  mode: 'snapshot' | 'delta',
  system: string,
  resource: string,
): Promise<boolean> {
  if (mode !== 'snapshot') return false;
  const r = await store.query<{ live: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM records WHERE system = $1 AND resource = $2 AND deleted_at IS NULL) AS live`,
    [system, resource],
  );
  return r.rows[0]!.live;
}

/** COPY rows into the staging table over a dedicated connection (pg-copy-streams). */
export async function copyStager(
  url: string,
  schema: string,
  table: string,
  dataType: 'text' | 'jsonb',
): Promise<Stager> {
  const client = new pg.Client({
    connectionString: url,
    options: `-c search_path=${assertIdentifier(schema)},public`,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await createTable(client, table, dataType);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  const stream = client.query(copyStreams.from(`COPY ${table} (${COLUMNS}) FROM STDIN`));
  let failed: Error | undefined;
  stream.on('error', (err: Error) => (failed = err));
  // Each row's COPY text is written into a buffer as soon as it is made (a row's strings die young;
  // a rope of a whole piece's rows outlived several collections and cost more in GC than the rest
  // of staging), and full buffers go to the connection. `add` stays synchronous and hands back a
  // promise only when the connection pushes back (the caller awaits it once per batch).
  let piece = Buffer.allocUnsafe(COPY_PIECE);
  let used = 0;
  const take = (): Buffer => {
    const full = piece.subarray(0, used);
    piece = Buffer.allocUnsafe(COPY_PIECE);
    used = 0;
    return full;
  };
  let drained: Promise<void> | undefined;
  const waitDrain = (): Promise<void> =>
    (drained ??= new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      stream.once('drain', () => {
        stream.off('error', onErr);
        drained = undefined;
        resolve();
      });
      stream.once('error', onErr);
    }));
  const write = (bytes: Buffer): Promise<void> | undefined => {
    if (failed) throw failed;
    return stream.write(bytes) ? undefined : waitDrain();
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await client.end().catch(() => undefined);
  };
  return {
    table,
    add(row) {
      const line = copyLine(row);
      // A UTF-16 unit is at most 3 bytes of UTF-8.
      if (used + line.length * 3 <= COPY_PIECE) {
        used += piece.write(line, used);
        return undefined;
      }
      // The stream keeps what it is given in order even while it pushes back; waiting is the caller's.
      const wait = used > 0 ? write(take()) : undefined;
      if (line.length * 3 > COPY_PIECE) return write(Buffer.from(line)) ?? wait;
      used += piece.write(line, used);
      return wait;
    },
    async finish() {
      try {
        if (used > 0) await write(take());
        await new Promise<void>((resolve, reject) => {
          if (failed) return reject(failed);
          stream.once('finish', resolve);
          stream.once('error', reject);
          stream.end();
        });
        await indexAndAnalyze(client, table);
      } finally {
        await close();
      }
    },
    async abort() {
      stream.destroy();
      await close();
    },
  };
}

/** A staged row as a JSON array; `data` is canonical JSON already and goes in as it is. */
function jsonRow(r: StageRow): string {
  return (
    `[${r.line},${JSON.stringify(r.key)},"${r.status}","${r.op}",${JSON.stringify(r.hash)},${r.data ?? 'null'},` +
    `${JSON.stringify(r.field)},${JSON.stringify(r.reasonCode)},${JSON.stringify(r.reason)},${JSON.stringify(r.raw)}]`
  );
}

/**
 * Batched inserts through the store (PGlite, or PostgreSQL without a URL): each batch is one JSON
 * array of rows in one parameter, unpacked by jsonb_array_elements; on PGlite that is half the cost
 * of ten array parameters (their per-element serialising and parsing).
 */
export async function insertStager(store: Store, table: string): Promise<Stager> {
  await createTable(store, table, 'jsonb');
  const BATCH = 5000;
  let rows: StageRow[] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    const b = rows;
    rows = [];
    let text = '[';
    for (let i = 0; i < b.length; i++) text += (i === 0 ? '' : ',') + jsonRow(b[i]!);
    await store.query(
      `INSERT INTO ${table} (${COLUMNS})
       SELECT (e->>0)::int, e->>1, e->>2, e->>3, e->>4, NULLIF(e->5, 'null'::jsonb), e->>6, e->>7, e->>8, e->>9
         FROM jsonb_array_elements($1::jsonb) AS e`,
      [text + ']'],
    );
  };
  return {
    table,
    add(row) {
      rows.push(row);
      return rows.length >= BATCH ? flush() : undefined;
    },
    async finish() {
      await flush();
      await indexAndAnalyze(store, table);
    },
    async abort() {
      rows = [];
    },
  };
}
