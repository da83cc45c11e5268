import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { generateKey, isWellFormedKey, KEY_PREFIX } from '../src/access/keys.ts';
import { accessModule } from '../src/access/module.ts';
import type { Api } from '../src/http/route.ts';
import type { Store } from '../src/store/types.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

describe('key format', () => {
  it('has a prefix, high entropy and a checksum that catches typos', () => {
    const k = generateKey();
    assert.ok(k.startsWith(KEY_PREFIX));
    assert.equal(k.length, KEY_PREFIX.length + 38);
    assert.ok(isWellFormedKey(k));
    const flipped = k.slice(0, 12) + (k[12] === 'a' ? 'b' : 'a') + k.slice(13);
    assert.equal(isWellFormedKey(flipped), false);
    assert.notEqual(generateKey(), generateKey());
  });
});

const routes = (api: Api) => {
  api.add({
    method: 'get',
    path: '/test/accounts',
    summary: 'scoped read',
    tags: ['test'],
    access: { scope: 'read:accounts' },
    query: z.object({}),
    responses: { 200: { description: 'ok' } },
    handler: ({ principal }) => ({ caller: principal?.name }),
  });
};

for (const target of storeTargets()) {
  describe(`agent keys on ${target.kind}`, () => {
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

    it('lets a key with the scope in, and names the caller', async () => {
      const key = await issueKey(store, ['read:accounts'], 'reader');
      const r = await call(svc.url, 'GET', '/test/accounts', { headers: bearer(key) });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { caller: 'reader' });
    });

    it('refuses a key without the scope with 403', async () => {
      const key = await issueKey(store, ['read:items']);
      const r = await call(svc.url, 'GET', '/test/accounts', { headers: bearer(key) });
      assert.equal(r.status, 403);
    });

    it('refuses missing, malformed, wrong-checksum, unknown and revoked keys with the same 401', async () => {
      const revoked = await issueKey(store, ['read:accounts']);
      await store.query(
        "UPDATE api_keys SET revoked_at = now() WHERE key_hash IS NOT NULL AND name = 'test-agent' AND 'read:accounts' = ANY(scopes) AND revoked_at IS NULL AND created_at = (SELECT max(created_at) FROM api_keys)",
      );
      await new Promise((r) => setTimeout(r, 1100));
      const good = generateKey();
      const badSum = good.slice(0, -1) + (good.endsWith('a') ? 'b' : 'a');
      const cases: Record<string, string>[] = [
        {},
        { authorization: 'Bearer' },
        { authorization: 'Basic dXNlcjpwYXNz' },
        bearer('not-a-key'),
        bearer(badSum),
        bearer(good),
        bearer(revoked),
      ];
      const bodies = new Set<string>();
      for (const headers of cases) {
        const r = await call(svc.url, 'GET', '/test/accounts', { headers });
        assert.equal(r.status, 401, JSON.stringify(headers));
        bodies.add(JSON.stringify({ ...(r.body as object), instance: undefined }));
      }
      assert.equal(bodies.size, 1, 'no hint which check failed');
    });
  });
}
