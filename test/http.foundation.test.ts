import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { Api } from '../src/http/route.ts';
import { openStore } from '../src/store/index.ts';
import { migrate } from '../src/store/migrate.ts';
import type { Store } from '../src/store/types.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets, uniqueSchema } from './helpers/store.ts';
import { startTcpProxy } from './helpers/tcp-proxy.ts';

/** Called when /test/slow has started (the request reached its handler). */
let slowStarted: () => void = () => undefined;

function testRoutes(store: () => Store) {
  return (api: Api) => {
    api.add({
      method: 'get',
      path: '/test/slow',
      summary: 'slow',
      tags: ['test'],
      access: { public: 'test' },
      responses: { 200: { description: 'ok' } },
      handler: async () => {
        slowStarted();
        await new Promise((r) => setTimeout(r, 400));
        return { done: true };
      },
    });
    api.add({
      method: 'get',
      path: '/test/db',
      summary: 'db',
      tags: ['test'],
      access: { public: 'test' },
      responses: { 200: { description: 'ok' } },
      handler: async () => (await store().query('SELECT 1 AS one')).rows[0],
    });
    api.add({
      method: 'post',
      path: '/test/echo',
      summary: 'echo',
      tags: ['test'],
      access: { public: 'test' },
      body: z.object({ n: z.number().int() }),
      responses: { 200: { description: 'ok' } },
      handler: ({ body }) => body,
    });
    api.add({
      method: 'get',
      path: '/test/private',
      summary: 'needs a scope',
      tags: ['test'],
      access: { scope: 'read:secrets' },
      responses: { 200: { description: 'ok' } },
      handler: () => ({ secret: 1 }),
    });
  };
}

