import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ErpSimulator } from '../adapters/acme-erp/simulator/index.ts';
import { getRecord, upsertRecord } from '../src/records/repo.ts';
import type { Store } from '../src/store/types.ts';
import { ALL_READ, startFacade, startSim } from './helpers/erp.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

type Body = Record<string, unknown>;
interface Envelope {
  id: string;
  version: number | null;
  data: Record<string, unknown>;
  source: string;
  origin: string;
  as_of: string;
  stale: boolean;
  stale_reason?: string;
}
interface Page {
  items: Envelope[];
  next_cursor: string | null;
  source: string;
  as_of: string | null;
  stale: boolean;
}

for (const target of storeTargets()) {
  describe(`the read facade on ${target.kind}`, () => {
    let store: Store;
    let sim: ErpSimulator;
    let svc: TestService;
    let reader: string;
    const get = async (path: string, key = reader) => {
      const r = await call(svc.url, 'GET', path, { headers: bearer(key) });
      return { ...r, body: r.body as Body };
    };
    const events = async (subject: string) =>
      (
        await store.query<{ type: string; data: Body }>(
          'SELECT type, data FROM events WHERE subject = $1 ORDER BY position',
          [subject],
        )
      ).rows;

    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      sim = await startSim();
      svc = await startFacade(store, sim);
      reader = await issueKey(store, ALL_READ);
      // Fill the store the way the scheduled poll does.
      const polled = await svc.ctx.services.recordPoller!.runOnce('erp', 'accounts');
      assert.equal(polled.outcome, 'ok');
      assert.equal(polled.created, 50);
      sim.resetStats();
    });
    afterEach(() => sim.resetStats());
    after(async () => {
      await svc.stop();
      await sim.close();
      await disposeTestStore(store);
    });

    it('serves stored records with source, as_of and stale, without calling the box', async () => {
      const r = await get('/v1/accounts/004471');
      assert.equal(r.status, 200);
      const e = r.body as unknown as Envelope;
      assert.equal(e.source, 'store');
      assert.equal(e.origin, 'soap');
      assert.equal(e.stale, false);
      assert.match(e.as_of, /^\d{4}-\d\d-\d\dT/);
      assert.equal(e.data.accountNumber, '004471');
      assert.equal(e.data.creditLimit, '15000.00');
      assert.equal((await get('/v1/accounts/4471')).body.id, '004471', 'the key is normalised');
      assert.equal(sim.stats().total, 0);
    });

    it('enforces read:<resource> per resource', async () => {
      assert.equal((await call(svc.url, 'GET', '/v1/accounts/004471')).status, 401);
      const itemsOnly = await issueKey(store, ['read:items']);
      assert.equal((await get('/v1/accounts/004471', itemsOnly)).status, 403);
      assert.equal((await get('/v1/accounts', itemsOnly)).status, 403);
      assert.equal((await get('/v1/items?limit=1', itemsOnly)).status, 200);
      assert.equal(
        (await get('/v1/systems', itemsOnly)).status,
        200,
        'any reader may see the scope documents',
      );
      const nothing = await issueKey(store, ['events:read']);
      assert.equal((await get('/v1/systems', nothing)).status, 403);
    });

    it('redacts sensitive fields unless the key holds pii:<field>', async () => {
      const plain = (await get('/v1/accounts/004471')).body as unknown as Envelope;
      assert.equal(plain.data.email, '[REDACTED]');
      assert.equal(plain.data.phone, '[REDACTED]');
      const emailKey = await issueKey(store, ['read:accounts', 'pii:email']);
      const some = (await get('/v1/accounts/004471', emailKey)).body as unknown as Envelope;
      assert.equal(some.data.email, 'ap@northwind-trading.example.co.uk');
      assert.equal(some.data.phone, '[REDACTED]');
      const allKey = await issueKey(store, ['read:accounts', 'pii:*']);
      const list = (await get('/v1/accounts?limit=50', allKey)).body as unknown as Page;
      assert.ok(list.items.some((i) => typeof i.data.phone === 'string' && i.data.phone !== '[REDACTED]'));
      const redactedList = (await get('/v1/accounts?limit=50')).body as unknown as Page;
      assert.ok(redactedList.items.every((i) => i.data.email === null || i.data.email === '[REDACTED]'));
      sim.resetStats();
      const live = (await get('/v1/accounts/004471?consistency=live')).body as unknown as Envelope;
      assert.equal(live.source, 'live');
      assert.equal(live.data.email, '[REDACTED]', 'live answers are redacted too');
    });

    it('pages through every record with an opaque cursor; limit is capped', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r = await get(`/v1/accounts?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(r.status, 200);
        const p = r.body as unknown as Page;
        assert.ok(p.items.length <= 7);
        seen.push(...p.items.map((i) => i.id));
        cursor = p.next_cursor;
        pages++;
      } while (cursor && pages < 20);
      assert.equal(seen.length, 50);
      assert.equal(new Set(seen).size, 50, 'no record twice');
      assert.equal(pages, 8);
      const tooMany = await get('/v1/accounts?limit=100000');
      assert.equal(tooMany.status, 400);
      const bad = await get('/v1/accounts?cursor=not-a-cursor');
      assert.equal(bad.status, 400);
      const dflt = (await get('/v1/accounts')).body as unknown as Page;
      assert.equal(dflt.items.length, 50);
    });

    it('filters on declared fields only', async () => {
      const held = (await get('/v1/accounts?status=HOLD&limit=50')).body as unknown as Page;
      const expected = [...sim.data.accounts.values()].filter((a) => a.ACCT_STAT === 'H').length;
      assert.ok(expected > 0);
      assert.equal(held.items.length, expected);
      assert.ok(held.items.every((i) => i.data.status === 'HOLD'));
      const both = (await get('/v1/accounts?status=ACTIVE&currency=EUR')).body as unknown as Page;
      assert.ok(both.items.every((i) => i.data.status === 'ACTIVE' && i.data.currency === 'EUR'));
      const notDeclared = await get('/v1/accounts?email=x@example.com');
      assert.equal(notDeclared.status, 400, 'filtering on a sensitive, undeclared field is refused');
      const live = await get('/v1/accounts?consistency=live');
      assert.equal(live.status, 400, 'lists are served from the store');
    });

    it('marks stored records stale once older than the resource allows', async () => {
      await upsertRecord(store, {
        system: 'erp',
        resource: 'orders',
        key: '900001',
        data: { orderNumber: '900001' },
        source: 'feed',
        asOf: new Date(Date.now() - 2 * 3600_000),
      });
      const r = (await get('/v1/orders/900001')).body as unknown as Envelope;
      assert.equal(r.source, 'store');
      assert.equal(r.origin, 'feed');
      assert.equal(r.stale, true);
      assert.equal(r.stale_reason, 'age');
    });

    it('a live read that finds a change stores it and appends its event in the same transaction', async () => {
      const before = await getRecord(store, 'erp', 'accounts', '001375');
      assert.ok(before);
      const original = { ...sim.data.accounts.get('001375')! };
      try {
        sim.data.updateAccount('001375', { ACCT_STAT: 'H', CR_LIMIT: '0000000500.00' });
        const r = (await get('/v1/accounts/001375?consistency=live')).body as unknown as Envelope;
        assert.equal(r.source, 'live');
        assert.equal(r.data.status, 'HOLD');
        assert.equal(r.version, before.version + 1);
        const stored = await getRecord(store, 'erp', 'accounts', '001375');
        assert.equal(stored?.data.status, 'HOLD');
        const evs = await events('accounts/001375');
        assert.equal(evs.length, 2, 'created by the poll, updated by the live read');
        assert.equal(evs[1]!.type, 'erp.account.updated');
        const changes = evs[1]!.data.changes as Record<string, { before: unknown; after: unknown }>;
        assert.deepEqual(changes.status, { before: 'ACTIVE', after: 'HOLD' });
        assert.deepEqual(changes.creditLimit, { before: before.data.creditLimit, after: '500.00' });
        // Reading again finds nothing new: no write, no event.
        await get('/v1/accounts/001375?consistency=live');
        assert.equal((await events('accounts/001375')).length, 2);
        assert.equal((await getRecord(store, 'erp', 'accounts', '001375'))?.version, before.version + 1);
      } finally {
        sim.data.updateAccount('001375', original);
      }
    });

    it('a record the store lacks is read through live and kept', async () => {
      assert.equal(await getRecord(store, 'erp', 'orders', '100200'), undefined);
      const r = (await get('/v1/orders/100200')).body as unknown as Envelope;
      assert.equal(r.source, 'live');
      assert.equal((r.data.lines as unknown[]).length > 0, true);
      assert.equal(sim.stats().calls.GetOrder, 1);
      const again = (await get('/v1/orders/100200')).body as unknown as Envelope;
      assert.equal(again.source, 'store');
      assert.equal(sim.stats().calls.GetOrder, 1);
      assert.equal((await events('orders/100200'))[0]?.type, 'erp.order.created');
    });

    it('polls only what changed since the last run, and drops rows that fail their schema', async () => {
      const poller = svc.ctx.services.recordPoller!;
      // The high-water mark is the start of the last run; back-date it past the overlap window so
      // this run asks only for what the box stamps from now on.
      await store.query(
        "UPDATE record_polls SET changed_since = now() + interval '5 minutes' WHERE system = 'erp' AND resource = 'accounts'",
      );
      const original = { ...sim.data.accounts.get('002673')! };
      const bad = { ...sim.data.accounts.get('002813')! };
      try {
        sim.data.updateAccount('002673', { ACCT_NAME: 'KESTREL LOGISTICS (NEW NAME)'.padEnd(40) });
        sim.data.updateAccount('002813', { CUR_BAL: 'ERROR!' });
        // Stamp both a little in the future so they fall after the mark.
        const future = sim.data.now().slice(0, 8) + '235959';
        sim.data.updateAccount('002673', { LAST_UPD: future });
        sim.data.updateAccount('002813', { LAST_UPD: future });
        sim.resetStats();
        const out = await poller.runOnce('erp', 'accounts');
        assert.equal(out.outcome, 'ok');
        assert.equal(out.updated, 1);
        assert.equal(out.rejected, 1);
        assert.equal(sim.stats().calls.ListAccounts, 1, 'one page of changes');
        assert.equal(
          (await getRecord(store, 'erp', 'accounts', '002673'))?.data.name,
          'KESTREL LOGISTICS (NEW NAME)',
        );
        assert.notEqual((await getRecord(store, 'erp', 'accounts', '002813'))?.data.balance, 'ERROR!');
      } finally {
        sim.data.updateAccount('002673', original);
        sim.data.updateAccount('002813', bad);
      }
    });

    it('a poll another process holds is skipped', async () => {
      await store.query(
        "UPDATE record_polls SET leased_by = 'other:1', lease_until = now() + interval '1 minute' WHERE resource = 'accounts'",
      );
      const out = await svc.ctx.services.recordPoller!.runOnce('erp', 'accounts');
      assert.equal(out.outcome, 'skipped_leased');
      await store.query(
        "UPDATE record_polls SET leased_by = NULL, lease_until = NULL WHERE resource = 'accounts'",
      );
    });

    it('GET /v1/systems gives each system’s scope document and legacy state', async () => {
      const r = await get('/v1/systems');
      const s = (r.body.systems as Body[])[0]!;
      assert.equal(s.system, 'erp');
      assert.equal(s.title, 'ACME ERP (2009)');
      const scope = s.scope as Record<string, string>;
      assert.ok(scope.systemOfRecord && scope.readScope && scope.writeScope && scope.escalation);
      const resources = s.resources as { name: string; sensitive: string[] }[];
      assert.deepEqual(
        resources.map((x) => x.name),
        ['accounts', 'items', 'orders'],
      );
      assert.deepEqual(resources[0]!.sensitive, ['email', 'phone']);
      assert.deepEqual(s.legacy, {
        endpoint: 'configured',
        breaker: 'closed',
        maintenance: { active: false, until: null },
      });
    });

    it('documents every resource route in OpenAPI with its record schema', async () => {
      const doc = (await call(svc.url, 'GET', '/openapi.json')).body as {
        paths: Record<string, unknown>;
        components: { schemas: Record<string, unknown> };
      };
      for (const p of [
        '/v1/systems',
        '/v1/accounts',
        '/v1/accounts/{id}',
        '/v1/items/{id}',
        '/v1/orders/{id}',
      ])
        assert.ok(doc.paths[p], p);
      assert.ok(doc.components.schemas.Account);
      assert.ok(doc.components.schemas.AccountEnvelope);
    });
  });
}
