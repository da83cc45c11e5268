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

    it('takes one lease for many concurrent requests, not one each', async () => {
      const frozen = () => 3_000_000;
      const db = counting(store);
      const a = new LeasedBuckets(db, frozen);
      // 6000 a minute: leases of 100 tokens. 150 requests at once need 2 leases; leasing once per
      // waiting request would take 150 and drain the bucket (6000) far too fast.
      const spec = [
        { bucket: 'key:concurrent', perMinute: 6000 },
        { bucket: 'agents:concurrent', perMinute: 60_000 },
      ];
      const verdicts = await Promise.all(Array.from({ length: 150 }, () => a.take(spec)));
      assert.equal(verdicts.filter((v) => v.allowed).length, 150);
      assert.ok(db.calls <= 3, `store round trips: ${db.calls}`);
      const left = await store.query<{ bucket: string; tokens: number }>(
        `SELECT bucket, tokens FROM rate_buckets WHERE bucket IN ('key:concurrent', 'agents:concurrent') ORDER BY bucket`,
      );
      // The shared bucket was debited by whole leases only: 2 leases of 100, 2 of 1000 at most.
      const tokens = Object.fromEntries(left.rows.map((r) => [r.bucket, Number(r.tokens)]));
      assert.ok(tokens['key:concurrent']! >= 6000 - 300, `key bucket left: ${tokens['key:concurrent']}`);
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
