import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import erp from '../adapters/acme-erp/index.ts';
import type { ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import { accessModule } from '../src/access/module.ts';
import { defineResource } from '../src/adapter/resource.ts';
import { createLegacyModule } from '../src/legacy/module.ts';
import { RetryBudget } from '../src/legacy/guard.ts';
import { createRecordsModule } from '../src/records/module.ts';
import { getRecord, upsertRecord } from '../src/records/repo.ts';
import type { Store } from '../src/store/types.ts';
import { ALL_READ, erpWith, startFacade, startSim } from './helpers/erp.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

type Body = Record<string, unknown>;

describe('retry budget', () => {
  it('lets retries add at most the budget ratio of first attempts, plus a small per-second floor', () => {
    let now = 0;
    const b = new RetryBudget(0.1, 1, () => now);
    for (let i = 0; i < 50; i++) b.deposit();
    let granted = 0;
    for (let i = 0; i < 100; i++) if (b.tryWithdraw()) granted++;
    assert.equal(granted, 6, '50 first attempts × 0.1 = 5 tokens, + 1 from the per-second floor');
    now += 1000;
    assert.equal(b.tryWithdraw(), true, 'the floor refills each second');
    assert.equal(b.tryWithdraw(), false);
  });
});

for (const target of storeTargets()) {
  describe(`retries, breaker, maintenance and writes on ${target.kind}`, () => {
    let store: Store;
    let sim: ErpSimulator;
    let key: string;
    const services: TestService[] = [];
    const facade = async (
      ...args: Parameters<typeof startFacade> extends [Store, ErpSimulator, ...infer R] ? R : never
    ) => {
      const s = await startFacade(store, sim, ...args);
      services.push(s);
      return s;
    };
    const get = async (s: TestService, path: string) => {
      const r = await call(s.url, 'GET', path, { headers: bearer(key) });
      return { ...r, body: r.body as Body };
    };

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      sim = await startSim();
      key = await issueKey(store, ALL_READ);
    });
    afterEach(async () => {
      sim.setMode('normal');
      sim.setLatency(0);
      for (const s of services.splice(0)) await s.stop();
      sim.resetStats();
    });
    after(async () => {
      await sim.close();
      await disposeTestStore(store);
    });

    it('retries only transient failures, a bounded number of times', async () => {
      const svc = await facade({ retry: { retries: 2 } });
      sim.setMode('busy');
      const r = await get(svc, '/v1/accounts/004471?consistency=live');
      assert.equal(r.status, 503);
      assert.equal(r.body.code, 'legacy_busy');
      assert.equal(r.body.legacy_code, 'E0900');
      assert.equal(sim.stats().calls.GetAccount, 3, '1 + 2 retries');
      sim.setMode('normal');
      sim.resetStats();
      sim.failNext(1);
      const recovered = await get(svc, '/v1/accounts/004471?consistency=live');
      assert.equal(recovered.status, 200, 'a retry hides one busy answer');
      assert.equal(sim.stats().calls.GetAccount, 2);
      sim.resetStats();
      await get(svc, '/v1/accounts/999999?consistency=live');
      assert.equal(sim.stats().calls.GetAccount, 1, 'a not-found is an answer, not retried');
    });

    it('an empty retry budget means no retries at all: no retry storm', async () => {
      const svc = await facade({ retry: { retries: 5, budgetRatio: 0.1, minPerSecond: 0 } });
      sim.setMode('busy');
      const ids = Array.from({ length: 20 }, (_, i) => String(2000 + i).padStart(6, '0'));
      const all = await Promise.all(ids.map((id) => get(svc, `/v1/accounts/${id}?consistency=live`)));
      assert.ok(all.every((r) => r.status === 503));
      const calls = sim.stats().calls.GetAccount ?? 0;
      assert.ok(calls >= 20 && calls <= 22, `20 first attempts + at most 2 budgeted retries (saw ${calls})`);
      const m = await call(svc.url, 'GET', '/metrics');
      assert.match(
        m.text,
        /seam_legacy_retries_total\{system="erp",operation="GetAccount",decision="budget_exhausted"\} \d+/,
      );
    });

    it('answers like not-found do not open the breaker', async () => {
      const svc = await facade({
        retry: { retries: 0 },
        breaker: { volumeThreshold: 4, resetTimeoutMs: 600 },
      });
      for (let i = 0; i < 8; i++) assert.equal((await get(svc, '/v1/orders/1?consistency=live')).status, 404);
      const systems = await get(svc, '/v1/systems');
      assert.equal((systems.body.systems as { legacy: { breaker: string } }[])[0]!.legacy.breaker, 'closed');
    });

    it('the breaker opens after repeated failures (503, box left alone) and closes when the box is back', async () => {
      const svc = await facade({
        retry: { retries: 0 },
        // Long enough that the checks below see it open even on a loaded machine.
        breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 4_000 },
      });
      sim.setMode('down');
      for (let i = 0; i < 5; i++) await get(svc, `/v1/accounts/00${4471 + i}?consistency=live`);
      const before = sim.stats().calls.GetAccount ?? 0;
      assert.ok(before >= 4 && before < 5, `the box saw the failures up to the threshold (${before})`);
      const r = await get(svc, '/v1/accounts/001375?consistency=live');
      assert.equal(r.status, 503);
      assert.equal(r.body.code, 'legacy_circuit_open');
      assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal(sim.stats().calls.GetAccount ?? 0, before, 'an open breaker does not call the box');
      const metrics = await call(svc.url, 'GET', '/metrics');
      assert.match(metrics.text, /seam_legacy_breaker_state\{system="erp"\} 2/);
      const systems = await get(svc, '/v1/systems');
      assert.equal((systems.body.systems as { legacy: { breaker: string } }[])[0]!.legacy.breaker, 'open');
      sim.setMode('normal');
      await sleep(4_200);
      const probe = await get(svc, '/v1/accounts/001375?consistency=live');
      assert.equal(probe.status, 200, 'half-open probe succeeds and closes the breaker');
      assert.equal((await get(svc, '/v1/accounts/001977?consistency=live')).status, 200);
    });

    it('inside a maintenance window: no calls; stored data served marked stale; no copy → 503 + Retry-After', async () => {
      await upsertRecord(store, {
        system: 'erp',
        resource: 'items',
        key: 'BOL-7272',
        data: { sku: 'BOL-7272', note: 'stored copy' },
        source: 'feed',
        asOf: new Date('2024-01-02T02:00:00Z'),
      });
      const svc = await facade({ maintenanceWindows: ['* * * * *'] });
      const r = await get(svc, '/v1/items/BOL-7272?consistency=live');
      assert.equal(r.status, 200);
      assert.equal(r.body.source, 'store');
      assert.equal(r.body.stale, true);
      assert.equal(r.body.stale_reason, 'maintenance');
      assert.equal(r.body.as_of, '2024-01-02T02:00:00.000Z');
      const missing = await get(svc, '/v1/orders/100207?consistency=live');
      assert.equal(missing.status, 503);
      assert.equal(missing.body.code, 'legacy_maintenance');
      assert.ok(Number(missing.headers.get('retry-after')) >= 1);
      assert.equal(sim.stats().total, 0, 'the box was not called');
      const ready = await call(svc.url, 'GET', '/readyz');
      assert.equal(ready.status, 200, 'the legacy check is not critical');
      assert.match(JSON.stringify(ready.body), /maintenance window until/);
    });

    it('refuses to call write operations at all (proposal mode holds no write path)', async () => {
      // A rogue resource whose fetch tries to call a write operation through the legacy caller.
      const rogue = defineResource({
        ...erp.resources[0]!,
        name: 'rogue',
        fetchOne: (legacy, k) =>
          legacy.call('SetCreditLimit', { ACCT_NO: k, NEW_LIMIT: '1.00', REASON: 'x', USER_ID: 'x' }),
      });
      const adapter = erpWith();
      const svc = await startTestService(store, {
        modules: [
          accessModule,
          createLegacyModule({ adapters: [{ ...adapter, resources: [...adapter.resources, rogue] }] }),
          createRecordsModule(),
        ],
        env: { SEAM_LEGACY_URL: sim.url, SEAM_LEGACY_POLL: 'false' },
      });
      services.push(svc);
      const k = await issueKey(store, ['read:rogue']);
      const r = await call(svc.url, 'GET', '/v1/rogue/004471?consistency=live', { headers: bearer(k) });
      assert.equal(r.status, 500);
      assert.equal((r.body as Body).code, 'legacy_call_refused');
      assert.equal(sim.stats().total, 0);
      assert.deepEqual(sim.stats().writes, []);
      assert.equal(await getRecord(store, 'erp', 'rogue', '004471'), undefined);
    });
  });
}
