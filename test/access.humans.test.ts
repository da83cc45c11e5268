import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { accessModule } from '../src/access/module.ts';
import { createSession } from '../src/access/sessions.ts';
import { createUser, setUserDisabled } from '../src/access/users.ts';
import type { Api } from '../src/http/route.ts';
import type { Store } from '../src/store/types.ts';
import { issueHuman } from './helpers/humans.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const routes = (api: Api) => {
  api.add({
    method: 'post',
    path: '/test/approve',
    summary: 'approver-only action',
    tags: ['test'],
    access: { roles: ['approver'] },
    responses: { 200: { description: 'ok' } },
    handler: ({ principal }) => ({ by: principal?.name, kind: principal?.kind }),
  });
  api.add({
    method: 'get',
    path: '/test/accounts',
    summary: 'agent read',
    tags: ['test'],
    access: { scope: 'read:accounts' },
    query: z.object({}),
    responses: { 200: { description: 'ok' } },
    handler: () => ({ ok: true }),
  });
};

for (const target of storeTargets()) {
  describe(`humans and sessions on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, { modules: [accessModule], extraRoutes: routes });
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });

    it('issueHuman gives working headers for role rules, and names the human', async () => {
      const ana = await issueHuman(store, { name: 'ana', roles: ['approver'] });
      const r = await call(svc.url, 'POST', '/test/approve', { headers: ana.headers });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { by: 'ana', kind: 'human' });
      const again = await issueHuman(store, { name: 'ana', roles: ['operator'] });
      assert.equal(again.id, ana.id);
      const refused = await call(svc.url, 'POST', '/test/approve', { headers: again.headers });
      assert.equal(refused.status, 403, 'roles were replaced');
    });

    it('refuses a human without the role, an agent key on a human route, and a human on an agent route', async () => {
      const op = await issueHuman(store, { roles: ['operator'] });
      assert.equal((await call(svc.url, 'POST', '/test/approve', { headers: op.headers })).status, 403);
      const key = await issueKey(store, ['read:accounts']);
      const asAgent = await call(svc.url, 'POST', '/test/approve', { headers: bearer(key) });
      assert.equal(asAgent.status, 403);
      const admin = await issueHuman(store, { roles: ['admin'] });
      assert.equal((await call(svc.url, 'GET', '/test/accounts', { headers: admin.headers })).status, 403);
    });

    it('logs in with name and password, by bearer token or cookie, and logs out', async () => {
      await createUser(store, { name: 'Bea', password: 'correct horse battery', roles: ['approver'] }, 't');
      const r = await call(svc.url, 'POST', '/v1/auth/login', {
        body: { name: 'bea', password: 'correct horse battery' },
      });
      assert.equal(r.status, 200);
      const { token, user } = r.body as { token: string; user: { name: string; roles: string[] } };
      assert.match(token, /^seam_hs_[0-9A-Za-z]{38}$/);
      assert.deepEqual(user.roles, ['approver']);
      const cookie = r.headers.get('set-cookie') ?? '';
      assert.match(cookie, /seam_session=seam_hs_.*HttpOnly.*SameSite=Strict/);

      const me = await call(svc.url, 'GET', '/v1/auth/session', { headers: bearer(token) });
      assert.equal(me.status, 200);
      assert.equal((me.body as { name: string }).name, 'Bea');
      const byCookie = await call(svc.url, 'POST', '/test/approve', {
        headers: { cookie: `other=1; seam_session=${token}` },
      });
      assert.equal(byCookie.status, 200);

      const stored = await store.query<{ token_hash: string }>('SELECT token_hash FROM user_sessions');
      assert.ok(stored.rows.every((s) => s.token_hash !== token && /^[0-9a-f]{64}$/.test(s.token_hash)));

      assert.equal((await call(svc.url, 'POST', '/v1/auth/logout', { headers: bearer(token) })).status, 204);
      assert.equal((await call(svc.url, 'GET', '/v1/auth/session', { headers: bearer(token) })).status, 401);
    });

    it('gives one answer for unknown user, wrong password and disabled account', async () => {
      await createUser(store, { name: 'cid', password: 'a long enough password', roles: ['operator'] }, 't');
      await createUser(store, { name: 'dan', password: 'a long enough password', roles: ['operator'] }, 't');
      await setUserDisabled(store, 'dan', true);
      const attempts = [
        { name: 'nobody', password: 'a long enough password' },
        { name: 'cid', password: 'the wrong password!' },
        { name: 'dan', password: 'a long enough password' },
      ];
      const bodies = new Set<string>();
      for (const body of attempts) {
        const r = await call(svc.url, 'POST', '/v1/auth/login', { body });
        assert.equal(r.status, 401, body.name);
        bodies.add(JSON.stringify(r.body));
      }
      assert.equal(bodies.size, 1);
      const ok = await call(svc.url, 'POST', '/v1/auth/login', {
        body: { name: 'cid', password: 'a long enough password' },
      });
      assert.equal(ok.status, 200);
    });

    it('refuses expired sessions, sessions of disabled users, and forged tokens with 401', async () => {
      const u = await createUser(
        store,
        { name: 'eve', password: 'a long enough password', roles: ['approver'] },
        't',
      );
      const expired = await createSession(store, u.id, -1000);
      assert.equal(
        (await call(svc.url, 'POST', '/test/approve', { headers: bearer(expired.token) })).status,
        401,
      );
      const live = await createSession(store, u.id, 60_000);
      assert.equal(
        (await call(svc.url, 'POST', '/test/approve', { headers: bearer(live.token) })).status,
        200,
      );
      await setUserDisabled(store, 'eve', true);
      svc.ctx.services.sessions?.clear();
      assert.equal(
        (await call(svc.url, 'POST', '/test/approve', { headers: bearer(live.token) })).status,
        401,
      );
      const forged = live.token.slice(0, -3) + 'AAA';
      assert.equal((await call(svc.url, 'POST', '/test/approve', { headers: bearer(forged) })).status, 401);
    });
  });
}
