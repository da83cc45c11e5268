import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accessModule } from '../src/access/module.ts';
import { auditModule } from '../src/audit/module.ts';
import { createEventsModule } from '../src/events/module.ts';
import type { SeamEvent } from '../src/events/types.ts';
import type { Store } from '../src/store/types.ts';
import { accountEvent, append, EVENTS_TEST_ENV, itemEvent, proposalEvent, until } from './helpers/events.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

interface Page {
  events: SeamEvent[];
  next: number;
  head: number;
  oldest: number;
}

const SENSITIVE: Record<string, string[]> = { 'erp/accounts': ['email', 'phone'], 'erp/items': [] };

for (const target of storeTargets()) {
  describe(`event feed on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    let reader: string;
    let piiReader: string;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, {
        env: EVENTS_TEST_ENV,
        modules: [
          auditModule,
          accessModule,
          createEventsModule({ sensitiveFields: (system, resource) => SENSITIVE[`${system}/${resource}`] }),
        ],
      });
      reader = await issueKey(store, ['events:read']);
      piiReader = await issueKey(store, ['events:read', 'pii:email']);
    });
    after(async () => {
      await svc?.stop();
      await disposeTestStore(store);
    });

    const get = async (query: string, key = reader) => {
      const r = await call(svc.url, 'GET', `/v1/events${query}`, { headers: bearer(key) });
      assert.equal(r.status, 200, r.text);
      return { ...(r.body as Page), headers: r.headers };
    };

    it('pages through every event in position order, with filters', async () => {
      await append(store, [accountEvent('0001'), accountEvent('0002'), itemEvent('A-1')]);
      await append(store, [proposalEvent('p1', 'approved'), accountEvent('0010'), itemEvent('A-2')]);
      await append(store, [proposalEvent('p1', 'executed'), accountEvent('0001')]);

      // Paging with limit: every event exactly once, in order, resuming from `next`.
      const seen: number[] = [];
      let afterPos = 0;
      for (let i = 0; i < 10; i++) {
        const page = await get(`?after=${afterPos}&limit=3`);
        if (page.events.length === 0) break;
        assert.ok(page.events.length <= 3);
        seen.push(...page.events.map((e) => e.position));
        afterPos = page.next;
      }
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8]);

      const all = await get('');
      assert.equal(all.head, 8);
      assert.equal(all.oldest, 1);
      assert.equal(all.headers.get('seam-oldest-position'), '1');
      assert.equal(all.headers.get('seam-head-position'), '8');
      const e = all.events[0]!;
      assert.equal(e.specversion, '1.0');
      assert.equal(e.type, 'erp.account.updated');
      assert.equal(e.subject, 'accounts/0001');
      assert.equal(e.source, 'erp/feeds/ACCOUNTS');
      assert.equal(e.datacontenttype, 'application/json');
      assert.match(e.id, /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(e.time)));

      const accounts = await get('?types=erp.account.*');
      assert.deepEqual(
        accounts.events.map((x) => x.position),
        [1, 2, 5, 8],
      );
      const two = await get('?types=erp.account.*,seam.proposal.*');
      assert.deepEqual(
        two.events.map((x) => x.position),
        [1, 2, 4, 5, 7, 8],
      );
      const repeated = await get('?types=erp.item.*&types=seam.proposal.executed');
      assert.deepEqual(
        repeated.events.map((x) => x.position),
        [3, 6, 7],
      );
      const oneChar = await get('?types=seam.proposal.ap?roved');
      assert.deepEqual(
        oneChar.events.map((x) => x.position),
        [4],
      );
      const subject = await get('?subject=accounts/000');
      assert.deepEqual(
        subject.events.map((x) => x.subject),
        ['accounts/0001', 'accounts/0002', 'accounts/0001'],
      );
      const both = await get('?subject=accounts/0001&types=erp.account.updated&after=1');
      assert.deepEqual(
        both.events.map((x) => x.position),
        [8],
      );
      // A filter that matches nothing still moves `next` to the head: nothing is rescanned.
      const none = await get('?types=nothing.*');
      assert.deepEqual(none.events, []);
      assert.equal(none.next, 8);
    });

    it('refuses malformed filters and parameters with problem+json', async () => {
      for (const q of ['?types=erp.%25', '?after=-1', '?limit=0', '?limit=1001', '?wait=31']) {
        const r = await call(svc.url, 'GET', `/v1/events${q}`, { headers: bearer(reader) });
        assert.equal(r.status, 400, `${q}: ${r.text}`);
        assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
    });

    it('long-poll returns as soon as a matching event commits, not on a non-matching one', async () => {
      const { head } = await get('?limit=1');
      const hub = svc.ctx.services.events!.hub;
      const pending = call(svc.url, 'GET', `/v1/events?after=${head}&types=erp.account.*&wait=30`, {
        headers: bearer(reader),
      });
      await until(() => hub.waiting === 1, 'the long-poll to wait');
      // A non-matching event wakes the waiter, which reads, finds nothing for it, and waits again.
      const [skipped] = await append(store, [itemEvent('B-1')]);
      await until(() => hub.head === skipped && hub.waiting === 1, 'the long-poll to wait again');
      const [wanted] = await append(store, [accountEvent('0042')]);
      const r = await pending;
      assert.equal(r.status, 200);
      const page = r.body as Page;
      assert.deepEqual(
        page.events.map((e) => [e.position, e.subject]),
        [[wanted, 'accounts/0042']],
      );
      assert.equal(page.next, wanted);
    });

    it('long-poll ends empty when the wait runs out', async () => {
      const { head } = await get('?limit=1');
      const page = await get(`?after=${head}&wait=0.3`);
      assert.deepEqual(page.events, []);
      assert.equal(page.next, head);
      assert.equal(page.head, head);
    });

    it('masks personal fields in records, changes and before unless the key holds pii:<field>', async () => {
      const [pos] = await append(store, [
        {
          source: 'erp/soap',
          type: 'erp.account.updated',
          subject: 'accounts/0777',
          data: {
            system: 'erp',
            resource: 'accounts',
            key: '0777',
            changes: {
              email: { before: 'old@example.com', after: 'new@example.com' },
              creditLimit: { before: '100.00', after: '200.00' },
            },
            record: { accountNumber: '0777', name: 'Muster AG', email: 'new@example.com', phone: '+41 1' },
            before: { accountNumber: '0777', name: 'Muster AG', email: 'old@example.com', phone: '+41 1' },
          },
          aggregateType: 'accounts',
          aggregateId: '0777',
        },
        {
          source: 'other/soap',
          type: 'other.thing.created',
          subject: 'things/1',
          data: { system: 'other', resource: 'things', key: '1', record: { secret: 'x' } },
          aggregateType: 'things',
          aggregateId: '1',
        },
      ]);
      const plain = (await get(`?after=${pos! - 1}&limit=2`)).events;
      const d = plain[0]!.data as Record<string, Record<string, unknown>>;
      assert.equal(d.record!.email, '[REDACTED]');
      assert.equal(d.record!.phone, '[REDACTED]');
      assert.equal(d.record!.name, 'Muster AG');
      assert.equal(d.before!.email, '[REDACTED]');
      assert.deepEqual(d.changes!.email, { before: '[REDACTED]', after: '[REDACTED]' });
      assert.deepEqual(d.changes!.creditLimit, { before: '100.00', after: '200.00' });
      // A resource the adapters do not describe: its record is withheld whole (fail closed).
      assert.equal(plain[1]!.data.record, '[REDACTED]');

      const pii = (await get(`?after=${pos! - 1}&limit=1`, piiReader)).events;
      const p = pii[0]!.data as Record<string, Record<string, unknown>>;
      assert.equal(p.record!.email, 'new@example.com');
      assert.equal(p.record!.phone, '[REDACTED]');
      assert.deepEqual(p.changes!.email, { before: 'old@example.com', after: 'new@example.com' });
    });

    it('refuses callers without a key (401) or without events:read (403)', async () => {
      const anon = await call(svc.url, 'GET', '/v1/events');
      assert.equal(anon.status, 401);
      assert.match(anon.headers.get('content-type') ?? '', /application\/problem\+json/);
      const other = await issueKey(store, ['read:accounts', 'events:subscribe']);
      const wrong = await call(svc.url, 'GET', '/v1/events', { headers: bearer(other) });
      assert.equal(wrong.status, 403);
      const stream = await call(svc.url, 'GET', '/v1/events/stream', { headers: bearer(other) });
      assert.equal(stream.status, 403);
      const hooks = await call(svc.url, 'GET', '/v1/webhooks', { headers: bearer(reader) });
      assert.equal(hooks.status, 403, 'events:read does not allow webhooks');
      const hooksAnon = await call(svc.url, 'POST', '/v1/webhooks', { body: { url: 'http://x' } });
      assert.equal(hooksAnon.status, 401);
    });
  });
}

for (const target of storeTargets().slice(-1)) {
  describe(`event redaction from the adapter registry on ${target.kind}`, () => {
    it('takes sensitive fields from the loaded adapters (the demo ERP: accounts.email, accounts.phone)', async () => {
      const store = await openTestStore(target, import.meta.filename);
      const svc = await startTestService(store, { env: EVENTS_TEST_ENV });
      try {
        const key = await issueKey(store, ['events:read']);
        const [pos] = await append(store, [
          accountEvent('0001', { email: 'a@example.com', phone: '+41 1', name: 'A' }),
          itemEvent('A-1'),
        ]);
        const r = await call(svc.url, 'GET', `/v1/events?after=${pos! - 1}`, { headers: bearer(key) });
        const [account, item] = (r.body as Page).events;
        const rec = account!.data.record as Record<string, unknown>;
        assert.equal(rec.email, '[REDACTED]');
        assert.equal(rec.phone, '[REDACTED]');
        assert.equal(rec.name, 'A');
        assert.deepEqual(item!.data.record, { sku: 'A-1' }, 'items have no sensitive fields');
      } finally {
        await svc.stop();
        await disposeTestStore(store);
      }
    });
  });
}
