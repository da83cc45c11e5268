import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { accessModule } from '../src/access/module.ts';
import { auditModule } from '../src/audit/module.ts';
import type { Api } from '../src/http/route.ts';
import type { Store } from '../src/store/types.ts';
import { issueHuman } from './helpers/humans.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const routes = (api: Api) => {
  api.add({
    method: 'get',
    path: '/test/items',
    summary: 'agent read',
    tags: ['test'],
    access: { scope: 'read:items' },
    query: z.object({}),
    responses: { 200: { description: 'ok' } },
    handler: () => ({ ok: true }),
  });
};

const code = (r: { body: unknown }) => (r.body as { code?: string }).code;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

for (const target of storeTargets()) {
  describe(`kill switch on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    let admin: { headers: Record<string, string> };
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, { modules: [auditModule, accessModule], extraRoutes: routes });
      admin = await issueHuman(store, { name: 'kill-admin', roles: ['admin'] });
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });
    const read = (key: string) => call(svc.url, 'GET', '/test/items', { headers: bearer(key) });

    it('suspends one agent by name (all its keys), then all agents, and an admin lifts it', async () => {
      const bad1 = await issueKey(store, ['read:items'], 'rogue-bot');
      const bad2 = await issueKey(store, ['read:items'], 'rogue-bot');
      const good = await issueKey(store, ['read:items'], 'good-bot');
      const operator = await issueHuman(store, { roles: ['operator'] });
      assert.equal(
        (await call(svc.url, 'POST', '/v1/admin/kill', { headers: operator.headers, body: {} })).status,
        403,
        'only admins kill',
      );

      const k = await call(svc.url, 'POST', '/v1/admin/kill', {
        headers: admin.headers,
        body: { agent: 'rogue-bot', reason: 'looping' },
      });
      assert.equal(k.status, 200, k.text);
      for (const key of [bad1, bad2]) {
        const r = await read(key);
        assert.equal(r.status, 403);
        assert.equal(code(r), 'agent_access_suspended');
        assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
      assert.equal((await read(good)).status, 200);

      assert.equal((await call(svc.url, 'POST', '/v1/admin/kill', { headers: admin.headers })).status, 200);
      assert.equal(code(await read(good)), 'agent_access_suspended');
      // Humans keep working so the kill can be undone.
      assert.equal((await call(svc.url, 'GET', '/v1/admin/kill', { headers: admin.headers })).status, 200);

      const off = await call(svc.url, 'DELETE', '/v1/admin/kill', { headers: admin.headers });
      assert.deepEqual((off.body as { suspensions: unknown[] }).suspensions, []);
      assert.equal((await read(good)).status, 200);
      assert.equal((await read(bad1)).status, 200);

      await call(svc.url, 'POST', '/v1/admin/kill', { headers: admin.headers, body: { agent: 'good-bot' } });
      assert.equal((await read(good)).status, 403);
      await call(svc.url, 'POST', '/v1/admin/unkill', {
        headers: admin.headers,
        body: { agent: 'good-bot' },
      });
      assert.equal((await read(good)).status, 200);

      const unknown = await call(svc.url, 'POST', '/v1/admin/kill', {
        headers: admin.headers,
        body: { agent: 'no-such' },
      });
      assert.equal(unknown.status, 404);

      await svc.ctx.services.audit!.flush();
      const a = await store.query<{ action: string; actor_name: string; records: string[] }>(
        "SELECT action, actor_name, records FROM audit_log WHERE action LIKE 'kill.%' ORDER BY seq",
      );
      assert.deepEqual(
        a.rows.map((r) => [r.action, r.records.join(' ')]),
        [
          ['kill.on', 'agents/rogue-bot'],
          ['kill.on', 'agents/*'],
          ['kill.off', 'agents/*'],
          ['kill.on', 'agents/good-bot'],
          ['kill.off', 'agents/good-bot'],
        ],
      );
      assert.ok(a.rows.every((r) => r.actor_name === 'kill-admin'));
      const denied = await store.query("SELECT 1 FROM audit_log WHERE reason = 'agent_access_suspended'");
      assert.ok(denied.rowCount >= 3, 'refused requests are recorded too');
    });
  });
}

for (const target of storeTargets().filter((t) => t.kind === 'postgres')) {
  describe('kill switch across two service instances on one PostgreSQL schema', () => {
    let a: Store;
    let b: Store;
    let svcA: TestService;
    let svcB: TestService;
    before(async () => {
      a = await openTestStore(target, import.meta.filename);
      b = await openTestStore(target, import.meta.filename, { schema: a.schema, migrate: false });
      svcA = await startTestService(a, { modules: [auditModule, accessModule], extraRoutes: routes });
      svcB = await startTestService(b, { modules: [auditModule, accessModule], extraRoutes: routes });
    });
    after(async () => {
      await svcA.stop();
      await svcB.stop();
      await b.close();
      await disposeTestStore(a);
    });

    it('a kill made through one instance is honoured by the other within one second, and so is the undo', async () => {
      const admin = await issueHuman(a, { roles: ['admin'] });
      const key = await issueKey(a, ['read:items'], 'shared-bot');
      // B has looked at the kill state (cached as "nobody killed") before the kill.
      assert.equal((await call(svcB.url, 'GET', '/test/items', { headers: bearer(key) })).status, 200);
      const k = await call(svcA.url, 'POST', '/v1/admin/kill', { headers: admin.headers, body: {} });
      assert.equal(k.status, 200);
      await sleep(1000);
      const r = await call(svcB.url, 'GET', '/test/items', { headers: bearer(key) });
      assert.equal(r.status, 403);
      assert.equal(code(r), 'agent_access_suspended');

      await call(svcA.url, 'DELETE', '/v1/admin/kill', { headers: admin.headers });
      await sleep(1000);
      assert.equal((await call(svcB.url, 'GET', '/test/items', { headers: bearer(key) })).status, 200);
    });
  });
}
