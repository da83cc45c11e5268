import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withClaim } from '../src/ingest/claim.ts';
import { DropWatcher } from '../src/ingest/watcher.ts';
import type { Store } from '../src/store/types.ts';
import { accountLine, accountsCsv, drop, ingestor, tempDrop } from './helpers/ingest.ts';
import {
  closePeerStore,
  disposeTestStore,
  openPeerStore,
  openTestStore,
  silentLog,
  storeTargets,
} from './helpers/store.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/acme-erp/drops');

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const target of storeTargets()) {
  describe(`watching the drop folder (${target.kind})`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
    });
    after(() => disposeTestStore(store));

    const ledger = async () =>
      (
        await store.query<{ file_name: string; status: string }>(
          'SELECT file_name, status FROM ingest_files ORDER BY file_name, status',
        )
      ).rows;

    it('finds files dropped while down, and reads a file only once it is ready', async () => {
      const dir = tempDrop();
      // Dropped (and completed) before the watcher starts.
      drop(dir, 'ACCOUNTS_20240401.csv', accountsCsv([accountLine('200001', 'A', '1.00')]), { ok: true });
      // Being written: no done file yet.
      drop(dir, 'ACCOUNTS_20240402.csv', accountsCsv([accountLine('200001', 'A', '2.00')]));
      // Stable-size feed: half a file now.
      const stock = fs.readFileSync(path.join(SAMPLES, 'STOCK_20240301.dat'));
      const half = drop(dir, 'STOCK_20240301.dat', stock.subarray(0, Math.floor(stock.length / 2)));
      const w = new DropWatcher(ingestor(store, dir, target), {
        dropDir: dir,
        stableMs: 400,
        scanIntervalMs: 60_000,
        log: silentLog,
      });
      await w.start();
      try {
        await until('the first file', async () => ((await ledger()).length >= 1 ? true : undefined));
        await w.idle();
        assert.deepEqual(await ledger(), [{ file_name: 'ACCOUNTS_20240401.csv', status: 'applied' }]);
        assert.ok(fs.existsSync(path.join(dir, 'ACCOUNTS_20240402.csv')), 'not touched before its .ok');
        assert.ok(fs.existsSync(half), 'a growing file is not read');

        fs.appendFileSync(half, stock.subarray(Math.floor(stock.length / 2)));
        fs.writeFileSync(path.join(dir, 'ACCOUNTS_20240402.csv.ok'), '');
        await until('all three', async () => ((await ledger()).length >= 3 ? true : undefined));
        assert.deepEqual(await ledger(), [
          { file_name: 'ACCOUNTS_20240401.csv', status: 'applied' },
          { file_name: 'ACCOUNTS_20240402.csv', status: 'applied' },
          { file_name: 'STOCK_20240301.dat', status: 'applied' },
        ]);
        const items = await store.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM records WHERE resource = 'items'",
        );
        assert.equal(items.rows[0]!.n, 50, 'the whole stock file, not half of it');
      } finally {
        await w.stop();
      }
    });

    it('two watchers on one folder apply each file exactly once', async () => {
      await store.exec('TRUNCATE ingest_quarantine, ingest_files, records');
      const dir = tempDrop();
      // Both start before any file arrives, then a burst lands.
      const second = await openPeerStore(target, store, import.meta.filename);
      const a = new DropWatcher(ingestor(store, dir, target), {
        dropDir: dir,
        stableMs: 100,
        scanIntervalMs: 200,
        log: silentLog,
      });
      const b = new DropWatcher(ingestor(second, dir, target), {
        dropDir: dir,
        stableMs: 100,
        scanIntervalMs: 200,
        log: silentLog,
      });
      await Promise.all([a.start(), b.start()]);
      const startPos = (await store.query<{ p: number }>('SELECT last_position AS p FROM event_log_head'))
        .rows[0]!.p;
      try {
        const names: string[] = [];
        for (let d = 1; d <= 4; d++) {
          const lines = Array.from({ length: 20 }, (_, i) =>
            accountLine(String(300000 + i + d), `C${i}`, `${d}.00`),
          );
          const n = `ACCOUNTS_2024050${d}.csv`;
          drop(dir, n, accountsCsv(lines), { ok: true });
          names.push(n);
        }
        for (const f of ['STOCK_20240301.dat', 'ORDERS_DELTA_202403011200.csv.gz']) {
          fs.copyFileSync(path.join(SAMPLES, f), path.join(dir, f));
          names.push(f);
        }
        await until('every file handled', async () =>
          (await ledger()).length >= names.length ? true : undefined,
        );
        await new Promise((r) => setTimeout(r, 500));
        await Promise.all([a.idle(), b.idle()]);
        assert.deepEqual(
          (await ledger()).map((r) => `${r.file_name}:${r.status}`),
          names.sort().map((n) => `${n}:applied`),
          'one ledger row per file',
        );
        // Events: 20 created for the first snapshot, then each next one replaces all 20 keys (20 created +
        // 20 deleted, keys shift by one so 19 overlap: 19 updated + 1 created + 1 deleted).
        const ev = await store.query<{ type: string; n: number }>(
          "SELECT type, count(*)::int AS n FROM events WHERE position > $1 AND type LIKE 'erp.account.%' GROUP BY type ORDER BY type",
          [startPos],
        );
        assert.deepEqual(ev.rows, [
          { type: 'erp.account.created', n: 23 },
          { type: 'erp.account.deleted', n: 3 },
          { type: 'erp.account.updated', n: 57 },
        ]);
        const outcome = await store.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM events WHERE position > $1 AND type = 'seam.ingest.file.applied'",
          [startPos],
        );
        assert.equal(outcome.rows[0]!.n, names.length);
        assert.deepEqual(fs.readdirSync(dir).sort(), ['archive', 'failed']);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
        await closePeerStore(second, store);
      }
    });

    it('a feed held by another process: later snapshots wait for the earlier one, never jump it', async () => {
      await store.exec('TRUNCATE ingest_quarantine, ingest_files, records');
      const dir = tempDrop();
      for (const d of [3, 4]) {
        const lines = [accountLine(String(310000 + d), `D${d}`, `${d}.00`)];
        drop(dir, `ACCOUNTS_2024060${d}.csv`, accountsCsv(lines), { ok: true });
      }
      // Another process holds the ACCOUNTS feed, and lets go right after our first attempt is refused:
      // the moment a watcher that carried on down its list would take the later file first.
      let release!: () => void;
      let held!: Promise<unknown>;
      await new Promise<void>((claimed) => {
        held = withClaim(store, 'erp:ACCOUNTS', async () => {
          claimed();
          await new Promise<void>((r) => (release = r));
        });
      });
      const outcomes: string[] = [];
      const w = new DropWatcher(ingestor(store, dir, target), {
        dropDir: dir,
        stableMs: 100,
        scanIntervalMs: 200,
        log: silentLog,
        onOutcome: (o) => {
          outcomes.push(`${o.fileName}:${o.status}`);
          if (o.status === 'busy') release();
        },
      });
      await w.start();
      try {
        await held;
        await until('both applied', async () => ((await ledger()).length >= 2 ? true : undefined));
        await w.idle();
        assert.deepEqual(await ledger(), [
          { file_name: 'ACCOUNTS_20240603.csv', status: 'applied' },
          { file_name: 'ACCOUNTS_20240604.csv', status: 'applied' },
        ]);
        assert.deepEqual(outcomes, [
          'ACCOUNTS_20240603.csv:busy',
          'ACCOUNTS_20240603.csv:applied',
          'ACCOUNTS_20240604.csv:applied',
        ]);
      } finally {
        await w.stop();
      }
    });
  });
}
