import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import { getRecord } from '../src/records/repo.ts';
import type { Store } from '../src/store/types.ts';
import { ALL_READ, startFacade, startSim } from './helpers/erp.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

type Body = Record<string, unknown>;

for (const target of storeTargets()) {
  describe(`legacy faults through the read facade on ${target.kind}`, () => {
    let store: Store;
    let sim: ErpSimulator;
    let svc: TestService;
    let key: string;
    const get = async (s: TestService, path: string) => {
      const r = await call(s.url, 'GET', path, { headers: bearer(key) });
      return { ...r, body: r.body as Body };
    };

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      sim = await startSim();
      svc = await startFacade(store, sim, { timeoutMs: 1500 });
      key = await issueKey(store, ALL_READ);
    });
    afterEach(() => {
      sim.setMode('normal');
      sim.resetStats();
    });
    after(async () => {
      await svc.stop();
      await sim.close();
      await disposeTestStore(store);
    });

    it('unknown id → 404 problem carrying the legacy code', async () => {
      const r = await get(svc, '/v1/accounts/999999?consistency=live');
      assert.equal(r.status, 404);
      assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(r.body.code, 'not_found');
      assert.equal(r.body.legacy_code, 'E0101');
      const item = await get(svc, '/v1/items/NOPE-9');
      assert.equal(item.status, 404);
      assert.equal(item.body.legacy_code, 'E0201');
    });

    it('arguments the box rejects → 400 with the legacy code', async () => {
      const r = await get(svc, '/v1/accounts/ABC?consistency=live');
      assert.equal(r.status, 400);
      assert.equal(r.body.code, 'legacy_rejected_arguments');
      assert.equal(r.body.legacy_code, 'E0400');
    });

    it('no answer within the timeout → 504', async () => {
      sim.setMode('hang');
      const r = await get(svc, '/v1/accounts/004471?consistency=live');
      assert.equal(r.status, 504);
      assert.equal(r.body.code, 'legacy_timeout');
      assert.equal(sim.stats().calls.GetAccount, 1, 'a timeout is not retried');
    });

    it('malformed XML → 502, nothing stored', async () => {
      sim.setMode('malformed');
      const r = await get(svc, '/v1/accounts/001375?consistency=live');
      assert.equal(r.status, 502);
      assert.equal(r.body.code, 'legacy_bad_response');
      assert.equal(await getRecord(store, 'erp', 'accounts', '001375'), undefined);
    });

    it('box down → 503 with Retry-After, after a bounded number of retries', async () => {
      sim.setMode('down');
      const r = await get(svc, '/v1/accounts/004471?consistency=live');
      assert.equal(r.status, 503);
      assert.equal(r.body.code, 'legacy_unavailable');
      assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal(sim.stats().calls.GetAccount, 3, 'first attempt + 2 retries, no more');
    });

    it('an answer larger than the response cap → 502, unread', async () => {
      const small = await startFacade(store, sim, { maxResponseBytes: 300 });
      try {
        const r = await get(small, '/v1/accounts/004471?consistency=live');
        assert.equal(r.status, 502);
        assert.equal(r.body.code, 'legacy_response_too_large');
        const ok = await get(svc, '/v1/accounts/004471?consistency=live');
        assert.equal(ok.status, 200, 'the same answer fits the normal cap');
      } finally {
        await small.stop();
      }
    });

    it('a record failing its schema never reaches the agent (nor the store)', async () => {
      const original = { ...sim.data.accounts.get('001977')! };
      try {
        // Passes normalisation, fails the schema (not an email address).
        sim.data.updateAccount('001977', { EMAIL_ADDR: 'call the branch, ask for Dave'.padEnd(60) });
        let r = await get(svc, '/v1/accounts/001977?consistency=live');
        assert.equal(r.status, 502);
        assert.equal(r.body.code, 'legacy_invalid_record');
        assert.doesNotMatch(r.text, /Dave/, 'no part of the bad record is echoed');
        // Cannot even be normalised (unknown status code).
        sim.data.updateAccount('001977', { ...original, ACCT_STAT: 'Z' });
        r = await get(svc, '/v1/accounts/001977?consistency=live');
        assert.equal(r.status, 502);
        assert.equal(r.body.code, 'legacy_invalid_record');
        assert.equal(await getRecord(store, 'erp', 'accounts', '001977'), undefined);
        const metrics = await call(svc.url, 'GET', '/metrics');
        assert.match(metrics.text, /seam_legacy_invalid_records_total\{system="erp",resource="accounts"\} 2/);
      } finally {
        sim.data.updateAccount('001977', original);
      }
    });

    it('faults and timeouts are counted on /metrics by outcome', async () => {
      await get(svc, '/v1/orders/1?consistency=live');
      const m = await call(svc.url, 'GET', '/metrics');
      assert.match(
        m.text,
        /seam_legacy_calls_total\{system="erp",operation="GetOrder",outcome="fault_not_found"\} 1/,
      );
      assert.match(
        m.text,
        /seam_legacy_calls_total\{system="erp",operation="GetAccount",outcome="timeout"\} \d+/,
      );
      assert.match(m.text, /seam_legacy_breaker_state\{system="erp"\} 0/);
    });

    it('reads with WS-Security, maps refused credentials to 502, and never logs the password', async () => {
      const locked = await startSim({ credentials: { username: 'seam-reader', password: 'Tr0ub4dor&3' } });
      const good = await startFacade(
        store,
        locked,
        {},
        { SEAM_LEGACY_USERNAME: 'seam-reader', SEAM_LEGACY_PASSWORD: 'Tr0ub4dor&3' },
      );
      const bad = await startFacade(
        store,
        locked,
        {},
        { SEAM_LEGACY_USERNAME: 'seam-reader', SEAM_LEGACY_PASSWORD: 'wrong-Pa55' },
      );
      try {
        const ok = await call(good.url, 'GET', '/v1/accounts/004471?consistency=live', {
          headers: bearer(key),
        });
        assert.equal(ok.status, 200);
        locked.setMode('malformed');
        const broken = await call(good.url, 'GET', '/v1/accounts/001375?consistency=live', {
          headers: bearer(key),
        });
        assert.equal(broken.status, 502);
        locked.setMode('normal');
        const refused = await call(bad.url, 'GET', '/v1/accounts/004471?consistency=live', {
          headers: bearer(key),
        });
        assert.equal(refused.status, 502);
        assert.equal((refused.body as Body).code, 'legacy_auth_failed');
        assert.equal((refused.body as Body).legacy_code, 'E0401');
        assert.match(good.logs(), /not well-formed XML/, 'the failure itself is logged');
        for (const logs of [good.logs(), bad.logs()]) {
          assert.doesNotMatch(logs, /Tr0ub4dor|wrong-Pa55/);
          assert.doesNotMatch(logs, /UsernameToken/);
        }
      } finally {
        await good.stop();
        await bad.stop();
        await locked.close();
      }
    });
  });
}
