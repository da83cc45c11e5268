import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createKey } from '../src/access/keys.ts';
import { accessModule } from '../src/access/module.ts';
import { auditModule } from '../src/audit/module.ts';
import { touch } from '../src/audit/touch.ts';
import type { Api } from '../src/http/route.ts';
import type { Store } from '../src/store/types.ts';
import { issueHuman } from './helpers/humans.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const RECORDS: Record<string, Record<string, unknown>> = {
  accounts: { '004471': { name: 'Acme Widgets', creditLimit: '5000.00' } },
  items: { '9': { sku: 'W-9' } },
};

/** A generic read facade stand-in: the scope is derived from the resource in the path. */
const routes = (api: Api) => {
  api.add({
    method: 'get',
    path: '/test/records/:resource/:id',
    summary: 'read one record of any resource',
    tags: ['test'],
    access: { scope: (req) => `read:${String(req.params.resource)}` },
    params: z.object({ resource: z.string(), id: z.string() }),
    responses: { 200: { description: 'ok' } },
    handler: ({ params, req }) => {
      touch(req, `${params.resource}/${params.id}`);
      const r = RECORDS[params.resource]?.[params.id];
      if (!r) return { status: 'none' };
      return r;
    },
  });
};

for (const target of storeTargets()) {
  describe(`key lifecycle and admin routes on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    let admin: { headers: Record<string, string>; name: string };
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, { modules: [auditModule, accessModule], extraRoutes: routes });
      admin = await issueHuman(store, { name: 'root-admin', roles: ['admin'] });
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });
    const get = (key: string, path: string) => call(svc.url, 'GET', path, { headers: bearer(key) });

    it('creates keys with no scopes unless given (least privilege), shows the key once, stores only a hash', async () => {
      const r = await call(svc.url, 'POST', '/v1/admin/keys', {
        headers: admin.headers,
        body: { name: 'empty-bot' },
      });
      assert.equal(r.status, 201, r.text);
      const created = r.body as { key: string; id: string; scopes: string[] };
      assert.deepEqual(created.scopes, []);
      assert.equal((await get(created.key, '/test/records/items/9')).status, 403);
      const list = await call(svc.url, 'GET', '/v1/admin/keys', { headers: admin.headers });
      assert.ok(!list.text.includes(created.key), 'list never shows a key');
      const stored = await store.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE id = $1', [
        created.id,
      ]);
      assert.match(stored.rows[0]!.key_hash, /^[0-9a-f]{64}$/);
      const bad = await call(svc.url, 'POST', '/v1/admin/keys', {
        headers: admin.headers,
        body: { name: 'x', scopes: ['Read Everything'] },
      });
      assert.equal(bad.status, 400);
    });

    it('leaks nothing about another resource’s records: 403 with the same body whether the record exists or not', async () => {
      const key = await issueKey(store, ['read:items']);
      assert.equal((await get(key, '/test/records/items/9')).status, 200);
      const exists = await get(key, '/test/records/accounts/004471');
      const missing = await get(key, '/test/records/accounts/999999');
      assert.equal(exists.status, 403);
      assert.equal(missing.status, 403);
      assert.ok(!exists.text.includes('Acme') && !exists.text.includes('5000'));
      const strip = (b: unknown) => JSON.stringify({ ...(b as object), instance: undefined });
      assert.equal(strip(exists.body), strip(missing.body));
    });

    it('refuses expired keys with the same 401 as unknown ones', async () => {
      const { key } = await createKey(
        store,
        { name: 'old', scopes: ['read:items'], expiresAt: new Date(Date.now() - 1000) },
        't',
      );
      const r = await get(key, '/test/records/items/9');
      assert.equal(r.status, 401);
      assert.equal((r.body as { code: string }).code, 'unauthorized');
    });

    it('revokes a key at once, and records the change in the audit trail', async () => {
      const key = await issueKey(store, ['read:items'], 'revoke-me');
      assert.equal((await get(key, '/test/records/items/9')).status, 200);
      const r = await call(svc.url, 'POST', '/v1/admin/keys/revoke-me/revoke', { headers: admin.headers });
      assert.equal(r.status, 200);
      assert.equal((await get(key, '/test/records/items/9')).status, 401);
      await svc.ctx.services.audit!.flush();
      const a = await store.query<{ actor_name: string; action: string }>(
        "SELECT actor_name, action FROM audit_log WHERE action IN ('key.revoke', 'POST /v1/admin/keys/:key/revoke')",
      );
      assert.deepEqual(a.rows.map((x) => x.action).sort(), ['POST /v1/admin/keys/:key/revoke', 'key.revoke']);
      assert.ok(a.rows.every((x) => x.actor_name === 'root-admin'));
    });

    it('rotates: both keys work during the overlap, then only the new one', async () => {
      const oldKey = await issueKey(store, ['read:items'], 'rotating-bot');
      const r = await call(svc.url, 'POST', '/v1/admin/keys/rotating-bot/rotate', {
        headers: admin.headers,
        body: { overlapSeconds: 2 },
      });
      assert.equal(r.status, 200, r.text);
      const { key: newKey, info } = r.body as { key: string; info: { name: string; scopes: string[] } };
      assert.deepEqual(info.scopes, ['read:items']);
      assert.equal(info.name, 'rotating-bot');
      assert.equal((await get(oldKey, '/test/records/items/9')).status, 200);
      assert.equal((await get(newKey, '/test/records/items/9')).status, 200);
      // Wait out the overlap (and the 1 s resolver cache).
      const until = Date.parse((r.body as { old: { expiresAt: string }[] }).old[0]!.expiresAt);
      await new Promise((ok) => setTimeout(ok, Math.max(0, until - Date.now()) + 1100));
      assert.equal((await get(oldKey, '/test/records/items/9')).status, 401);
      assert.equal((await get(newKey, '/test/records/items/9')).status, 200);
    });

    it('manages humans: create, set roles, disable (which ends their sessions)', async () => {
      const created = await call(svc.url, 'POST', '/v1/admin/users', {
        headers: admin.headers,
        body: { name: 'olga', password: 'a long enough password', roles: ['operator'] },
      });
      assert.equal(created.status, 201, created.text);
      assert.ok(!created.text.includes('password'));
      const login = await call(svc.url, 'POST', '/v1/auth/login', {
        body: { name: 'olga', password: 'a long enough password' },
      });
      const olga = bearer((login.body as { token: string }).token);
      assert.equal((await call(svc.url, 'GET', '/v1/admin/users', { headers: olga })).status, 403);
      const roles = await call(svc.url, 'PUT', '/v1/admin/users/olga/roles', {
        headers: admin.headers,
        body: { roles: ['operator', 'admin'] },
      });
      assert.deepEqual((roles.body as { roles: string[] }).roles, ['operator', 'admin']);
      assert.equal((await call(svc.url, 'GET', '/v1/admin/users', { headers: olga })).status, 200);
      const dup = await call(svc.url, 'POST', '/v1/admin/users', {
        headers: admin.headers,
        body: { name: 'OLGA', password: 'a long enough password' },
      });
      assert.equal(dup.status, 409);
      assert.equal(
        (await call(svc.url, 'POST', '/v1/admin/users/olga/disable', { headers: admin.headers })).status,
        200,
      );
      assert.equal((await call(svc.url, 'GET', '/v1/auth/session', { headers: olga })).status, 401);
      const weak = await call(svc.url, 'POST', '/v1/admin/users', {
        headers: admin.headers,
        body: { name: 'pat', password: 'short' },
      });
      assert.equal(weak.status, 400);
    });
  });
}
