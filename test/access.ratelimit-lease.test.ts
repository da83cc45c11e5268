import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LeasedBuckets } from '../src/access/ratelimit.ts';
import type { Queryable, Store } from '../src/store/types.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

function counting(db: Queryable): Queryable & { calls: number } {
  const c = {
    calls: 0,
    query: ((sql: string, params?: readonly unknown[]) => {
      c.calls++;
      return db.query(sql, params);
    }) as Queryable['query'],
    exec: (sql: string) => db.exec(sql),
  };
  return c;
}

for (const target of storeTargets()) {
  describe(`leased rate-limit buckets on ${target.kind}`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
    });
    after(() => disposeTestStore(store));

    it('never grants more than the shared limit across processes, with far fewer store round trips', async () => {
      // A frozen clock: no refill, no lease expiry, so the arithmetic is exact.
      const frozen = () => 1_000_000;
      const dbA = counting(store);
      const dbB = counting(store);
      const a = new LeasedBuckets(dbA, frozen);
      const b = new LeasedBuckets(dbB, frozen);
      const spec = [{ bucket: 'key:lease-test', perMinute: 1200 }];
      let allowed = 0;
      let refused = 0;
      for (let i = 0; i < 800; i++) {
        const v = await (i % 2 === 0 ? a : b).take(spec);
        if (v.allowed) allowed++;
        else {
          refused++;
          assert.ok(v.retryAfterSeconds >= 1);
        }
      }
      // The store's own clock still moves during the test, refilling a few tokens: allow for it.
      assert.ok(allowed <= 1200 + 40, `granted ${allowed}`);
      assert.ok(allowed >= 400, `granted ${allowed}`);
      assert.equal(allowed + refused, 800);
      assert.ok(dbA.calls + dbB.calls < 100, `store round trips: ${dbA.calls + dbB.calls}`);
    });

    it('refuses once the shared bucket is empty and says when to retry', async () => {
      const frozen = () => 2_000_000;
      const a = new LeasedBuckets(store, frozen);
      const b = new LeasedBuckets(store, frozen);
      const spec = [{ bucket: 'key:small', perMinute: 3 }];
      const verdicts = [];
      for (let i = 0; i < 6; i++) verdicts.push(await (i % 2 ? a : b).take(spec));
      assert.equal(verdicts.filter((v) => v.allowed).length, 3);
      const last = verdicts.at(-1)!;
      assert.equal(last.allowed, false);
      assert.equal(last.bucket, 'key:small');
    });
  });
}
