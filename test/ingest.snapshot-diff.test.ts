import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { normaliseAccount, normaliseItem } from '../adapters/acme-erp/resources.ts';
import { recordChangeEvent } from '../src/records/events.ts';
import { canonicalJson, changedFields, recordHash } from '../src/records/repo.ts';
import type { Store } from '../src/store/types.ts';
import { accountLine, accountsCsv, drop, ingestor, tempDrop } from './helpers/ingest.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/acme-erp/drops');

interface Ev {
  position: number;
  type: string;
  subject: string;
  source: string;
  data: Record<string, unknown>;
  aggregate_type: string;
  aggregate_id: string;
}

const raw = (no: string, name: string, bal: string, status = 'A') => ({
  ACCT_NO: no,
  ACCT_NAME: name,
  ACCT_STAT: status,
  CR_LIMIT: '5000.00',
  CUR_BAL: bal,
  CURR_CD: 'GBP',
  EMAIL_ADDR: `ops@x${no}.example.com`,
  PHONE_NO: '01632 960000',
  OPEN_DT: '01.02.2003',
  LAST_UPD: '20240301120000',
});

for (const target of storeTargets()) {
  describe(`snapshot diff, delta apply and the ledger (${target.kind})`, () => {
    let store: Store;
    let dir: string;
    let svc: TestService;
    const events = async (after: number) =>
      (
        await store.query<Ev>(
          "SELECT position, type, subject, source, data, aggregate_type, aggregate_id FROM events WHERE position > $1 AND type LIKE 'erp.%' ORDER BY position",
          [after],
        )
      ).rows;
    const head = async () =>
      (await store.query<{ p: number }>('SELECT last_position AS p FROM event_log_head')).rows[0]!.p;

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      dir = tempDrop();
      svc = await startTestService(store, {
        env: {
          SEAM_INGEST_DROP_DIR: dir,
          SEAM_INGEST_WATCH: 'false',
          SEAM_LEGACY_POLL: 'false',
          SEAM_PROPOSAL_JOBS: 'false',
          ...(target.url ? { DATABASE_URL: target.url } : {}),
        },
      });
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });

    it('a first snapshot creates every record; its events match recordChangeEvent exactly', async () => {
      const ing = ingestor(store, dir, target);
      const lines = [
        accountLine('100001', 'ALPHA, LTD', '10.00'),
        accountLine('100002', 'BETA\r\nBRANCH', '20.00'),
        accountLine('100003', 'GAMMA', '30.00'),
      ];
      const f = drop(dir, 'ACCOUNTS_20240301.csv', accountsCsv(lines), { ok: true });
      const out = await ing.ingest(f);
      assert.equal(out.status, 'applied', JSON.stringify(out));
      assert.deepEqual(out.changes, { created: 3, updated: 0, deleted: 0, unchanged: 0 });
      assert.equal(out.movedTo, 'archive/ACCOUNTS_20240301.csv');
      assert.ok(fs.existsSync(path.join(dir, 'archive/ACCOUNTS_20240301.csv.ok')), 'done file moved along');

      const expected = normaliseAccount(raw('100002', 'BETA\r\nBRANCH', '20.00'));
      const rec = await store.query<{
        data: unknown;
        hash: string;
        source: string;
        source_ref: string;
        business_date: string;
      }>(
        "SELECT data, hash, source, source_ref, business_date FROM records WHERE resource = 'accounts' AND key = '100002'",
      );
      assert.deepEqual(rec.rows[0]!.data, expected, 'same normalisation as the SOAP side');
      assert.equal(
        rec.rows[0]!.hash,
        recordHash(expected),
        'hash is sha256 of canonical JSON, as upsertRecord computes',
      );
      assert.equal(rec.rows[0]!.source_ref, 'ACCOUNTS_20240301.csv:3');
      assert.equal(rec.rows[0]!.business_date, '2024-03-01');

      const evs = await events(0);
      assert.deepEqual(
        evs.map((e) => [e.type, e.subject]),
        [
          ['erp.account.created', 'accounts/100001'],
          ['erp.account.created', 'accounts/100002'],
          ['erp.account.created', 'accounts/100003'],
        ],
      );
      const ref = recordChangeEvent({
        system: 'erp',
        resource: 'accounts',
        entity: 'account',
        key: '100002',
        change: 'created',
        after: expected,
        provenance: {
          via: 'feed',
          file: 'ACCOUNTS_20240301.csv',
          line: 3,
          feed: 'ACCOUNTS',
          businessDate: '2024-03-01',
        },
      });
      const e = evs[1]!;
      assert.deepEqual(
        {
          source: e.source,
          type: e.type,
          subject: e.subject,
          data: canonicalJson(e.data),
          at: e.aggregate_type,
          ai: e.aggregate_id,
        },
        {
          source: ref.source,
          type: ref.type,
          subject: ref.subject,
          data: canonicalJson(ref.data),
          at: ref.aggregateType,
          ai: ref.aggregateId,
        },
      );
    });

    it('a second snapshot yields exactly the changed, deleted and added rows; unchanged rows nothing', async () => {
      const ing = ingestor(store, dir, target);
      const from = await head();
      const lines = [
        accountLine('100001', 'ALPHA, LTD', '10.00'), // unchanged
        accountLine('100002', 'BETA\r\nBRANCH', '25.50', 'H'), // balance and status changed
        accountLine('100004', 'DELTA', '40.00'), // new; 100003 is gone
      ];
      const out = await ing.ingest(drop(dir, 'ACCOUNTS_20240302.csv', accountsCsv(lines), { ok: true }));
      assert.deepEqual(out.changes, { created: 1, updated: 1, deleted: 1, unchanged: 1 });
      const evs = await events(from);
      assert.deepEqual(
        evs.map((e) => [e.type, e.subject]),
        [
          ['erp.account.updated', 'accounts/100002'],
          ['erp.account.created', 'accounts/100004'],
          ['erp.account.deleted', 'accounts/100003'],
        ],
      );
      const before = normaliseAccount(raw('100002', 'BETA\r\nBRANCH', '20.00'));
      const afterRec = normaliseAccount(raw('100002', 'BETA\r\nBRANCH', '25.50', 'H'));
      assert.deepEqual(evs[0]!.data.changes, changedFields(before, afterRec));
      assert.deepEqual(Object.keys(evs[0]!.data.changes as object).sort(), ['balance', 'status']);
      assert.deepEqual(evs[2]!.data.before, normaliseAccount(raw('100003', 'GAMMA', '30.00')));
      assert.deepEqual(evs[2]!.data.provenance, {
        via: 'feed',
        file: 'ACCOUNTS_20240302.csv',
        feed: 'ACCOUNTS',
        businessDate: '2024-03-02',
      });
      const gone = await store.query<{ deleted_at: Date | null; version: number }>(
        "SELECT deleted_at, version FROM records WHERE resource = 'accounts' AND key IN ('100003', '100002') ORDER BY key",
      );
      assert.equal(gone.rows[0]!.version, 2);
      assert.ok(gone.rows[1]!.deleted_at, 'tombstone kept');
    });

    it('the same content under a new name is a recorded no-op', async () => {
      const from = await head();
      const content = fs.readFileSync(path.join(dir, 'archive/ACCOUNTS_20240302.csv'));
      const out = await ingestor(store, dir, target).ingest(
        drop(dir, 'ACCOUNTS_20240303.csv', content, { ok: true }),
      );
      assert.equal(out.status, 'duplicate');
      assert.equal(out.reasonCode, 'duplicate_content');
      assert.equal(out.movedTo, 'archive/ACCOUNTS_20240303.csv');
      assert.deepEqual(await events(from), [], 'no record events');
      // And the very same file dropped again.
      const again = await ingestor(store, dir, target).ingest(
        drop(dir, 'ACCOUNTS_20240302.csv', content, { ok: true }),
      );
      assert.equal(again.status, 'duplicate');
      assert.match(again.movedTo!, /^archive\/ACCOUNTS_20240302\.csv\.[0-9a-f]{8}$/);
    });

    it('the same name with different content is flagged, never merged', async () => {
      const from = await head();
      const f = drop(dir, 'ACCOUNTS_20240302.csv', accountsCsv([accountLine('100009', 'OTHER', '1.00')]), {
        ok: true,
      });
      const out = await ingestor(store, dir, target).ingest(f);
      assert.equal(out.status, 'flagged');
      assert.equal(out.reasonCode, 'name_reused');
      assert.match(out.movedTo!, /^failed\//);
      assert.deepEqual(await events(from), []);
    });

    it('an older snapshot after a newer one is flagged, not applied over it', async () => {
      const from = await head();
      const f = drop(dir, 'ACCOUNTS_20240228.csv', accountsCsv([accountLine('100001', 'OLD', '1.00')]), {
        ok: true,
      });
      const out = await ingestor(store, dir, target).ingest(f);
      assert.equal(out.status, 'flagged');
      assert.equal(out.reasonCode, 'out_of_order');
      assert.deepEqual(await events(from), []);
      const r = await store.query<{ data: { name: string } }>(
        "SELECT data FROM records WHERE resource = 'accounts' AND key = '100001'",
      );
      assert.equal(r.rows[0]!.data.name, 'ALPHA, LTD');
    });

    it('a bad row is quarantined with line, field and reason, and its record is kept, not deleted', async () => {
      const from = await head();
      const lines = [
        accountLine('100001', 'ALPHA, LTD', '10.00'),
        accountLine('100002', 'BETA\r\nBRANCH', '25.50', 'Z'), // unknown status code
        accountLine('100004', 'DELTA', '40.00'),
      ];
      const ing = ingestor(store, dir, target, { maxBadShare: 0.5 });
      const out = await ing.ingest(drop(dir, 'ACCOUNTS_20240304.csv', accountsCsv(lines), { ok: true }));
      assert.equal(out.status, 'applied', JSON.stringify(out));
      assert.deepEqual(out.rows, { total: 3, valid: 2, quarantined: 1 });
      assert.deepEqual(out.changes, { created: 0, updated: 0, deleted: 0, unchanged: 2 });
      assert.deepEqual(await events(from), [], '100002 neither updated nor deleted');

      const key = await issueKey(store, ['read:ingest']);
      const q = await call(svc.url, 'GET', '/v1/ingest/quarantine?file=ACCOUNTS_20240304.csv', {
        headers: bearer(key),
      });
      assert.equal(q.status, 200, q.text);
      const rows = (q.body as { rows: Record<string, unknown>[] }).rows;
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.line, 3);
      assert.equal(rows[0]!.key, '100002');
      assert.equal(rows[0]!.field, 'ACCT_STAT');
      assert.equal(rows[0]!.reasonCode, 'invalid_field');
      assert.match(String(rows[0]!.reason), /unknown code "Z"/);

      const files = await call(svc.url, 'GET', '/v1/ingest/files?feed=ACCOUNTS&limit=3', {
        headers: bearer(key),
      });
      assert.equal(files.status, 200, files.text);
      const page = files.body as {
        files: { fileName: string; status: string; rows: { quarantined: number } }[];
        next?: string;
      };
      assert.equal(page.files.length, 3);
      assert.equal(page.files[0]!.fileName, 'ACCOUNTS_20240304.csv');
      assert.equal(page.files[0]!.rows.quarantined, 1);
      assert.ok(page.next, 'more pages');
      const rest = await call(svc.url, 'GET', `/v1/ingest/files?feed=ACCOUNTS&limit=50&before=${page.next}`, {
        headers: bearer(key),
      });
      const all = [...page.files, ...(rest.body as typeof page).files].map(
        (x) => `${x.fileName}:${x.status}`,
      );
      assert.deepEqual(all.slice().sort(), [
        'ACCOUNTS_20240228.csv:flagged',
        'ACCOUNTS_20240301.csv:applied',
        'ACCOUNTS_20240302.csv:applied',
        'ACCOUNTS_20240302.csv:duplicate',
        'ACCOUNTS_20240302.csv:flagged',
        'ACCOUNTS_20240303.csv:duplicate',
        'ACCOUNTS_20240304.csv:applied',
      ]);

      const anon = await call(svc.url, 'GET', '/v1/ingest/files');
      assert.equal(anon.status, 401);
      const other = await issueKey(store, ['read:accounts'], 'not-ingest');
      assert.equal((await call(svc.url, 'GET', '/v1/ingest/files', { headers: bearer(other) })).status, 403);
    });

    it('a delta applies its operations; the last operation per key wins', async () => {
      const ing = ingestor(store, dir, target);
      const from = await head();
      const H = 'OP,ORD_NO,ACCT_NO,ORD_DT,ORD_STAT,CURR_CD,ORD_TOTAL,LINES,LAST_UPD';
      const row = (op: string, no: string, st = 'O') =>
        `${op},${no},004471,20240301,${st},GBP,10.00,BEA-1|1|10.00|10.00,20240301100000`;
      const one = [H, row('I', '900001'), row('I', '900002'), row('I', '900003'), 'TRAILER,3'].join('\r\n');
      assert.equal(
        (
          await ing.ingest(
            drop(dir, 'ORDERS_DELTA_202403011000.csv.gz', one, { encoding: 'utf-8', gzip: true }),
          )
        ).status,
        'applied',
      );
      const two = [
        H,
        row('U', '900001', 'S'),
        row('U', '900001', 'I'),
        row('D', '900002'),
        row('D', '900099'),
        'TRAILER,4',
      ].join('\r\n');
      const out = await ing.ingest(
        drop(dir, 'ORDERS_DELTA_202403011100.csv.gz', two, { encoding: 'utf-8', gzip: true }),
      );
      assert.equal(out.status, 'applied', JSON.stringify(out));
      assert.deepEqual(out.changes, { created: 0, updated: 1, deleted: 1, unchanged: 0 });
      const evs = await events(from);
      assert.deepEqual(
        evs.map((e) => [e.type, e.subject]),
        [
          ['erp.order.created', 'orders/900001'],
          ['erp.order.created', 'orders/900002'],
          ['erp.order.created', 'orders/900003'],
          ['erp.order.updated', 'orders/900001'],
          ['erp.order.deleted', 'orders/900002'],
        ],
      );
      assert.deepEqual(evs[3]!.data.changes, { status: { before: 'OPEN', after: 'INVOICED' } });
      const older = await ing.ingest(
        drop(dir, 'ORDERS_DELTA_202403010900.csv.gz', one, { encoding: 'utf-8', gzip: true }),
      );
      assert.equal(older.status, 'duplicate', 'same bytes as the first delta');
    });

    it('a snapshot that would delete more than the feed allows is rejected whole', async () => {
      const from = await head();
      const ing = ingestor(store, dir, target, { deleteGuard: true });
      const out = await ing.ingest(
        drop(dir, 'ACCOUNTS_20240305.csv', accountsCsv([accountLine('100001', 'ALPHA, LTD', '10.00')]), {
          ok: true,
        }),
      );
      assert.equal(out.status, 'rejected');
      assert.equal(out.reasonCode, 'too_many_deletes');
      assert.deepEqual(out.details, { deleted: 2, live: 3, maxDeleteShare: 0.2 });
      assert.deepEqual(await events(from), []);
    });

    it('the demo sample drops apply and normalise like the SOAP side', async () => {
      const ing = ingestor(store, dir, target);
      fs.copyFileSync(path.join(SAMPLES, 'STOCK_20240301.dat'), path.join(dir, 'STOCK_20240301.dat'));
      const out = await ing.ingest(path.join(dir, 'STOCK_20240301.dat'));
      assert.equal(out.status, 'applied', JSON.stringify(out));
      assert.equal(out.changes?.created, 50);
      const seed = JSON.parse(fs.readFileSync(path.resolve(SAMPLES, '../seed/items.json'), 'utf8')) as Record<
        string,
        string
      >[];
      const r = await store.query<{ data: unknown }>(
        "SELECT data FROM records WHERE resource = 'items' AND key = $1",
        [seed[2]!.ITEM_SKU!.trim()],
      );
      assert.deepEqual(r.rows[0]!.data, normaliseItem(seed[2]!));
    });
  });
}
