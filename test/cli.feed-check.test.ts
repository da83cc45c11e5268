import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import iconv from 'iconv-lite';
import pg from 'pg';
import type { CheckReport } from '../src/ingest/check.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { accountLine, accountsCsv, drop } from './helpers/ingest.ts';
import { ROOT, runSeam } from './helpers/process.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets, uniqueSchema } from './helpers/store.ts';

const DROPS = path.join(ROOT, 'fixtures/acme-erp/drops');
const ACCOUNTS = path.join(DROPS, 'ACCOUNTS_20240301.csv');
const STOCK = path.join(DROPS, 'STOCK_20240301.dat');
const ORDERS = path.join(DROPS, 'ORDERS_DELTA_202403011200.csv.gz');

/** The fixture's account rows that sit on one physical line (no quoted newline), as written. */
function simpleAccountLines(): string[] {
  const text = iconv.decode(fs.readFileSync(ACCOUNTS), 'windows-1252');
  return text.split('\r\n').filter((l) => /^\d{6},/.test(l) && (l.match(/"/g) ?? []).length % 2 === 0);
}

/** Replace the credit limit and/or balance of a raw accounts row. */
function withAmounts(line: string, creditLimit?: string, balance?: string): string {
  return line.replace(
    /,(\d{10}\.\d{2}),(\d{10}\.\d{2}),([A-Z]{3}),/,
    (_m, cl: string, bal: string, cur: string) => `,${creditLimit ?? cl},${balance ?? bal},${cur},`,
  );
}

async function json(args: string[], env: Record<string, string | undefined>) {
  const r = await runSeam([...args, '--json'], env);
  let report: (CheckReport & { storeLocation: string }) | undefined;
  try {
    report = JSON.parse(r.stdout) as CheckReport & { storeLocation: string };
  } catch {
    assert.fail(`not one JSON object (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, report };
}

for (const target of storeTargets()) {
  describe(`seam feed check (a real process, ${target.kind})`, () => {
    let dataDir: string;
    let dropDir: string;
    let scratch: string;
    let env: Record<string, string | undefined>;
    let pgStore: Store | undefined;
    let seedRows: string[];
    const schema = uniqueSchema(import.meta.filename);
    const seeded = simpleAccountLines().slice(0, 10);
    const changedLimit = seeded[8]!;
    const changedBalance = seeded[9]!;

    /** Rows of the tables ingest writes, read with the CLI stopped (PGlite is one process). */
    async function tableCounts(): Promise<Record<string, number>> {
      const store = pgStore ?? (await openStore({ schema: 'seam', poolMax: 1, dataDir }, silentLog));
      try {
        const out: Record<string, number> = {};
        for (const t of ['records', 'events', 'ingest_files', 'ingest_quarantine']) {
          const r = await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
          out[t] = r.rows[0]!.n;
        }
        return out;
      } finally {
        if (!pgStore) await store.close();
      }
    }

    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-feed-check-'));
      dropDir = path.join(dataDir, 'drop');
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-feed-samples-'));
      env = { SEAM_DATA_DIR: dataDir, DATABASE_URL: undefined, SEAM_INGEST_WATCH: 'false' };
      if (target.url) {
        pgStore = await openTestStore(target, import.meta.filename, { schema });
        env = { ...env, DATABASE_URL: target.url, SEAM_DB_SCHEMA: schema };
      }
      fs.mkdirSync(dropDir, { recursive: true });
      // Yesterday's accounts: eight rows as in the fixture, two changed, one account since closed.
      seedRows = [
        ...seeded.slice(0, 8),
        withAmounts(changedLimit, '0000099999.00'),
        withAmounts(changedBalance, undefined, '0000000001.00'),
        accountLine('999001', 'GONE SINCE LTD', '10.00'),
      ];
      drop(dropDir, 'ACCOUNTS_20240229.csv', accountsCsv(seedRows));
      // Earlier orders: three inserts of the fixture, as they stood before its later rows.
      const orderLines = zlib.gunzipSync(fs.readFileSync(ORDERS)).toString('utf8').split('\n');
      const firstOf = (no: string) => orderLines.find((l) => l.startsWith(`I,${no},`))!;
      drop(
        dropDir,
        'ORDERS_DELTA_202402291200.csv.gz',
        [orderLines[0], firstOf('100200'), firstOf('100207'), firstOf('100214'), 'TRAILER,3', ''].join('\n'),
        { encoding: 'utf-8', gzip: true },
      );
      for (const name of ['ACCOUNTS_20240229.csv', 'ORDERS_DELTA_202402291200.csv.gz']) {
        const r = await runSeam(['ingest', path.join(dropDir, name), '--json'], env);
        assert.equal(r.code, 0, `seeding ${name}: ${r.stdout}${r.stderr}`);
      }
    });

    after(async () => {
      if (pgStore) await disposeTestStore(pgStore);
    });

    it('diffs the fixtures against the records ingested before, and changes nothing', async () => {
      const countsBefore = await tableCounts();
      assert.equal(countsBefore.records, 11 + 3, 'seeded: 11 accounts and 3 orders');
      const dropBefore = fs.readdirSync(dropDir, { recursive: true }).sort();

      const acc = await json(['feed', 'check', ACCOUNTS, '--feed', 'ACCOUNTS'], env);
      assert.equal(acc.code, 0, acc.stderr);
      const a = acc.report!;
      assert.deepEqual(a.verdict, { status: 'applied' });
      assert.equal(a.feed.name, 'ACCOUNTS');
      assert.deepEqual(a.name, { matches: true, businessDate: '2024-03-01' });
      assert.equal(a.encoding, 'windows-1252');
      assert.deepEqual(a.control.trailer, { count: '50', total: '572120.27' });
      assert.equal(a.control.trailerLine, 53);
      assert.deepEqual(
        a.control.checks.map((c) => [c.check, c.declared, c.actual, c.ok]),
        [
          ['count', '50', '50', true],
          ['sum', '572120.27', '572120.27', true],
        ],
      );
      assert.deepEqual(a.rows, { read: 50, valid: 50, bad: 0, duplicateKeys: 0, superseded: 0 });
      assert.equal(a.records.length, 3);
      assert.equal(a.records[0]!.accountNumber, '001098');
      assert.equal(a.records[0]!.status, 'CLOSED', 'records are shown normalised');
      assert.equal(a.store.status, 'compared');
      const d = a.diff!;
      assert.deepEqual([d.live, d.created, d.updated, d.deleted, d.unchanged], [11, 40, 2, 1, 8]);
      assert.deepEqual(d.deletedKeys, ['999001']);
      const byKey = Object.fromEntries(d.updates.map((u) => [u.key, u.changes]));
      assert.deepEqual(byKey[changedLimit.slice(0, 6)], {
        creditLimit: {
          before: '99999.00',
          after: withAmounts(changedLimit).match(/,0*(\d+\.\d{2}),\d{10}\.\d{2},[A-Z]{3},/)![1],
        },
      });
      assert.deepEqual(Object.keys(byKey[changedBalance.slice(0, 6)]!), ['balance']);
      assert.equal(byKey[changedBalance.slice(0, 6)]!.balance!.before, '1.00');
      assert.deepEqual(a.ledger, { duplicateOf: null, nameAppliedBefore: null, newerApplied: null });

      const orders = await json(['feed', 'check', ORDERS, '--feed', 'ORDERS_DELTA'], env);
      assert.equal(orders.code, 0, orders.stderr);
      const o = orders.report!;
      assert.equal(o.compression, 'gzip');
      assert.deepEqual(o.rows, { read: 22, valid: 22, bad: 0, duplicateKeys: 0, superseded: 2 });
      assert.deepEqual(o.operations, { insert: 20, update: 1, delete: 1 });
      const od = o.diff!;
      assert.deepEqual(
        [od.live, od.created, od.updated, od.deleted, od.unchanged, od.deleteMissing],
        [3, 17, 1, 1, 1, 0],
      );
      assert.deepEqual(od.deletedKeys, ['100207']);
      assert.deepEqual(
        od.updates.map((u) => [u.key, Object.keys(u.changes)]),
        [['100200', ['status']]],
      );

      // Nothing seeded for items: the store says so and every row would be created.
      const stock = await json(['feed', 'check', STOCK], env);
      assert.equal(stock.code, 0, stock.stderr);
      assert.equal(stock.report!.feed.name, 'STOCK', 'the feed is found by the file name');
      assert.equal(stock.report!.store.status, 'empty');
      assert.deepEqual(
        stock.report!.control.checks.map((c) => [c.check, c.ok]),
        [
          ['header_date', true],
          ['count', true],
        ],
      );
      assert.equal(stock.report!.diff!.created, 50);

      // The text report says the same for a person.
      const text = await runSeam(['feed', 'check', ACCOUNTS, '--feed', 'ACCOUNTS'], env);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^ACCOUNTS_20240301\.csv: would be applied$/m);
      assert.match(text.stdout, /count 50 vs 50: ok; total \(sum of CUR_BAL\) 572120\.27 vs 572120\.27: ok/);
      assert.match(text.stdout, /^diff\s+40 created, 2 updated, 1 deleted, 8 unchanged$/m);
      assert.match(text.stdout, /deleted: 999001/);
      assert.match(text.stdout, /creditLimit "99999\.00" → /);

      assert.deepEqual(
        await tableCounts(),
        countsBefore,
        'no record, event, ledger or quarantine row written',
      );
      assert.deepEqual(fs.readdirSync(dropDir, { recursive: true }).sort(), dropBefore);
      for (const f of [ACCOUNTS, STOCK, ORDERS, ACCOUNTS + '.ok'])
        assert.ok(fs.existsSync(f), `${f} is still there`);
    });

    it('reports bad files with exit 1: trailer mismatches, too many bad rows, truncation, a foreign name', async () => {
      const countsBefore = await tableCounts();
      const rows = Array.from({ length: 20 }, (_, i) =>
        accountLine(String(100001 + i), `ACME ${i}`, '10.00'),
      );

      const countOff = drop(scratch, 'ACCOUNTS_20240302.csv', accountsCsv(rows, 'TRAILER,21,200.00'));
      const c = await json(['feed', 'check', countOff, '--feed', 'ACCOUNTS'], env);
      assert.equal(c.code, 1);
      assert.equal(c.report!.verdict.status, 'rejected');
      assert.equal(c.report!.verdict.reasonCode, 'trailer_count_mismatch');
      assert.deepEqual(
        c.report!.control.checks.map((x) => [x.check, x.declared, x.actual, x.ok]),
        [
          ['count', '21', '20', false],
          ['sum', '200.00', null, null],
        ],
      );
      assert.equal(c.report!.rows.read, 20, 'the rows are still read and counted');

      const sumOff = drop(scratch, 'ACCOUNTS_20240303.csv', accountsCsv(rows, 'TRAILER,20,199.99'));
      const s = await json(['feed', 'check', sumOff, '--feed', 'ACCOUNTS'], env);
      assert.equal(s.code, 1);
      assert.equal(s.report!.verdict.reasonCode, 'trailer_sum_mismatch');
      assert.deepEqual(
        s.report!.control.checks.map((x) => [x.check, x.declared, x.actual, x.ok]),
        [
          ['count', '20', '20', true],
          ['sum', '199.99', '200.00', false],
        ],
      );

      // One bad row in twenty is 5%: over the default 1%, under a 10% policy. The accounts already
      // stored are all in the file, so the snapshot deletes none of them.
      const withBad = [...seedRows, ...rows.slice(0, 8), accountLine('100009', 'ACME 8', '10.00', 'Z')];
      const badFile = drop(scratch, 'ACCOUNTS_20240304.csv', accountsCsv(withBad));
      const b = await json(['feed', 'check', badFile, '--feed', 'ACCOUNTS'], env);
      assert.equal(b.code, 1);
      assert.equal(b.report!.verdict.reasonCode, 'too_many_bad_rows');
      assert.deepEqual(b.report!.rows, { read: 20, valid: 19, bad: 1, duplicateKeys: 0, superseded: 0 });
      assert.equal(b.report!.badRows.length, 1);
      assert.deepEqual(
        { ...b.report!.badRows[0]!, reason: undefined },
        { line: 21, key: '100009', code: 'invalid_field', field: 'ACCT_STAT', reason: undefined },
      );
      assert.match(b.report!.badRows[0]!.reason, /Z/);
      const lenient = await json(['feed', 'check', badFile, '--feed', 'ACCOUNTS'], {
        ...env,
        SEAM_INGEST_MAX_BAD_SHARE: '0.1',
      });
      assert.equal(lenient.code, 0, 'within the policy the file would apply, its bad row quarantined');
      assert.deepEqual(lenient.report!.verdict, { status: 'applied' });
      const ld = lenient.report!.diff!;
      assert.deepEqual([ld.created, ld.updated, ld.deleted, ld.unchanged], [8, 0, 0, 11]);

      // A snapshot key on two rows: both rows are bad, as ingest's staging would mark them.
      const twice = drop(
        scratch,
        'ACCOUNTS_20240306.csv',
        accountsCsv([...seedRows, ...rows.slice(0, 8), rows[2]!]),
      );
      const k = await json(['feed', 'check', twice, '--feed', 'ACCOUNTS'], env);
      assert.equal(k.code, 1);
      assert.equal(k.report!.verdict.reasonCode, 'too_many_bad_rows');
      assert.deepEqual(k.report!.rows, { read: 20, valid: 18, bad: 2, duplicateKeys: 2, superseded: 0 });
      assert.deepEqual(
        k.report!.badRows.map((x) => [x.line, x.code, x.field, x.key]),
        [
          [15, 'duplicate_key', 'accountNumber', '100003'],
          [21, 'duplicate_key', 'accountNumber', '100003'],
        ],
      );
      const kText = await runSeam(['feed', 'check', twice, '--feed', 'ACCOUNTS'], env);
      assert.equal(kText.code, 1);
      assert.match(
        kText.stdout,
        /^ACCOUNTS_20240306\.csv: would be rejected: too_many_bad_rows — 2 of 20 rows are bad \(10\.00%\)/,
      );
      assert.match(
        kText.stdout,
        /line 15\taccountNumber\tduplicate_key\tkey 100003 appears on more than one row/,
      );

      const truncated = path.join(scratch, 'STOCK_20240301.dat');
      const stockLines = fs.readFileSync(STOCK, 'latin1').split('\r\n');
      fs.writeFileSync(truncated, stockLines.filter((l) => !l.startsWith('T')).join('\r\n'), 'latin1');
      const t = await json(['feed', 'check', truncated], env);
      assert.equal(t.code, 1);
      assert.equal(t.report!.verdict.reasonCode, 'trailer_missing');
      assert.equal(t.report!.control.trailer, null);
      assert.equal(t.report!.rows.read, 50);

      const foreign = path.join(scratch, 'sample.csv');
      fs.copyFileSync(ACCOUNTS, foreign);
      const f = await json(['feed', 'check', foreign, '--feed', 'ACCOUNTS'], env);
      assert.equal(f.code, 1, 'ingest refuses a name outside the pattern');
      assert.equal(f.report!.verdict.reasonCode, 'name_not_in_pattern');
      assert.equal(f.report!.name.matches, false);
      assert.equal(f.report!.rows.valid, 50, 'the content is still read and validated');

      assert.deepEqual(await tableCounts(), countsBefore);
      for (const p of [countOff, sumOff, badFile, truncated, foreign, twice]) assert.ok(fs.existsSync(p));
    });

    it('says when a file was applied already, from the ledger', async () => {
      const dup = path.join(scratch, 'ACCOUNTS_20240305.csv');
      fs.copyFileSync(path.join(dropDir, 'archive', 'ACCOUNTS_20240229.csv'), dup);
      const r = await json(['feed', 'check', dup], env);
      assert.equal(r.code, 1);
      assert.equal(r.report!.verdict.status, 'duplicate');
      assert.equal(r.report!.ledger!.duplicateOf, 'ACCOUNTS_20240229.csv');
      assert.deepEqual(r.report!.diff!.deletedKeys, [], 'its own content: nothing would change');
      assert.equal(r.report!.diff!.unchanged, 11);
    });

    it('exits 2 on bad usage, with a clear message', async () => {
      const unknown = await runSeam(['feed', 'check', ACCOUNTS, '--feed', 'NOPE'], env);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no feed named NOPE \(known: ACCOUNTS, STOCK, ORDERS_DELTA\)/);
      const missing = await runSeam(['feed', 'check', path.join(scratch, 'ACCOUNTS_20240399.csv')], env);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /ACCOUNTS_20240399\.csv: no such file/);
      const noFeed = await runSeam(['feed', 'check', path.join(DROPS, 'ACCOUNTS_20240301.csv.ok')], env);
      assert.equal(noFeed.code, 2);
      assert.match(noFeed.stderr, /matches no feed's file pattern; name the feed with --feed/);
      const help = await runSeam(['feed', 'check', '--help'], env);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /dry run/);
      assert.match(help.stdout, /--adapter <folder>/);
    });
  });
}

describe('seam feed check without a store', () => {
  it('still reports the read and validation part, and says why there is no diff', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-feed-nostore-'));
    const r = await json(['feed', 'check', ACCOUNTS, '--adapter', 'adapters/acme-erp'], {
      SEAM_DATA_DIR: empty,
      DATABASE_URL: undefined,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.report!.store.status, 'none');
    assert.match(r.report!.store.message, /no embedded store/);
    assert.equal(r.report!.diff, undefined);
    assert.equal(r.report!.rows.valid, 50);
    assert.ok(r.report!.notChecked.some((n) => /ledger/.test(n)));
    assert.ok(!fs.existsSync(path.join(empty, 'pglite')), 'no embedded store was created');

    const down = await json(['feed', 'check', ACCOUNTS], {
      SEAM_DATA_DIR: empty,
      DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/test',
    });
    assert.equal(down.code, 0, down.stderr);
    assert.equal(down.report!.store.status, 'unavailable');
    assert.match(
      down.report!.store.message,
      /store unavailable \(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test\)/,
    );
    assert.doesNotMatch(down.stdout + down.stderr, /hunter2/);
  });
});

// A database without seam's tables: PostgreSQL only (the embedded store is looked for by its folder).
for (const target of storeTargets().filter((t) => t.kind === 'postgres')) {
  describe('seam feed check on an unmigrated database', () => {
    it('says when the database has no seam tables yet, and creates neither them nor the schema', async () => {
      const schema = uniqueSchema('feed_check_unmigrated');
      const r = await json(['feed', 'check', STOCK], {
        SEAM_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'seam-feed-unmigrated-')),
        DATABASE_URL: target.url,
        SEAM_DB_SCHEMA: schema,
      });
      // A dry run writes nothing: not even the schema it was pointed at.
      const probe = new pg.Client({ connectionString: target.url });
      await probe.connect();
      try {
        const found = await probe.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
          schema,
        ]);
        assert.equal(found.rowCount, 0, 'the check did not create the schema');
      } finally {
        await probe.end();
      }
      const store = await openTestStore(target, import.meta.filename, {
        schema,
        migrate: false,
      });
      try {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.report!.store.status, 'not_set_up');
        assert.match(r.report!.store.message, /seam migrate/);
        assert.equal(r.report!.rows.valid, 50);
        const tables = await store.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1`, [
          schema,
        ]);
        assert.equal(tables.rowCount, 0, 'the check did not migrate the store');
      } finally {
        await disposeTestStore(store);
      }
    });
  });
}