for (const target of storeTargets()) {
  describe(`HTTP foundation on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, {
        modules: [],
        extraRoutes: testRoutes(() => store),
        env: { SEAM_BODY_LIMIT: '1kb' },
      });
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });

    it('answers /healthz and /readyz', async () => {
      const h = await call(svc.url, 'GET', '/healthz');
      assert.equal(h.status, 200);
      assert.deepEqual(h.body, { status: 'ok' });
      const r = await call(svc.url, 'GET', '/readyz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { status: 'ok', checks: { store: { status: 'ok' } } });
    });

    it('gives problem+json 404 for unknown routes', async () => {
      const r = await call(svc.url, 'GET', '/v1/nothing-here');
      assert.equal(r.status, 404);
      assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal((r.body as { code: string }).code, 'not_found');
      assert.equal((r.body as { status: number }).status, 404);
    });

    it('gives 400 for malformed JSON, without a stack trace', async () => {
      const r = await call(svc.url, 'POST', '/test/echo', {
        raw: '{"n": 1',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 400);
      assert.equal((r.body as { code: string }).code, 'malformed_json');
      assert.doesNotMatch(r.text, /at .*\.ts:\d+/);
    });

    it('gives 400 naming the field for a body that fails its schema', async () => {
      const r = await call(svc.url, 'POST', '/test/echo', { body: { n: 'one' } });
      assert.equal(r.status, 400);
      const body = r.body as { code: string; errors: { path: string; in: string }[] };
      assert.equal(body.code, 'validation_failed');
      assert.deepEqual(
        body.errors.map((e) => [e.in, e.path]),
        [['body', 'n']],
      );
    });

    it('gives 413 for an oversized body', async () => {
      const r = await call(svc.url, 'POST', '/test/echo', {
        raw: JSON.stringify({ n: 1, pad: 'x'.repeat(5000) }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 413);
      assert.equal((r.body as { code: string }).code, 'payload_too_large');
    });

    it('gives 415 for a body that is not JSON', async () => {
      const r = await call(svc.url, 'POST', '/test/echo', {
        raw: 'n=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(r.status, 415);
      assert.equal((r.body as { code: string }).code, 'unsupported_media_type');
    });

    it('refuses a scoped route while no access area grants it', async () => {
      const r = await call(svc.url, 'GET', '/test/private');
      assert.equal(r.status, 401);
    });

    it('echoes a request id and logs it', async () => {
      const r = await call(svc.url, 'GET', '/test/db', {
        headers: {
          'x-request-id': 'req-abc-123',
          authorization: 'Bearer seam_agent_SECRETSECRETSECRETSECRET',
        },
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-request-id'), 'req-abc-123');
      const generated = await call(svc.url, 'GET', '/healthz');
      assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const logs = svc.logs();
      assert.match(logs, /"id":"req-abc-123"/);
      assert.doesNotMatch(logs, /SECRETSECRET/);
    });

    it('logs one line per request, with its status and time; health probes are not logged', async () => {
      const r = await call(svc.url, 'GET', '/nowhere-at-all', {
        headers: { 'x-request-id': 'req-404-line' },
      });
      assert.equal(r.status, 404);
      await call(svc.url, 'GET', '/healthz', { headers: { 'x-request-id': 'req-probe-line' } });
      const lines = svc
        .logs()
        .split('\n')
        .filter((l) => l.includes('req-404-line') && l.includes('request completed'))
        .map(
          (l) =>
            JSON.parse(l) as {
              level: number;
              responseTime: unknown;
              req: { method: string; url: string };
              res: { statusCode: number };
            },
        );
      assert.equal(lines.length, 1, 'one line for the request');
      assert.equal(lines[0]!.level, 30, '4xx at info');
      assert.equal(lines[0]!.res.statusCode, 404);
      assert.equal(lines[0]!.req.method, 'GET');
      assert.equal(lines[0]!.req.url, '/nowhere-at-all');
      assert.equal(typeof lines[0]!.responseTime, 'number');
      assert.doesNotMatch(svc.logs(), /req-probe-line/);
    });

    it('exposes Prometheus metrics by route template and store pool use', async () => {
      await call(svc.url, 'GET', '/test/db');
      const r = await call(svc.url, 'GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.text, /seam_http_requests_total\{method="GET",route="\/test\/db",status="200"\} \d+/);
      assert.match(
        r.text,
        /seam_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/test\/db"/,
      );
      assert.match(r.text, /seam_store_pool_connections\{state="total"\} \d+/);
    });

    it('serves an OpenAPI document generated from the zod schemas, and an offline docs page', async () => {
      const r = await call(svc.url, 'GET', '/openapi.json');
      assert.equal(r.status, 200);
      const doc = r.body as {
        openapi: string;
        paths: Record<string, Record<string, { requestBody?: unknown }>>;
      };
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.paths['/readyz']?.get);
      assert.ok(doc.paths['/test/echo']?.post?.requestBody, 'request body schema comes from zod');
      const page = await call(svc.url, 'GET', '/docs/');
      assert.equal(page.status, 200);
      assert.match(page.text, /swagger-ui/);
      const external = [...page.text.matchAll(/(?:src|href)="(https?:[^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(external, [], 'no asset from a CDN');
      const init = await call(svc.url, 'GET', '/docs/swagger-ui-init.js');
      assert.equal(init.status, 200);
      const bundle = await call(svc.url, 'GET', '/docs/swagger-ui-bundle.js');
      assert.equal(bundle.status, 200);
    });
  });
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests, then refuses new ones and closes', async () => {
    const store = await openTestStore({ kind: 'pglite' }, import.meta.filename);
    const svc = await startTestService(store, { modules: [], extraRoutes: testRoutes(() => store) });
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const inflight = call(svc.url, 'GET', '/test/slow');
    await started; // in flight at the server, not still on its way
    const stopped = svc.stop();
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { done: true });
    await stopped;
    await assert.rejects(fetch(svc.url + '/healthz'));
    assert.match(svc.logs(), /shutdown complete/);
    await store.close();
  });
});

const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) {
  describe('PostgreSQL going away while running', () => {
    it('turns /readyz red and requests into 503, then recovers with no crash', async () => {
      const u = new URL(pgUrl);
      const proxy = await startTcpProxy(u.hostname, Number(u.port || 5432));
      u.port = String(proxy.port);
      const schema = uniqueSchema(import.meta.filename);
      const store = await openStore(
        { url: u.toString(), schema, poolMax: 3, dataDir: 'memory://' },
        silentLog,
      );
      await migrate(store, silentLog);
      const svc = await startTestService(store, {
        modules: [],
        extraRoutes: testRoutes(() => store),
        env: { SEAM_READY_TIMEOUT_MS: '1000' },
      });
      try {
        assert.equal((await call(svc.url, 'GET', '/test/db')).status, 200);
        await proxy.cut();
        const ready = await call(svc.url, 'GET', '/readyz');
        assert.equal(ready.status, 503);
        assert.equal((ready.body as { checks: { store: { status: string } } }).checks.store.status, 'down');
        const q = await call(svc.url, 'GET', '/test/db');
        assert.equal(q.status, 503);
        assert.equal((q.body as { code: string }).code, 'unavailable');
        assert.ok(q.headers.get('retry-after'));
        assert.equal((await call(svc.url, 'GET', '/healthz')).status, 200, 'the process stays up');
        await proxy.restore();
        let ok = false;
        for (let i = 0; i < 20 && !ok; i++) {
          ok = (await call(svc.url, 'GET', '/readyz')).status === 200;
          if (!ok) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(ok, '/readyz is green again');
        assert.equal((await call(svc.url, 'GET', '/test/db')).status, 200);
      } finally {
        await svc.stop();
        await store.exec(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
        await store.close();
        await proxy.close();
      }
    });
  });
}
