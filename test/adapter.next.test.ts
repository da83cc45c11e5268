/**
 * ACME Next, the JSON-over-HTTP replacement, as seam runs it: selected with SEAM_ADAPTERS, its
 * simulator started on loopback when no endpoint is configured, every call through the same guard
 * as SOAP calls, and its failures answered to agents with the same problem codes as the ERP's.
 * Writes are JSON calls that only gated-write would make; the read path refuses them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import client from 'prom-client';
import next from '../adapters/acme-next/index.ts';
import { setCreditLimit } from '../adapters/acme-next/proposals.ts';
import { startNextSimulator } from '../adapters/acme-next/simulator/index.ts';
import { accessModule } from '../src/access/module.ts';
import { LegacyError } from '../src/legacy/errors.ts';
import { LegacyGuard } from '../src/legacy/guard.ts';
import { createLegacyMetrics } from '../src/legacy/metrics.ts';
import { createLegacyModule } from '../src/legacy/module.ts';
import { createTransport } from '../src/legacy/transport.ts';
import { createRecordsModule } from '../src/records/module.ts';
import type { Store } from '../src/store/types.ts';
import { TEST_LIMITS } from './helpers/erp.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets } from './helpers/store.ts';

for (const target of storeTargets()) {
  describe(`ACME Next selected by SEAM_ADAPTERS, on its own simulator, on ${target.kind}`, () => {
    let store: Store;
    let seam: TestService;
    let agent: Record<string, string>;
    let control: string;

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      seam = await startTestService(store, {
        // The legacy module as the service loads it: adapters from SEAM_ADAPTERS, no endpoint given.
        modules: [accessModule, createLegacyModule(), createRecordsModule()],
        env: {
          SEAM_ADAPTERS: 'acme-next',
          SEAM_LEGACY_POLL: 'false',
          SEAM_SIMULATOR_LATENCY_MS: '0',
          LOG_LEVEL: 'warn',
        },
      });
      agent = bearer(await issueKey(store, ['read:accounts', 'read:items', 'read:orders']));
      control = new URL(seam.ctx.services.systems!.system('erp')!.endpoint.url!).origin;
    });
    after(async () => {
      await seam?.stop();
      await disposeTestStore(store);
    });

    const mode = (m: string) =>
      fetch(`${control}/__sim/mode`, { method: 'POST', body: JSON.stringify({ mode: m }) }).then((r) =>
        r.text(),
      );
    const live = (path: string) => call(seam.url, 'GET', `${path}?consistency=live`, { headers: agent });

    it('starts the adapter’s simulator on loopback and serves its records', async () => {
      const systems = await call(seam.url, 'GET', '/v1/systems', { headers: agent });
      const s = (
        systems.body as { systems: { system: string; title: string; legacy: { endpoint: string } }[] }
      ).systems;
      assert.deepEqual(
        s.map((x) => [x.system, x.title, x.legacy.endpoint]),
        [['erp', 'ACME Next', 'simulator']],
      );
      assert.match(control, /^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await live('/v1/accounts/4471');
      assert.equal(r.status, 200, r.text);
      const body = r.body as { source: string; data: Record<string, unknown> };
      assert.equal(body.source, 'live');
      assert.deepEqual(
        (({ accountNumber, status, creditLimit, currency, email }) => ({
          accountNumber,
          status,
          creditLimit,
          currency,
          email,
        }))(body.data),
        {
          accountNumber: '004471',
          status: 'ACTIVE',
          creditLimit: '15000.00',
          currency: 'GBP',
          email: '[REDACTED]',
        },
      );
      const order = await live('/v1/orders/00100200');
      assert.equal((order.body as { data: { total: string; lines: unknown[] } }).data.total, '20396.04');
    });

    it('answers its failures with the same problem codes agents know from the ERP', async () => {
      const expect = async (path: string, status: number, code: string, legacyCode?: string) => {
        const r = await live(path);
        assert.equal(r.status, status, `${path}: ${r.text}`);
        const b = r.body as { code: string; legacy_code?: string; operation: string };
        assert.equal(b.code, code, r.text);
        if (legacyCode) assert.equal(b.legacy_code, legacyCode);
        return r;
      };
      await expect('/v1/accounts/999999', 404, 'not_found', 'ACCOUNT_NOT_FOUND');
      await expect('/v1/items/NOPE-1', 404, 'not_found', 'ITEM_NOT_FOUND');
      await expect('/v1/accounts/ABC', 400, 'legacy_rejected_arguments', 'VALIDATION_FAILED');
      try {
        await mode('busy');
        const busy = await expect('/v1/accounts/1098', 503, 'legacy_busy', 'UNAVAILABLE');
        assert.ok(Number(busy.headers.get('retry-after')) >= 1);
        await mode('malformed');
        await expect('/v1/accounts/1375', 502, 'legacy_bad_response');
        await mode('down');
        await expect('/v1/accounts/1977', 503, 'legacy_unavailable');
      } finally {
        await mode('normal');
      }
      assert.equal((await live('/v1/accounts/1977')).status, 200, 'back to normal');
    });
  });
}

describe('the JSON transport behind the guard', () => {
  it('refuses write operations on the read path, before anything reaches the system', async () => {
    const sim = await startNextSimulator();
    const { transport, operations } = createTransport(next, { endpoint: sim.url, limits: TEST_LIMITS });
    const guard = new LegacyGuard({
      system: 'erp',
      limits: TEST_LIMITS,
      operations,
      transport,
      metrics: createLegacyMetrics(new client.Registry(), () => []),
      log: silentLog,
    });
    try {
      await assert.rejects(guard.read('SetCreditLimit', { accountId: '004471', amountCents: 1 }), (err) => {
        assert.ok(err instanceof LegacyError);
        assert.equal(err.kind, 'refused');
        return true;
      });
      assert.equal(sim.stats().total, 0);
    } finally {
      await guard.close();
      transport.close();
      await sim.close();
    }
  });

  it('sends the bearer token, and a refused token is an auth fault', async () => {
    const sim = await startNextSimulator({ token: 'right-token' });
    const with_ = (password: string) =>
      createTransport(next, {
        endpoint: sim.url,
        credentials: { username: 'seam', password },
        limits: TEST_LIMITS,
      }).transport;
    try {
      const good = with_('right-token');
      const a = (await good('GetAccount', { accountId: '004471' })) as { id: string };
      assert.equal(a.id, '004471');
      good.close();
      const bad = with_('wrong-token');
      await assert.rejects(bad('GetAccount', { accountId: '004471' }), (err) => {
        assert.ok(err instanceof LegacyError);
        assert.deepEqual([err.kind, err.faultKind, err.legacyCode], ['fault', 'auth', 'UNAUTHENTICATED']);
        assert.doesNotMatch(err.message, /wrong-token/);
        return true;
      });
      bad.close();
    } finally {
      await sim.close();
    }
  });

  it('refuses an answer over the size cap unread', async () => {
    const sim = await startNextSimulator();
    const { transport } = createTransport(next, {
      endpoint: sim.url,
      limits: { ...TEST_LIMITS, maxResponseBytes: 200 },
    });
    try {
      await assert.rejects(transport('ListAccounts', { limit: 50 }), (err) => {
        assert.ok(err instanceof LegacyError);
        assert.equal(err.kind, 'too_large');
        return true;
      });
    } finally {
      transport.close();
      await sim.close();
    }
  });

  it('a gated-write is one JSON call, built from the proposal type, that the system carries out', async () => {
    const sim = await startNextSimulator();
    const { transport, operations } = createTransport(next, { endpoint: sim.url, limits: TEST_LIMITS });
    try {
      assert.equal(operations.SetCreditLimit, 'write');
      const input = setCreditLimit.input.parse({ accountNumber: '4471', creditLimit: '17000' });
      const record = { currency: 'GBP', creditLimit: '15000.00' } as Parameters<
        typeof setCreditLimit.impact
      >[1];
      const result = await transport('SetCreditLimit', setCreditLimit.write!.args(input, record));
      assert.match(setCreditLimit.write!.reference(result), /^chg_\d{6}$/);
      assert.equal(sim.data.accounts.get('004471')!.creditLimit.amountCents, 1_700_000);
      assert.deepEqual(
        sim.stats().writes.map((w) => [w.route, w.body]),
        [
          [
            'PUT /v2/accounts/{id}/credit-limit',
            {
              amountCents: 1_700_000,
              currency: 'GBP',
              reason: 'seam gated-write',
              requestedBy: 'seam-gated-write',
            },
          ],
        ],
      );
    } finally {
      transport.close();
      await sim.close();
    }
  });
});
