import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createKey } from '../src/access/keys.ts';
import { accessModule } from '../src/access/module.ts';
import type { Api } from '../src/http/route.ts';
import type { Store } from '../src/store/types.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const routes = (api: Api) => {
  api.add({
    method: 'get',
    path: '/test/items',
    summary: 'a paged read',
    tags: ['test'],
    access: { scope: 'read:items' },
    query: z.object({ limit: z.coerce.number().optional(), pageSize: z.coerce.number().optional() }),
    responses: { 200: { description: 'ok' } },
    handler: () => ({ items: [] }),
  });
  api.add({
    method: 'post',
    path: '/test/items',
    summary: 'a write',
    tags: ['test'],
    access: { scope: 'write:items' },
    responses: { 200: { description: 'ok' } },
    handler: () => ({ ok: true }),
  });
};

for (const target of storeTargets()) {
  describe(`rate limits and size caps on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, {
        modules: [accessModule],
        extraRoutes: routes,
        env: { SEAM_BODY_LIMIT: '1kb', SEAM_MAX_PAGE_SIZE: '50', SEAM_RATE_LIMIT_PER_MINUTE: '1000' },
      });
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });

    it('answers 429 with Retry-After once a key is over its own limit, and only for that key', async () => {
      const { key } = await createKey(
        store,
        { name: 'slow-bot', scopes: ['read:items'], rateLimitPerMinute: 3 },
        't',
      );
      const other = await issueKey(store, ['read:items']);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await call(svc.url, 'GET', '/test/items', { headers: bearer(key) })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const r = await call(svc.url, 'GET', '/test/items', { headers: bearer(key) });
      assert.equal(r.status, 429);
      assert.equal((r.body as { code: string }).code, 'rate_limited');
      const retry = Number(r.headers.get('retry-after'));
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, String(retry));
      assert.equal((await call(svc.url, 'GET', '/test/items', { headers: bearer(other) })).status, 200);
    });

    it('holds a flood to the limit: the excess gets 429, nothing fails', async () => {
      const { key } = await createKey(
        store,
        { name: 'flood-bot', scopes: ['read:items'], rateLimitPerMinute: 20 },
        't',
      );
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 60 }, () => call(svc.url, 'GET', '/test/items', { headers: bearer(key) })),
      );
      // 20 burst, plus the tokens refilled (20 a minute) while the flood was served: on a loaded
      // machine that can take seconds.
      const refilled = Math.ceil(((Date.now() - started) / 60_000) * 20);
      const ok = results.filter((r) => r.status === 200).length;
      const limited = results.filter((r) => r.status === 429);
      assert.equal(ok + limited.length, 60, results.map((r) => r.status).join(','));
      assert.ok(ok >= 20 && ok <= 20 + refilled, `ok=${ok}, refilled at most ${refilled}`);
      assert.ok(limited.every((r) => Number(r.headers.get('retry-after')) >= 1));
    });

    it('applies the global limit across all keys', async () => {
      const small = await startTestService(store, {
        modules: [accessModule],
        extraRoutes: routes,
        env: { SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: '5' },
      });
      try {
        const keys = await Promise.all([1, 2, 3].map(() => issueKey(store, ['read:items'])));
        const statuses: number[] = [];
        for (let i = 0; i < 9; i++)
          statuses.push(
            (await call(small.url, 'GET', '/test/items', { headers: bearer(keys[i % 3]!) })).status,
          );
        assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
        assert.ok(
          statuses.slice(5).every((s) => s === 429),
          statuses.join(','),
        );
      } finally {
        await small.stop();
        // The global bucket lives in the store, shared with `svc`: this service drained it at a
        // capacity of 5, and it would refill far too slowly for the tests after this one.
        await store.query(`DELETE FROM rate_buckets WHERE bucket = 'agents:*'`);
      }
    });

    it('refuses pages above the cap (400) and bodies above the limit (413)', async () => {
      const key = await issueKey(store, ['read:items', 'write:items']);
      assert.equal(
        (await call(svc.url, 'GET', '/test/items?limit=50', { headers: bearer(key) })).status,
        200,
      );
      for (const q of ['limit=51', 'pageSize=100000', 'limit[]=1', 'page_size=51']) {
        const r = await call(svc.url, 'GET', `/test/items?${q}`, { headers: bearer(key) });
        assert.equal(r.status, 400, q);
        assert.equal((r.body as { code: string }).code, 'page_too_large', q);
      }
      const big = await call(svc.url, 'POST', '/test/items', {
        headers: bearer(key),
        body: { blob: 'x'.repeat(2048) },
      });
      assert.equal(big.status, 413);
    });

    it('throttles sign-in attempts per name', async () => {
      // All at once: the throttle counts before the (slow) password check.
      const results = await Promise.all(
        Array.from({ length: 14 }, (_, i) =>
          call(svc.url, 'POST', '/v1/auth/login', { body: { name: 'target', password: `guess-${i}` } }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [...Array(10).fill(401), ...Array(4).fill(429)]);
    });
  });
}
