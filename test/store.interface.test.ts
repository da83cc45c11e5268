import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../src/store/index.ts';
import { notify } from '../src/store/notify.ts';
import { isUnavailable, StoreUnavailableError, type Store } from '../src/store/types.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets } from './helpers/store.ts';

for (const target of storeTargets()) {
  describe(`store interface on ${target.kind}`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      await store.exec(
        'CREATE TABLE t (id int8 PRIMARY KEY, amount numeric(12,2), day date, at timestamptz, doc jsonb)',
      );
    });
    after(() => disposeTestStore(store));

    it('maps types the same way on both stores', async () => {
      await store.query('INSERT INTO t VALUES ($1, $2, $3, $4, $5)', [
        7,
        '1234.50',
        '2026-03-01',
        new Date('2026-03-01T10:00:00Z'),
        JSON.stringify({ a: 1 }),
      ]);
      const r = await store.query<{ id: unknown; amount: unknown; day: unknown; at: unknown; doc: unknown }>(
        'SELECT * FROM t WHERE id = $1',
        [7],
      );
      const row = r.rows[0]!;
      assert.equal(row.id, 7);
      assert.equal(row.amount, '1234.50');
      assert.equal(row.day, '2026-03-01');
      assert.ok(row.at instanceof Date);
      assert.equal((row.at as Date).toISOString(), '2026-03-01T10:00:00.000Z');
      assert.deepEqual(row.doc, { a: 1 });
    });

    it('commits a transaction that resolves and rolls back one that throws', async () => {
      await store.transaction(async (tx) => {
        await tx.query('INSERT INTO t (id) VALUES (100)');
      });
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.query('INSERT INTO t (id) VALUES (101)');
          throw new Error('boom');
        }),
        /boom/,
      );
      const r = await store.query<{ id: number }>('SELECT id FROM t WHERE id >= 100 ORDER BY id');
      assert.deepEqual(
        r.rows.map((x) => x.id),
        [100],
      );
    });

    it('reports counts of changed rows', async () => {
      const r = await store.query("UPDATE t SET doc = '{}' WHERE id IN (7, 100)");
      assert.equal(r.rowCount, 2);
    });

    it('delivers NOTIFY payloads to listeners', async () => {
      const got: string[] = [];
      const unlisten = await store.listen('seam_test_channel', (p) => got.push(p));
      // Sent from another schema of the same database first: channels are database-wide, so
      // the listener must drop it (it means nothing in this store's tables).
      await store.query("SELECT pg_notify('seam_test_channel', 'some_other_schema|foreign')");
      await notify(store, 'seam_test_channel', 'hello');
      for (let i = 0; i < 250 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await unlisten();
      assert.deepEqual(got, ['hello']);
    });

    it('classifies a server-side error as a query error, not unavailability', async () => {
      await assert.rejects(store.query('SELECT * FROM no_such_table'), (err: unknown) => {
        assert.equal(isUnavailable(err), false);
        assert.equal((err as { code?: string }).code, '42P01');
        return true;
      });
    });
  });
}

describe('store unavailability', () => {
  it('reports an unreachable PostgreSQL as StoreUnavailableError', async () => {
    await assert.rejects(
      openStore(
        { url: 'postgres://postgres@127.0.0.1:1/test', schema: 'x', poolMax: 1, dataDir: 'memory://' },
        silentLog,
      ),
      (err: unknown) => err instanceof StoreUnavailableError && /ECONNREFUSED|connect/i.test(err.message),
    );
  });
});
