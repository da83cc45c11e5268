/** Logs (and the audit trail) never contain a key, a password, a session token or a SOAP credential. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { adminRevokeKey } from '../src/access/admin.ts';
import { accessModule } from '../src/access/module.ts';
import { auditModule } from '../src/audit/module.ts';
import type { Api } from '../src/http/route.ts';
import type { Store } from '../src/store/types.ts';
import { issueHuman } from './helpers/humans.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const SOAP_PASSWORD = 'S0ap-Secret-Pa55';
const USER_PASSWORD = 'my very secret password 42';

const routes = (api: Api) => {
  api.add({
    method: 'post',
    path: '/test/legacy-call',
    summary: 'fails the way a SOAP client does, with credentials hanging off the error',
    tags: ['test'],
    access: { scope: 'read:items' },
    body: z.object({ note: z.string(), password: z.string() }).optional(),
    responses: { 500: { description: 'always' } },
    handler: ({ req }) => {
      const auth = String(req.headers.authorization);
      throw Object.assign(
        new Error(
          `legacy call to https://svc-user:${SOAP_PASSWORD}@legacy.example/ws failed; sent authorization: ${auth}; ` +
            `envelope <soap:Header><wsse:Password Type="text">${SOAP_PASSWORD}</wsse:Password></soap:Header>`,
        ),
        {
          config: { headers: { Authorization: auth }, auth: { password: SOAP_PASSWORD } },
          request: { headers: { authorization: auth } },
          response: { config: { headers: { Authorization: auth } }, status: 500 },
          options: { wsdl_options: { password: SOAP_PASSWORD } },
          envelope: `<wsse:Password>${SOAP_PASSWORD}</wsse:Password>`,
        },
      );
    },
  });
};

for (const target of storeTargets()) {
  describe(`no credentials in logs on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, {
        modules: [auditModule, accessModule],
        extraRoutes: routes,
        env: { LOG_LEVEL: 'trace' },
      });
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });

    it('forces failures with credentials set and finds none of them in the logs or the audit trail', async () => {
      const key = await issueKey(store, ['read:items'], 'log-bot');
      const revoked = await issueKey(store, ['read:items'], 'revoked-bot');
      await adminRevokeKey({ store, actor: { kind: 'system', id: 't', name: 't' } }, 'revoked-bot');
      svc.ctx.services.keys!.clear();
      const human = await issueHuman(store, { name: 'lia', roles: ['operator'] });

      // A bad login carrying a password, and a good one (its token goes in the response only).
      const bad = await call(svc.url, 'POST', '/v1/auth/login', {
        body: { name: 'lia', password: USER_PASSWORD },
      });
      assert.equal(bad.status, 401);
      const good = await call(svc.url, 'POST', '/v1/auth/login', {
        body: { name: 'lia', password: human.password },
      });
      assert.equal(good.status, 200);
      const session = (good.body as { token: string }).token;
      // A revoked key, by header and by X-Api-Key.
      assert.equal((await call(svc.url, 'GET', '/v1/audit', { headers: bearer(revoked) })).status, 401);
      assert.equal(
        (await call(svc.url, 'GET', '/v1/audit', { headers: { 'x-api-key': revoked } })).status,
        401,
      );
      // A session cookie on a refused request.
      assert.equal(
        (await call(svc.url, 'GET', '/v1/audit', { headers: { cookie: `seam_session=${session}` } })).status,
        403,
      );
      // An error object carrying auth headers and SOAP credentials, with a body naming the key.
      const boom = await call(svc.url, 'POST', '/test/legacy-call', {
        headers: bearer(key),
        body: { note: `my key is ${key}`, password: USER_PASSWORD },
      });
      assert.equal(boom.status, 500);
      assert.ok(!boom.text.includes(SOAP_PASSWORD) && !boom.text.includes(key), 'nor in the answer');

      await svc.ctx.services.audit!.flush();
      const logs = svc.logs();
      assert.match(logs, /request failed/, 'the failure was logged');
      assert.match(logs, /legacy call to/, 'with its message');
      const audit = JSON.stringify((await store.query('SELECT * FROM audit_log')).rows);
      for (const secret of [
        key,
        revoked,
        session,
        human.token,
        human.password,
        USER_PASSWORD,
        SOAP_PASSWORD,
      ]) {
        assert.ok(!logs.includes(secret), `log contains ${secret.slice(0, 12)}…`);
        assert.ok(!audit.includes(secret), `audit contains ${secret.slice(0, 12)}…`);
      }
    });
  });
}
