/**
 * Shadow mode against both real simulators: the ERP (primary, SOAP) serves agents while its
 * replacement (shadow, JSON over HTTP) is read beside it. Agents always get the ERP's answer; each
 * difference is recorded (field values, records missing on either side, a shadow that fails),
 * resolved when it goes away, counted per resource and field, and served to those allowed to see it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import erp from '../adapters/acme-erp/index.ts';
import { startErpSimulator, type ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import next from '../adapters/acme-next/index.ts';
import { startNextSimulator, type NextSimulator } from '../adapters/acme-next/simulator/index.ts';
import { accessModule } from '../src/access/module.ts';
import { createLegacyModule } from '../src/legacy/module.ts';
import { createRecordsModule } from '../src/records/module.ts';
import type { ShadowDiff, ShadowSummary } from '../src/shadow/repo.ts';
import { createShadowModule } from '../src/shadow/module.ts';
import type { Store } from '../src/store/types.ts';
import { withTestLimits } from './helpers/adapters.ts';
import { TEST_LIMITS } from './helpers/erp.ts';
import { issueHuman, type IssuedHuman } from './helpers/humans.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

type Page = { items: ShadowDiff[]; nextCursor: number | null };

for (const target of storeTargets()) {
  describe(`shadow mode: ERP serves, its replacement is compared, on ${target.kind}`, () => {
    let store: Store;
    let erpSim: ErpSimulator;
    let nextSim: NextSimulator;
    let seam: TestService;
    let agent: Record<string, string>;
    let admin: IssuedHuman;

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      erpSim = await startErpSimulator({ latencyMs: 0, workers: 16 });
      nextSim = await startNextSimulator({ latencyMs: 0 });
      seam = await startTestService(store, {
        modules: [
          accessModule,
          createLegacyModule({ adapters: [withTestLimits(erp)] }),
          // The shadow's own limits: no retries, and a deadline (for a slot and for the call) long
          // enough that a sampled page of 50 reads gets through on a loaded CI machine, where the
          // embedded store shares this thread, rather than being skipped or timed out; a hung shadow
          // is then judged after 10 s.
          createShadowModule({
            adapter: withTestLimits(next, {
              ...TEST_LIMITS,
              maxConcurrency: 8,
              timeoutMs: 10_000,
              retry: { ...TEST_LIMITS.retry, retries: 0 },
            }),
          }),
          createRecordsModule(),
        ],
        env: {
          SEAM_LEGACY_URL: erpSim.url,
          SEAM_LEGACY_POLL: 'false',
          SEAM_SHADOW_ADAPTER: 'acme-next',
          SEAM_SHADOW_URL: nextSim.url,
          SEAM_SHADOW_PAGE_SAMPLE: '100',
          SEAM_RATE_LIMIT_PER_MINUTE: '100000',
          SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: '1000000',
          LOG_LEVEL: 'warn',
        },
      });
      agent = bearer(await issueKey(store, ['read:accounts', 'read:items', 'read:orders'], 'shadow-agent'));
      admin = await issueHuman(store, { name: 'adam.admin', roles: ['admin'] });
    });
    after(async () => {
      await seam?.stop();
      await erpSim?.close();
      await nextSim?.close();
      await disposeTestStore(store);
    });

    const shadow = () => seam.ctx.services.shadow!;
    const live = (path: string) => call(seam.url, 'GET', `${path}?consistency=live`, { headers: agent });
    const diffs = async (query = '') => {
      const r = await call(seam.url, 'GET', `/v1/shadow/diffs${query}`, { headers: admin.headers });
      assert.equal(r.status, 200, r.text);
      return (r.body as Page).items;
    };
    const summary = async () =>
      (await call(seam.url, 'GET', '/v1/shadow/summary', { headers: admin.headers }))
        .body as ShadowSummary & {
        shadow: { adapter: string; resources: string[] } | null;
      };
    const counts = async (resource: string) =>
      (await summary()).resources.find((r) => r.resource === resource)!;

    it('when both systems agree, a poll and live reads are compared and nothing is recorded as different', async () => {
      const poll = await seam.ctx.services.recordPoller!.runOnce('erp', 'accounts');
      assert.equal(poll.created, 50);
      for (const id of ['4471', '1375']) assert.equal((await live(`/v1/accounts/${id}`)).status, 200);
      assert.equal((await live('/v1/orders/100200')).status, 200);
      await shadow().idle();
      const s = await summary();
      assert.deepEqual(s.shadow?.resources, ['accounts', 'items', 'orders']);
      const accounts = s.resources.find((r) => r.resource === 'accounts')!;
      assert.equal(accounts.compared, 52, 'every record of the page (sample 100) and both single reads');
      assert.deepEqual([accounts.same, accounts.different, accounts.errors], [52, 0, 0]);
      assert.equal(s.resources.find((r) => r.resource === 'orders')?.same, 1);
      assert.deepEqual(await diffs('?state=all'), []);
    });

    it('a record that differs: agents get the ERP’s value, the difference is recorded with both values', async () => {
      const before = nextSim.data.accounts.get('004471')!;
      nextSim.data.updateAccount('004471', {
        creditLimit: { amountCents: before.creditLimit.amountCents + 100_000 },
        updatedAt: before.updatedAt,
      });
      const r = await live('/v1/accounts/004471');
      assert.equal(r.status, 200);
      assert.equal(
        (r.body as { data: { creditLimit: string } }).data.creditLimit,
        '15000.00',
        'the ERP’s answer',
      );
      await shadow().idle();
      const open = await diffs();
      assert.equal(open.length, 1, JSON.stringify(open));
      assert.deepEqual(
        (({
          system,
          resource,
          key,
          kind,
          field,
          primary,
          shadow,
          redacted,
          via,
          occurrences,
          resolvedAt,
        }) => ({
          system,
          resource,
          key,
          kind,
          field,
          primary,
          shadow,
          redacted,
          via,
          occurrences,
          resolvedAt,
        }))(open[0]!),
        {
          system: 'erp',
          resource: 'accounts',
          key: '004471',
          kind: 'field',
          field: 'creditLimit',
          primary: '15000.00',
          shadow: '16000.00',
          redacted: false,
          via: 'one',
          occurrences: 1,
          resolvedAt: null,
        },
      );
      // Seen again: the same difference counts up, it does not pile up rows.
      await live('/v1/accounts/004471');
      await shadow().idle();
      assert.deepEqual(
        (await diffs()).map((d) => [d.field, d.occurrences]),
        [['creditLimit', 2]],
      );
      const field = (await summary()).fields.find((f) => f.field === 'creditLimit')!;
      assert.deepEqual([field.open, field.records, field.occurrences], [1, 1, 2]);
      assert.equal((await counts('accounts')).recordsDifferingNow, 1);
    });

    it('fixed in the replacement, the difference is resolved by the next comparison', async () => {
      const cur = nextSim.data.accounts.get('004471')!;
      nextSim.data.updateAccount('004471', {
        creditLimit: { amountCents: cur.creditLimit.amountCents - 100_000 },
        updatedAt: cur.updatedAt,
      });
      await live('/v1/accounts/004471');
      await shadow().idle();
      assert.deepEqual(await diffs(), [], 'nothing open');
      const resolved = await diffs('?state=resolved&resource=accounts');
      assert.deepEqual(
        resolved.map((d) => [d.field, typeof d.resolvedAt]),
        [['creditLimit', 'string']],
      );
      assert.equal((await counts('accounts')).recordsDifferingNow, 0);
    });

    it('personal data differs: recorded as hashes, never the values', async () => {
      const cur = nextSim.data.accounts.get('004471')!;
      nextSim.data.updateAccount('004471', {
        contact: { email: 'changed.address@example.org' },
        updatedAt: cur.updatedAt,
      });
      const r = await live('/v1/accounts/004471');
      assert.equal(r.status, 200);
      await shadow().idle();
      const [d] = await diffs('?field=email');
      assert.equal(d?.redacted, true);
      assert.match(String(d?.primary), /^sha256:[0-9a-f]{16}$/);
      assert.match(String(d?.shadow), /^sha256:[0-9a-f]{16}$/);
      assert.notEqual(d?.primary, d?.shadow);
      const text = (await call(seam.url, 'GET', '/v1/shadow/diffs?state=all', { headers: admin.headers }))
        .text;
      assert.doesNotMatch(text, /changed\.address/);
      assert.doesNotMatch(text, /northwind/i, 'nor the ERP’s address');
    });

    it('records on one side only: missing in the replacement, or only in the replacement', async () => {
      nextSim.data.accounts.delete('001375');
      assert.equal((await live('/v1/accounts/1375')).status, 200, 'agents still get the ERP’s record');
      const extra = structuredClone(nextSim.data.accounts.get('004471')!);
      nextSim.data.accounts.set('009999', { ...extra, id: '009999' });
      assert.equal((await live('/v1/accounts/9999')).status, 404, 'the ERP has no such account: 404 as ever');
      await shadow().idle();
      assert.deepEqual(
        (await diffs('?resource=accounts')).filter((d) => d.kind !== 'field').map((d) => [d.key, d.kind]),
        [
          ['009999', 'extra'],
          ['001375', 'missing'],
        ],
      );
    });

    it('a page (poll) is compared record by record: a changed item shows up as a page difference', async () => {
      const item = nextSim.data.items.get('BEA-1727')!;
      nextSim.data.updateItem('BEA-1727', {
        stock: { onHand: item.stock.onHand + 5 },
        updatedAt: item.updatedAt,
      });
      const poll = await seam.ctx.services.recordPoller!.runOnce('erp', 'items');
      assert.equal(poll.outcome, 'ok');
      await shadow().idle();
      const [d] = await diffs('?resource=items');
      assert.deepEqual(
        [d?.key, d?.field, d?.primary, d?.shadow, d?.via],
        ['BEA-1727', 'onHand', 307, 312, 'page'],
      );
      const items = await counts('items');
      assert.deepEqual([items.compared, items.different], [50, 1]);
    });

    it('the replacement failing never reaches agents: the answer comes first, the failure is recorded', async () => {
      nextSim.setMode('hang');
      const seenBefore = nextSim.stats().total;
      const comparedBefore = (await counts('orders')).compared;
      const r = await live('/v1/orders/100207');
      assert.equal(r.status, 200, 'the ERP answered while the replacement hangs');
      assert.ok(nextSim.stats().total > seenBefore, 'the replacement was asked');
      assert.equal((await counts('orders')).compared, comparedBefore, 'its answer is not in yet');
      await shadow().idle();
      nextSim.setMode('normal');
      const [d] = await diffs('?resource=orders&kind=error');
      assert.deepEqual([d?.key, d?.detail], ['100207', 'legacy_timeout']);
      assert.equal((await counts('orders')).errors, 1);
    });

    it('who may see the evidence: admins, auditors and keys with read:shadow; not agents or operators', async () => {
      const auditor = await issueHuman(store, { name: 'aud.itor', roles: ['auditor'] });
      const operator = await issueHuman(store, { name: 'op.erator', roles: ['operator'] });
      const reader = bearer(await issueKey(store, ['read:shadow'], 'cutover-report'));
      for (const [who, headers, status] of [
        ['agent', agent, 403],
        ['operator', operator.headers, 403],
        ['auditor', auditor.headers, 200],
        ['read:shadow key', reader, 200],
      ] as const) {
        for (const path of ['/v1/shadow/diffs', '/v1/shadow/summary'])
          assert.equal((await call(seam.url, 'GET', path, { headers })).status, status, `${who} ${path}`);
      }
      assert.equal((await call(seam.url, 'GET', '/v1/shadow/diffs')).status, 401);
    });

    it('pages of differences: newest first, with a cursor', async () => {
      const all = await diffs('?state=all&limit=500');
      assert.ok(all.length >= 5, String(all.length));
      const first = await call(seam.url, 'GET', '/v1/shadow/diffs?state=all&limit=2', {
        headers: admin.headers,
      });
      const p1 = first.body as Page;
      assert.deepEqual(
        p1.items.map((d) => d.id),
        all.slice(0, 2).map((d) => d.id),
      );
      const p2 = (
        await call(seam.url, 'GET', `/v1/shadow/diffs?state=all&limit=2&cursor=${p1.nextCursor}`, {
          headers: admin.headers,
        })
      ).body as Page;
      assert.deepEqual(
        p2.items.map((d) => d.id),
        all.slice(2, 4).map((d) => d.id),
      );
    });
  });
}
