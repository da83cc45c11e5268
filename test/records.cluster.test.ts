/**
 * Two seam services sharing one store (on PostgreSQL: two pools on one schema, as two processes
 * would be; on PGlite: one embedded database). Store reads are batched (and, on PGlite only, cached
 * until the next write): once a change has committed through one service, every read that starts
 * afterwards on the other sees it, even while reads of the same record are in flight there.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import { getRecord } from '../src/records/repo.ts';
import type { Store } from '../src/store/types.ts';
import { ALL_READ, startFacade, startSim } from './helpers/erp.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, type TestService } from './helpers/service.ts';
import {
  closePeerStore,
  disposeTestStore,
  openPeerStore,
  openTestStore,
  storeTargets,
} from './helpers/store.ts';

interface Envelope {
  version: number | null;
  data: Record<string, unknown>;
  source: string;
}

for (const target of storeTargets()) {
  describe(`store reads across two services on ${target.kind}`, () => {
    let storeA: Store;
    let storeB: Store;
    let sim: ErpSimulator;
    let a: TestService;
    let b: TestService;
    let key: string;
    const read = async (svc: TestService, path: string) => {
      const r = await call(svc.url, 'GET', path, { headers: bearer(key) });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as Envelope;
    };

    before(async () => {
      storeA = await openTestStore(target, import.meta.filename);
      storeB = await openPeerStore(target, storeA, import.meta.filename);
      sim = await startSim();
      a = await startFacade(storeA, sim);
      b = await startFacade(storeB, sim);
      key = await issueKey(storeA, ALL_READ);
      const polled = await a.ctx.services.recordPoller!.runOnce('erp', 'accounts');
      assert.equal(polled.outcome, 'ok');
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
      await sim?.close();
      await closePeerStore(storeB, storeA);
      await disposeTestStore(storeA);
    });

    it('a change committed through one service is seen by every read that starts after it on the other', async () => {
      const id = '004471';
      const first = await read(b, `/v1/accounts/${id}`);
      assert.equal(first.source, 'store');
      const original = { ...sim.data.accounts.get(id)! };
      // Keep reads of the same record going on B throughout, so batches are in flight there when
      // the change commits through A.
      let stop = false;
      const seen: { startedAt: number; version: number | null; status: unknown }[] = [];
      const background = (async () => {
        while (!stop) {
          const startedAt = performance.now();
          const r = await read(b, `/v1/accounts/${id}`);
          seen.push({ startedAt, version: r.version, status: r.data.status });
        }
      })();
      const readers = background;
      try {
        sim.data.updateAccount(id, { ACCT_STAT: 'H' });
        const changed = await read(a, `/v1/accounts/${id}?consistency=live`);
        const committedAt = performance.now();
        assert.equal(changed.source, 'live');
        assert.equal(changed.data.status, 'HOLD');
        assert.equal(changed.version, first.version! + 1);

        const after = await Promise.all(Array.from({ length: 20 }, () => read(b, `/v1/accounts/${id}`)));
        for (const r of after) {
          assert.equal(r.source, 'store');
          assert.equal(r.version, changed.version);
          assert.equal(r.data.status, 'HOLD');
        }
        stop = true;
        await readers;
        const later = seen.filter((s) => s.startedAt > committedAt);
        for (const s of later) assert.deepEqual([s.version, s.status], [changed.version, 'HOLD']);
        assert.ok(seen.length > 0, 'the background reads ran');
      } finally {
        stop = true;
        await readers.catch(() => undefined);
        sim.data.updateAccount(id, original);
      }
    });

    it('a record written straight to the store (as a batch drop does) is served on the other service at once', async () => {
      const id = '001375';
      const before = await read(b, `/v1/accounts/${id}`);
      const stored = await getRecord(storeA, 'erp', 'accounts', id);
      assert.ok(stored);
      // The way a set-based ingest writes: one UPDATE, version bumped.
      await storeA.query(
        `UPDATE records SET data = data || '{"name": "RENAMED BY A DROP"}'::jsonb, version = version + 1
          WHERE system = 'erp' AND resource = 'accounts' AND key = $1`,
        [id],
      );
      const after = await Promise.all(Array.from({ length: 10 }, () => read(b, `/v1/accounts/${id}`)));
      for (const r of after) {
        assert.equal(r.version, before.version! + 1);
        assert.equal(r.data.name, 'RENAMED BY A DROP');
      }
      // A deleted record is never served from the store again.
      await storeA.query(
        `UPDATE records SET deleted_at = now(), version = version + 1
          WHERE system = 'erp' AND resource = 'accounts' AND key = $1`,
        [id],
      );
      const gone = await read(b, `/v1/accounts/${id}`);
      assert.equal(gone.source, 'live', 'a deleted record is read through, not served from the store');
    });
  });
}
