import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Ingestor } from '../src/ingest/ingest.ts';
import type { Store } from '../src/store/types.ts';
import { accountLine, accountsCsv, ACCOUNT_HEADER, drop, ingestor, tempDrop } from './helpers/ingest.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const ORDER_HEADER = 'OP,ORD_NO,ACCT_NO,ORD_DT,ORD_STAT,CURR_CD,ORD_TOTAL,LINES,LAST_UPD';
const orderRow = (op: string, no: string, total = '10.00') =>
  `${op},${no},004471,20240301,O,GBP,${total},BEA-1|1|10.00|10.00,20240301100000`;

for (const target of storeTargets()) {
  describe(`bad input is refused with a clear reason, nothing applied (${target.kind})`, () => {
    let store: Store;
    let dir: string;
    let ing: Ingestor;
    let day = 0;
    /** A fresh business date per test so ordering never interferes. */
    const name = () => `ACCOUNTS_202401${String(++day).padStart(2, '0')}.csv`;

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      dir = tempDrop();
      ing = ingestor(store, dir, target, { maxLineChars: 64 * 1024 });
    });
    after(() => disposeTestStore(store));

    const records = async () =>
      (await store.query<{ n: number }>("SELECT count(*)::int AS n FROM records WHERE resource = 'accounts'"))
        .rows[0]!.n;

    /** Ingest, expect a rejection with `code`, no records, the file in failed/ with a reason file. */
    async function expectRejected(file: string, code: string, status = 'rejected') {
      const before = await records();
      const out = await ing.ingest(file);
      assert.equal(out.status, status, JSON.stringify(out));
      assert.equal(out.reasonCode, code, out.reason);
      assert.ok(out.reason && out.reason.length > 10, 'a readable reason');
      assert.equal(await records(), before, 'no record was written');
      const base = path.basename(file);
      assert.equal(fs.existsSync(file), false, 'moved out of the drop folder');
      const reason = JSON.parse(fs.readFileSync(path.join(dir, out.movedTo! + '.reason.json'), 'utf8'));
      assert.equal(reason.reasonCode, code);
      assert.equal(reason.file, base);
      const led = await store.query<{ status: string; reason_code: string }>(
        'SELECT status, reason_code FROM ingest_files WHERE id = $1',
        [out.fileId],
      );
      assert.deepEqual(led.rows[0], { status, reason_code: code });
      const ev = await store.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM events WHERE type = $1 AND subject = 'ingest_files/' || $2",
        [`seam.ingest.file.${status}`, out.fileId],
      );
      assert.equal(ev.rows[0]!.n, 1, 'an outcome event');
      return out;
    }

    it('truncated file (no trailer)', async () => {
      const full = accountsCsv([accountLine('100001', 'A', '1.00'), accountLine('100002', 'B', '2.00')]);
      const cut = full.slice(0, full.indexOf('100002') + 20);
      await expectRejected(drop(dir, name(), cut), 'trailer_missing');
    });

    it('trailer count mismatch', async () => {
      const f = drop(dir, name(), accountsCsv([accountLine('100001', 'A', '1.00')], 'TRAILER,2,1.00'));
      const out = await expectRejected(f, 'trailer_count_mismatch');
      assert.deepEqual(out.details, { trailer: 2, counted: 1 });
    });

    it('trailer total mismatch (exact decimals, not floats)', async () => {
      const lines = [accountLine('100001', 'A', '0.10'), accountLine('100002', 'B', '0.20')];
      const f = drop(dir, name(), accountsCsv(lines, 'TRAILER,2,0.30000001'));
      const out = await expectRejected(f, 'trailer_sum_mismatch');
      assert.equal(out.details?.counted, '0.30');
    });

    it('wrong encoding: a UTF-8 file in a windows-1252 feed', async () => {
      const f = drop(dir, name(), accountsCsv([accountLine('100001', 'CAFÉ MÜLLER', '1.00')]), {
        encoding: 'utf-8',
      });
      await expectRejected(f, 'wrong_encoding');
    });

    it('a UTF-8 byte-order mark on a windows-1252 feed', async () => {
      const body = Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(accountsCsv([accountLine('100001', 'A', '1.00')])),
      ]);
      await expectRejected(drop(dir, name(), body), 'bom_encoding_mismatch');
    });

    it('a UTF-8 byte-order mark on a UTF-8 feed is stripped and the file applies', async () => {
      const text = [ORDER_HEADER, orderRow('I', '700001'), 'TRAILER,1'].join('\r\n') + '\r\n';
      const f = drop(
        dir,
        'ORDERS_DELTA_202401010900.csv.gz',
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
        {
          gzip: true,
        },
      );
      const out = await ing.ingest(f);
      assert.equal(out.status, 'applied', JSON.stringify(out));
      assert.equal(out.changes?.created, 1);
    });

    it('empty file', async () => {
      await expectRejected(drop(dir, name(), ''), 'empty_file');
    });

    it('a file with only a header', async () => {
      await expectRejected(drop(dir, name(), ACCOUNT_HEADER + '\r\n'), 'trailer_missing');
    });

    it('a header and a zero trailer: an empty snapshot would delete everything', async () => {
      await expectRejected(drop(dir, name(), `${ACCOUNT_HEADER}\r\nTRAILER,0,0.00\r\n`), 'no_rows');
    });

    it('a row with too many fields in a snapshot with control totals: unreconcilable, rejected', async () => {
      const lines = [accountLine('100001', 'A', '1.00'), accountLine('100002', 'B', '2.00') + ',EXTRA'];
      const out = await expectRejected(
        drop(dir, name(), accountsCsv(lines, 'TRAILER,2,3.00')),
        'trailer_sum_mismatch',
      );
      assert.deepEqual(out.details?.unreadableLines, [3]);
      const q = await store.query<{ line: number; reason_code: string }>(
        'SELECT line, reason_code FROM ingest_quarantine WHERE file_id = $1',
        [out.fileId],
      );
      assert.deepEqual(q.rows, [{ line: 3, reason_code: 'field_count' }], 'the bad row is shown');
    });

    it('a row with too few fields in a delta is quarantined; the rest applies', async () => {
      const rows = [orderRow('I', '700101'), orderRow('I', '700102'), 'I,700103,004471'];
      const text = [ORDER_HEADER, ...rows, 'TRAILER,3'].join('\r\n') + '\r\n';
      const f = drop(dir, 'ORDERS_DELTA_202401011000.csv.gz', text, { encoding: 'utf-8', gzip: true });
      const local = ingestor(store, dir, target, { maxBadShare: 0.5 });
      const out = await local.ingest(f);
      assert.equal(out.status, 'applied', JSON.stringify(out));
      assert.deepEqual(out.rows, { total: 3, valid: 2, quarantined: 1 });
      const q = await store.query<{ line: number; reason_code: string; reason: string }>(
        'SELECT line, reason_code, reason FROM ingest_quarantine WHERE file_id = $1',
        [out.fileId],
      );
      assert.equal(q.rows.length, 1);
      assert.equal(q.rows[0]!.line, 4);
      assert.equal(q.rows[0]!.reason_code, 'field_count');
      assert.match(q.rows[0]!.reason, /expected 9 fields, got 3/);
    });

    it('more bad rows than the feed allows rejects the file', async () => {
      const rows = [
        orderRow('I', '700201'),
        'I,700202,004471',
        'X,700203,004471,20240301,O,GBP,1.00,,20240301100000',
      ];
      const text = [ORDER_HEADER, ...rows, 'TRAILER,3'].join('\r\n') + '\r\n';
      const f = drop(dir, 'ORDERS_DELTA_202401011100.csv.gz', text, { encoding: 'utf-8', gzip: true });
      const out = await expectRejected(f, 'too_many_bad_rows');
      assert.deepEqual(out.details, { bad: 2, total: 3, maxShare: 0.01 });
    });

    it('unterminated quote', async () => {
      const text = `${ACCOUNT_HEADER}\r\n${accountLine('100001', 'A', '1.00')}\r\n100002,"NEVER CLOSED,A,5000.00,1.00,GBP,,,,\r\nTRAILER,2,2.00\r\n`;
      await expectRejected(drop(dir, name(), text), 'unterminated_quote');
    });

    it('a line of 10 MB is refused without reading it whole', async () => {
      const huge = accountLine('100002', 'X'.repeat(10 * 1024 * 1024), '1.00');
      const f = drop(dir, name(), accountsCsv([accountLine('100001', 'A', '1.00'), huge]));
      const out = await expectRejected(f, 'line_too_long');
      assert.equal(out.details?.line, 3);
    });

    it('a corrupt gzip', async () => {
      const gz = zlib.gzipSync(
        Buffer.from([ORDER_HEADER, orderRow('I', '700301'), 'TRAILER,1'].join('\r\n')),
      );
      const mid = Math.floor(gz.length / 2);
      gz.writeUInt16BE(gz.readUInt16BE(mid) ^ 0xffff, mid);
      await expectRejected(drop(dir, 'ORDERS_DELTA_202401011200.csv.gz', gz), 'corrupt_gzip');
    });

    it('a truncated gzip', async () => {
      const gz = zlib.gzipSync(
        Buffer.from([ORDER_HEADER, orderRow('I', '700401'), 'TRAILER,1'].join('\r\n')),
      );
      await expectRejected(
        drop(dir, 'ORDERS_DELTA_202401011300.csv.gz', gz.subarray(0, gz.length - 12)),
        'corrupt_gzip',
      );
    });

    it('a file name outside every pattern', async () => {
      await expectRejected(drop(dir, 'accounts-2024-01-01.csv', 'whatever'), 'name_not_in_pattern');
    });

    it('an impossible business date in the name', async () => {
      await expectRejected(drop(dir, 'ACCOUNTS_20240231.csv', 'x'), 'bad_business_date');
    });

    it('a symlink in the drop folder is moved aside, its target untouched', async () => {
      const outside = path.join(tempDrop('outside'), 'secret.csv');
      fs.writeFileSync(outside, accountsCsv([accountLine('100001', 'A', '1.00')]));
      const link = path.join(dir, name());
      fs.symlinkSync(outside, link);
      const out = await ing.ingest(link);
      assert.equal(out.status, 'rejected');
      assert.equal(out.reasonCode, 'symlink');
      assert.ok(fs.existsSync(outside), 'target still there');
      assert.equal(
        fs.lstatSync(path.join(dir, out.movedTo!)).isSymbolicLink(),
        true,
        'the link itself was moved',
      );
      assert.equal(await records(), 0);
    });

    it('a path that escapes the drop folder is refused and not touched', async () => {
      const outsideDir = tempDrop('escape');
      const outside = path.join(outsideDir, 'ACCOUNTS_20240120.csv');
      fs.writeFileSync(outside, accountsCsv([accountLine('100001', 'A', '1.00')]));
      const sneaky = path.join(dir, '..', path.basename(outsideDir), 'ACCOUNTS_20240120.csv');
      const out = await ing.ingest(sneaky);
      assert.equal(out.status, 'rejected');
      assert.equal(out.reasonCode, 'outside_drop_folder');
      assert.equal(out.movedTo, undefined);
      assert.ok(fs.existsSync(outside), 'left where it was');
      // A symlinked folder inside the drop folder leads outside too.
      fs.symlinkSync(outsideDir, path.join(dir, 'linked'));
      const viaLink = await ing.ingest(path.join(dir, 'linked', 'ACCOUNTS_20240120.csv'));
      assert.equal(viaLink.reasonCode, 'outside_drop_folder');
      fs.unlinkSync(path.join(dir, 'linked'));
      assert.equal(await records(), 0);
    });

    it('a header that names other columns', async () => {
      const text = accountsCsv([accountLine('100001', 'A', '1.00')]).replace('CUR_BAL', 'BALANCE');
      await expectRejected(drop(dir, name(), text), 'header_mismatch');
    });

    it('data after the trailer', async () => {
      const text =
        accountsCsv([accountLine('100001', 'A', '1.00')]) + accountLine('100002', 'B', '1.00') + '\r\n';
      await expectRejected(drop(dir, name(), text), 'data_after_trailer');
    });

    it("fixed width: trailer count mismatch and a header date that is not the name's", async () => {
      const d =
        'D' +
        'BEA-1'.padEnd(12) +
        'BEARING'.padEnd(30) +
        '0000001.00' +
        '     10' +
        '    1' +
        '01' +
        'A' +
        '20240301120000';
      const f1 = drop(
        dir,
        'STOCK_20240301.dat',
        ['H20240301' + '20240301020000', d, 'T' + '2'.padStart(9, '0')].join('\r\n') + '\r\n',
      );
      await expectRejected(f1, 'trailer_count_mismatch');
      const f2 = drop(
        dir,
        'STOCK_20240302.dat',
        ['H20240301' + '20240301020000', d, 'T' + '1'.padStart(9, '0')].join('\r\n') + '\r\n',
      );
      await expectRejected(f2, 'header_date_mismatch');
    });
  });
}
