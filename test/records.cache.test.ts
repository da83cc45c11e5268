/**
 * The record cache behind store-served reads (src/records/loader.ts), on by itself on PGlite only.
 * Every path that writes records must be seen by the next read; a read racing a write, or a
 * transaction that rolls back, must leave nothing stale behind; the cache is bounded and its records
 * cannot be changed by a caller. On PostgreSQL, where the cache is off, the same tests hold and every
 * read goes to the store.
 *
 * Each read-after-write test first reads the record twice (so on PGlite the old copy is cached),
 * then writes, then reads: without invalidation that last read would answer the old copy.
 */
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import { Ingestor } from '../src/ingest/ingest.ts';
import { RecordLoader, recordLoader } from '../src/records/loader.ts';
import { upsertRecord } from '../src/records/repo.ts';
import type { Queryable, QueryResult, Store } from '../src/store/types.ts';
import { ALL_READ, startFacade, startSim } from './helpers/erp.ts';
import { accountLine, accountsCsv, demoFeeds, drop, tempDrop } from './helpers/ingest.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets } from './helpers/store.ts';

interface Envelope {
  id: string;
  data: Record<string, unknown>;
  source: string;
}

type CountingStore = Store & { selects(): number };

/**
 * The store as the service sees it, counting every SELECT on `records` it is asked to run: through
 * `query`, and on PGlite through `writeGeneration.read` (the loader's own reads).
 */
function counting(inner: Store): CountingStore {
  let n = 0;
  const count = (sql: string) => {
    if (/^\s*SELECT\b[\s\S]*\bFROM records\b/i.test(sql)) n++;
  };
  const gen = inner.writeGeneration;
  return {
    kind: inner.kind,
    schema: inner.schema,
    query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      count(sql);
      return inner.query<R>(sql, params);
    },
    exec: (sql) => inner.exec(sql),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => inner.transaction(fn),
    withSession: <T>(fn: (s: Queryable) => Promise<T>) => inner.withSession(fn),
    listen: (channel, onPayload) => inner.listen(channel, onPayload),
    ping: (ms) => inner.ping(ms),
    stats: () => inner.stats(),
    close: () => inner.close(),
    ...(gen
      ? {
          writeGeneration: {
            current: () => gen.current(),
            read<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
              count(sql);
              return gen.read<R>(sql, params);
            },
          },
        }
      : {}),
    selects: () => n,
  };
}

const account = (no: string, extra: Record<string, unknown> = {}) => ({
  system: 'cache',
  resource: 'accounts',
  key: no,
  data: { accountNumber: no, name: `ACCOUNT ${no}`, email: `ap@${no}.example.com`, n: 0, ...extra },
  source: 'api' as const,
  asOf: new Date(),
});

const setN = (store: Queryable, key: string, n: number) =>
  store.query(
    `UPDATE records SET data = jsonb_set(data, '{n}', to_jsonb($2::int)), version = version + 1
      WHERE system = 'cache' AND resource = 'accounts' AND key = $1`,
    [key, n],
  );