// What the check says, set against what ingest then does with the same file: every rule that makes
// rows bad, duplicated or superseded, and every kind of change, on both feed modes.
for (const target of storeTargets()) {
  describe(`seam feed check agrees with ingest (${target.kind})`, () => {
    let dataDir: string;
    let dropDir: string;
    let env: Record<string, string | undefined>;
    let pgStore: Store | undefined;
    const schema = uniqueSchema('feed_check_vs_ingest');
    const orderTemplate = zlib
      .gunzipSync(fs.readFileSync(ORDERS))
      .toString('utf8')
      .split('\n')
      .find((l) => l.startsWith('I,100200,'))!;
    /** An orders delta row: the fixture's first order under another number, operation and status. */
    const orderLine = (op: string, no: string, status = 'S') =>
      orderTemplate.replace(/^I,100200,([^,]*),([^,]*),S,/, `${op},${no},$1,$2,${status},`);
    const ordersCsv = (lines: string[]) =>
      [zlib.gunzipSync(fs.readFileSync(ORDERS)).toString('utf8').split('\n')[0], ...lines].join('\n') +
      `\nTRAILER,${lines.length}\n`;

    async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      const store = pgStore ?? (await openStore({ schema: 'seam', poolMax: 1, dataDir }, silentLog));
      try {
        return (await store.query(sql, params)).rows as T[];
      } finally {
        if (!pgStore) await store.close();
      }
    }

    /** Check the file, ingest it, and compare everything the check predicted with what happened. */
    async function checkThenIngest(name: string): Promise<CheckReport> {
      const file = path.join(dropDir, name);
      const checked = await json(['feed', 'check', file, '--limit', '100'], env);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      const c = checked.report!;
      assert.deepEqual(c.verdict, { status: 'applied' });
      const run = await runSeam(['ingest', file, '--json'], env);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const outcome = JSON.parse(run.stdout) as {
        status: string;
        fileId: string;
        rows: { total: number; valid: number; quarantined: number };
        changes: Record<string, number>;
      };
      assert.equal(outcome.status, 'applied');
      assert.deepEqual(outcome.rows, { total: c.rows.read, valid: c.rows.valid, quarantined: c.rows.bad });
      const d = c.diff!;
      assert.deepEqual(outcome.changes, {
        created: d.created,
        updated: d.updated,
        deleted: d.deleted,
        unchanged: d.unchanged,
      });
      const [ledger] = await query<{ details: { deletesOfMissingRecords?: number } }>(
        'SELECT details FROM ingest_files WHERE id = $1',
        [outcome.fileId],
      );
      assert.equal(ledger!.details.deletesOfMissingRecords ?? 0, d.deleteMissing);
      const quarantined = await query<{
        line: number;
        record_key: string | null;
        field: string;
        code: string;
      }>(
        `SELECT line, record_key, field, reason_code AS code FROM ingest_quarantine WHERE file_id = $1
          ORDER BY line`,
        [outcome.fileId],
      );
      assert.deepEqual(
        c.badRows.map((b) => ({ line: b.line, record_key: b.key, field: b.field, code: b.code })),
        quarantined,
      );
      const events = await query<{ change: string; key: string; changes: unknown }>(
        `SELECT split_part(type, '.', 3) AS change, split_part(subject, '/', 2) AS key, data -> 'changes' AS changes
           FROM events WHERE data -> 'provenance' ->> 'file' = $1 ORDER BY position`,
        [name],
      );
      const keysOf = (change: string) =>
        events
          .filter((e) => e.change === change)
          .map((e) => e.key)
          .sort();
      assert.deepEqual([...d.createdKeys].sort(), keysOf('created'));
      assert.deepEqual([...d.deletedKeys].sort(), keysOf('deleted'));
      assert.deepEqual(
        Object.fromEntries(d.updates.map((u) => [u.key, u.changes])),
        Object.fromEntries(events.filter((e) => e.change === 'updated').map((e) => [e.key, e.changes])),
      );
      return c;
    }

    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-feed-check-vs-ingest-'));
      dropDir = path.join(dataDir, 'drop');
      fs.mkdirSync(dropDir, { recursive: true });
      // A lenient bad-row policy, so that files full of bad rows are applied and can be compared.
      env = {
        SEAM_DATA_DIR: dataDir,
        DATABASE_URL: undefined,
        SEAM_INGEST_WATCH: 'false',
        SEAM_INGEST_MAX_BAD_SHARE: '0.6',
      };
      if (target.url) {
        pgStore = await openTestStore(target, import.meta.filename, { schema });
        env = { ...env, DATABASE_URL: target.url, SEAM_DB_SCHEMA: schema };
      }
      const accounts = Array.from({ length: 20 }, (_, i) =>
        accountLine(String(200001 + i), `SEED ${i}`, '1.00'),
      );
      drop(dropDir, 'ACCOUNTS_20240301.csv', accountsCsv(accounts));
      drop(
        dropDir,
        'ORDERS_DELTA_202403011200.csv.gz',
        ordersCsv(['100301', '100302', '100303'].map((no) => orderLine('I', no))),
        { encoding: 'utf-8', gzip: true },
      );
      for (const name of ['ACCOUNTS_20240301.csv', 'ORDERS_DELTA_202403011200.csv.gz']) {
        const r = await runSeam(['ingest', path.join(dropDir, name), '--json'], env);
        assert.equal(r.code, 0, `seeding ${name}: ${r.stdout}${r.stderr}`);
      }
    });

    after(async () => {
      if (pgStore) await disposeTestStore(pgStore);
    });

    it('a snapshot with duplicate keys, bad rows, changes, new and missing accounts', async () => {
      const acc = (no: number, balance = '1.00', status = 'A') =>
        accountLine(String(no), `SEED ${no - 200001}`, balance, status);
      drop(
        dropDir,
        'ACCOUNTS_20240302.csv',
        accountsCsv([
          acc(200001),
          acc(200002),
          acc(200003),
          acc(200004, '2.00'), // changed
          acc(200005), // twice: both rows bad, the record kept
          acc(300001), // new
          acc(200006), // and a bad row of the same key: both bad, the record kept
          acc(200007, '1.00', 'Z'), // bad only: the record kept
          acc(200006, '1.00', 'Z'),
          acc(300002), // new, twice: not created
          acc(200005),
          acc(300002, '5.00'),
          // 200008 to 200010 are missing: deleted (3 of 20, within the feed's mass-deletion guard)
          ...Array.from({ length: 10 }, (_, i) => acc(200011 + i)),
        ]),
      );
      const c = await checkThenIngest('ACCOUNTS_20240302.csv');
      assert.deepEqual(c.rows, { read: 22, valid: 15, bad: 7, duplicateKeys: 5, superseded: 0 });
      assert.deepEqual(
        c.badRows.map((b) => [b.line, b.key, b.code]),
        [
          [6, '200005', 'duplicate_key'],
          [8, '200006', 'duplicate_key'],
          [9, '200007', 'invalid_field'],
          [10, '200006', 'invalid_field'],
          [11, '300002', 'duplicate_key'],
          [12, '200005', 'duplicate_key'],
          [13, '300002', 'duplicate_key'],
        ],
      );
      const d = c.diff!;
      assert.deepEqual([d.created, d.updated, d.deleted, d.unchanged], [1, 1, 3, 13]);
      assert.deepEqual(d.deletedKeys, ['200008', '200009', '200010']);
    });

    it('a delta with deletes, superseded rows, a bad operation and a delete of nothing', async () => {
      drop(
        dropDir,
        'ORDERS_DELTA_202403021200.csv.gz',
        ordersCsv([
          orderLine('U', '100301', 'I'), // changed
          orderLine('D', '100302'), // deleted
          orderLine('I', '100304'), // new, then changed in the same file: created as last seen
          orderLine('X', '100305'), // unknown operation: bad
          orderLine('D', '100399'), // a delete of an order never there
          orderLine('U', '100304', 'I'),
          orderLine('I', '100306'), // new and deleted in the same file: a delete of nothing
          orderLine('D', '100306'),
          orderLine('U', '100303'), // the same content: unchanged
        ]),
        { encoding: 'utf-8', gzip: true },
      );
      const c = await checkThenIngest('ORDERS_DELTA_202403021200.csv.gz');
      assert.deepEqual(c.rows, { read: 9, valid: 8, bad: 1, duplicateKeys: 0, superseded: 2 });
      assert.deepEqual(c.operations, { insert: 2, update: 3, delete: 3 });
      const d = c.diff!;
      assert.deepEqual([d.created, d.updated, d.deleted, d.unchanged, d.deleteMissing], [1, 1, 1, 1, 2]);
      assert.deepEqual(d.createdKeys, ['100304']);
      assert.deepEqual(
        d.updates.map((u) => [u.key, u.line, Object.keys(u.changes)]),
        [['100301', 2, ['status']]],
      );
    });
  });
}