for (const target of storeTargets()) {
  const cached = target.kind === 'pglite';

  // A store nobody else uses: no service, no background statements, so SELECTs can be counted exactly.
  describe(`the record loader's cache on ${target.kind}`, () => {
    let store: CountingStore;
    let loader: RecordLoader;
    const get = async (key: string) => (await loader.get('cache', 'accounts', key))?.data;

    before(async () => {
      store = counting(await openTestStore(target, import.meta.filename));
      for (const k of ['c1', 'c2', 'c3', 'c4', 'c5']) await upsertRecord(store, account(k));
      loader = recordLoader(store);
    });
    after(() => disposeTestStore(store));

    it('exists on PGlite only', () => {
      assert.equal(store.writeGeneration !== undefined, cached);
      if (cached)
        assert.throws(
          () => store.writeGeneration!.read('UPDATE records SET version = 0'),
          /SELECT statements only/,
        );
    });

    it('a cached read issues no SELECT; a raw UPDATE through store.query is seen by the next read', async () => {
      const s0 = store.selects();
      assert.equal((await get('c1'))?.n, 0);
      assert.equal(store.selects() - s0, 1);
      assert.equal((await get('c1'))?.n, 0);
      assert.equal((await get('c1'))?.n, 0);
      assert.equal(store.selects() - s0, cached ? 1 : 3, cached ? 'served from the cache' : 'no cache');

      await setN(store, 'c1', 1);
      const s1 = store.selects();
      assert.equal((await get('c1'))?.n, 1, 'the write is seen');
      assert.equal(store.selects() - s1, 1, 'by a new SELECT');
      assert.equal((await get('c1'))?.n, 1);
      assert.equal(store.selects() - s1, cached ? 1 : 2, 'and cached again');
    });

    it('a read whose SELECT overlaps a write is not kept', async () => {
      const racing = get('c2'); // not cached yet: its SELECT is issued before the UPDATE
      const write = setN(store, 'c2', 1);
      const first = await racing;
      await write;
      assert.ok(first?.n === 0 || first?.n === 1);
      const s0 = store.selects();
      assert.equal((await get('c2'))?.n, 1, 'the write is seen');
      assert.equal(store.selects() - s0, 1, 'read again, not answered from what the racing read got');
    });

    it('keeps at most its bound, least recently used out first', async () => {
      const small = new RecordLoader(store, store.writeGeneration, 3);
      const read = async (k: string) => (await small.get('cache', 'accounts', k))?.data.accountNumber;
      const s0 = store.selects();
      for (const k of ['c1', 'c2', 'c3', 'c4']) assert.equal(await read(k), k);
      assert.equal(store.selects() - s0, 4);
      for (const k of ['c4', 'c3', 'c2']) assert.equal(await read(k), k);
      assert.equal(store.selects() - s0, cached ? 4 : 7, 'the three most recent are cached');
      assert.equal(await read('c1'), 'c1');
      assert.equal(store.selects() - s0, cached ? 5 : 8, 'the fourth was evicted');
      assert.equal(await read('c4'), 'c4');
      assert.equal(store.selects() - s0, cached ? 6 : 9, 'and c1 pushed out the least recently used');
    });

    it('a record from the store cannot be changed by its reader', async () => {
      await loader.get('cache', 'accounts', 'c5');
      const r = await loader.get('cache', 'accounts', 'c5'); // on PGlite, from the cache
      assert.ok(r);
      if (cached) {
        assert.throws(() => {
          r.data.name = 'CHANGED';
        }, TypeError);
      } else {
        r.data.name = 'CHANGED'; // each read has its own copy on PostgreSQL
      }
      r.asOf.setTime(0); // every reader has its own Dates
      const again = await loader.get('cache', 'accounts', 'c5');
      assert.equal(again?.data.name, 'ACCOUNT c5');
      assert.notEqual(again?.asOf.getTime(), 0);
    });
  });

  // The service's write paths, each followed by a read that must see it.
  describe(`reads after writes through the service on ${target.kind}`, () => {
    let store: Store;
    let sim: ErpSimulator;
    let svc: TestService;
    let reader: string;
    const read = async (id: string, key = reader) => {
      const r = await call(svc.url, 'GET', `/v1/accounts/${id}`, { headers: bearer(key) });
      assert.equal(r.status, 200, r.text);
      return r.body as Envelope;
    };
    /** Read twice: on PGlite the record is then cached. */
    const warm = async (id: string) => {
      const a = await read(id);
      assert.deepEqual((await read(id)).data, a.data);
      return a;
    };
    const loaded = async (system: string, key: string) =>
      (await recordLoader(store).get(system, 'accounts', key))?.data;

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      sim = await startSim();
      svc = await startFacade(store, sim);
      reader = await issueKey(store, ALL_READ);
      const polled = await svc.ctx.services.recordPoller!.runOnce('erp', 'accounts');
      assert.equal(polled.outcome, 'ok');
      for (const k of ['r1', 'r2', 'r3']) await upsertRecord(store, account(k));
    });
    after(async () => {
      await svc.stop();
      await sim.close();
      await disposeTestStore(store);
    });

    it('a live read that writes back is seen by the next stored read', async () => {
      const before = await warm('004471');
      assert.equal(before.source, 'store');
      const original = { ...sim.data.accounts.get('004471')! };
      try {
        sim.data.updateAccount('004471', { ACCT_STAT: 'H' });
        assert.equal((await read('004471?consistency=live')).data.status, 'HOLD');
        const after = await read('004471');
        assert.equal(after.source, 'store');
        assert.equal(after.data.status, 'HOLD');
      } finally {
        sim.data.updateAccount('004471', original);
      }
    });

    it('a poll is seen by the next read', async () => {
      await warm('002673');
      const original = { ...sim.data.accounts.get('002673')! };
      try {
        sim.data.updateAccount('002673', { CR_LIMIT: '0000000123.00' });
        const polled = await svc.ctx.services.recordPoller!.runOnce('erp', 'accounts');
        assert.equal(polled.outcome, 'ok');
        assert.ok(polled.updated >= 1);
        const after = await read('002673');
        assert.equal(after.source, 'store');
        assert.equal(after.data.creditLimit, '123.00');
      } finally {
        sim.data.updateAccount('002673', original);
      }
    });

    it('a feed ingest is seen by the next read', async () => {
      // The demo feeds under a system of their own, so the snapshot leaves the polled accounts alone.
      const dir = tempDrop('cache');
      const ing = new Ingestor({
        store,
        log: silentLog,
        feeds: demoFeeds.map((f) => ({ ...f, system: 'feedsys', maxDeleteShare: undefined })),
        dropDir: dir,
        ...(target.url ? { copyUrl: target.url } : {}),
        maxBadShare: 0.01,
        maxLineChars: 1 << 20,
      });
      const file = (day: string, balance: string) =>
        drop(dir, `ACCOUNTS_202403${day}.csv`, accountsCsv([accountLine('100001', 'ALPHA', balance)]), {
          ok: true,
        });
      assert.equal((await ing.ingest(file('01', '10.00'))).status, 'applied');
      assert.equal((await loaded('feedsys', '100001'))?.balance, '10.00');
      assert.equal((await loaded('feedsys', '100001'))?.balance, '10.00');
      const out = await ing.ingest(file('02', '20.00'));
      assert.equal(out.status, 'applied', JSON.stringify(out));
      assert.equal(out.changes?.updated, 1);
      assert.equal((await loaded('feedsys', '100001'))?.balance, '20.00');
    });

    it('a committed transaction is seen; a read issued while it ran never answers from before it', async () => {
      const key = 'r1';
      assert.equal((await loaded('cache', key))?.n, 0);
      assert.equal((await loaded('cache', key))?.n, 0);
      let during: Promise<Record<string, unknown> | undefined> | undefined;
      await store.transaction(async (tx) => {
        await setN(tx, key, 1);
        during = loaded('cache', key);
        // PostgreSQL: the read runs beside the open transaction and sees the last commit. PGlite:
        // it waits for the transaction (one session), so it must not be answered from the cache.
        if (!cached) assert.equal((await during)?.n, 0);
        else await tick();
      });
      assert.equal((await during!)?.n, cached ? 1 : 0);
      assert.equal((await loaded('cache', key))?.n, 1);
    });

    it('a transaction that rolls back leaves the last committed state, and nothing it wrote cached', async () => {
      const key = 'r2';
      assert.equal((await loaded('cache', key))?.n, 0);
      let during: Promise<Record<string, unknown> | undefined> | undefined;
      await assert.rejects(
        store.transaction(async (tx) => {
          await setN(tx, key, 1);
          during = loaded('cache', key);
          if (!cached) await during;
          else await tick();
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal((await during!)?.n, 0);
      assert.equal((await loaded('cache', key))?.n, 0);

      // A session's own BEGIN ... ROLLBACK. On PGlite the one session is then inside that
      // transaction, so a read in between sees its uncommitted write (as it did before the cache);
      // it must not be kept.
      await store.withSession(async (s) => {
        await s.exec('BEGIN');
        try {
          await setN(s, key, 2);
          assert.equal((await loaded('cache', key))?.n, cached ? 2 : 0);
        } finally {
          await s.exec('ROLLBACK');
        }
      });
      assert.equal((await loaded('cache', key))?.n, 0, 'the rolled-back write is not served');
    });

    it('reads racing writes: after each write completes, the next read sees it', async () => {
      const key = 'r3';
      for (let i = 1; i <= 25; i++) {
        const racing = [loaded('cache', key), loaded('cache', key)];
        const write = setN(store, key, i);
        racing.push(loaded('cache', key), loaded('cache', key));
        await write;
        assert.equal((await loaded('cache', key))?.n, i, `write ${i}`);
        for (const r of await Promise.all(racing)) assert.ok(r?.n === i - 1 || r?.n === i, `write ${i}`);
      }
    });

    it('redaction never changes what the next reader gets', async () => {
      const pii = await issueKey(store, ['read:accounts', 'pii:*']);
      const plain = await read('004471');
      assert.equal(plain.data.email, '[REDACTED]');
      const full = await read('004471', pii);
      assert.match(String(full.data.email), /@/);
      assert.equal((await read('004471')).data.email, '[REDACTED]');
      assert.equal((await read('004471', pii)).data.email, full.data.email);
    });
  });
}
