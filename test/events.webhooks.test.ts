import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { accessModule } from '../src/access/module.ts';
import { auditModule } from '../src/audit/module.ts';
import { createEventsModule } from '../src/events/module.ts';
import type { SeamEvent } from '../src/events/types.ts';
import { verifySignature } from '../src/events/webhooks/sign.ts';
import { WebhookTargets } from '../src/events/webhooks/targets.ts';
import type { Store } from '../src/store/types.ts';
import { accountEvent, append, EVENTS_TEST_ENV, itemEvent, until } from './helpers/events.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  event: SeamEvent;
}

/** A real HTTP receiver; `answer` decides each response's status. */
async function startReceiver() {
  const received: Received[] = [];
  let answer: (r: Received) => number = () => 200;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const r: Received = {
        path: req.url ?? '',
        headers: req.headers,
        body,
        event: JSON.parse(body) as SeamEvent,
      };
      received.push(r);
      res.writeHead(answer(r)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    received,
    on: (path: string) => received.filter((r) => r.path === path),
    answer(fn: (r: Received) => number) {
      answer = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Verify a Standard Webhooks signature independently of seam's code. */
function verify(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const id = String(r.headers['webhook-id']);
  const ts = String(r.headers['webhook-timestamp']);
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${r.body}`).digest('base64');
  return String(r.headers['webhook-signature'])
    .split(' ')
    .some((s) => s === `v1,${expected}`);
}

const WEBHOOK_ENV = {
  ...EVENTS_TEST_ENV,
  SEAM_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,*.example.com',
  SEAM_WEBHOOK_ALLOWED_ADDRESSES: '127.0.0.1',
  SEAM_WEBHOOK_RETRY_BASE_MS: '20',
  SEAM_WEBHOOK_RETRY_MAX_MS: '80',
  SEAM_WEBHOOK_MAX_ATTEMPTS: '3',
  SEAM_WEBHOOK_TIMEOUT_MS: '3000',
};

const modules = () => [
  auditModule,
  accessModule,
  createEventsModule({
    sensitiveFields: (system, resource) => (system === 'erp' && resource === 'accounts' ? ['email'] : []),
  }),
];

interface Sub {
  id: string;
  secret: string;
  status: string;
  cursor: number;
  deliveredCount: number;
  consecutiveFailures: number;
  parkedReason: string | null;
}

for (const target of storeTargets()) {
  describe(`webhooks on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    let key: string;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, { env: WEBHOOK_ENV, modules: modules() });
      key = await issueKey(store, ['events:subscribe']);
      receiver = await startReceiver();
    });
    after(async () => {
      await svc?.stop();
      await receiver?.close();
      await disposeTestStore(store);
    });

    const register = async (body: Record<string, unknown>, k = key) => {
      const r = await call(svc.url, 'POST', '/v1/webhooks', { headers: bearer(k), body });
      assert.equal(r.status, 201, r.text);
      return r.body as Sub;
    };
    const state = async (id: string) =>
      (await call(svc.url, 'GET', `/v1/webhooks/${id}`, { headers: bearer(key) })).body as Sub;
    const deliveries = async (id: string) =>
      (
        (await call(svc.url, 'GET', `/v1/webhooks/${id}/deliveries`, { headers: bearer(key) })).body as {
          deliveries: { position: number; attempt: number; outcome: string; httpStatus: number | null }[];
        }
      ).deliveries;

    it('refuses URLs off the allowlist or on private addresses, with problem+json', async () => {
      const cases: [string, string][] = [
        ['http://seam-test.invalid/hook', 'webhook_host_not_allowed'],
        ['http://localhost:9/hook', 'webhook_host_not_allowed'],
        ['ftp://127.0.0.1/hook', 'webhook_url_invalid'],
        ['http://user:pw@127.0.0.1/hook', 'webhook_url_invalid'],
        ['not a url', 'webhook_url_invalid'],
        ['http://does-not-exist.example.com/hook', 'webhook_host_unresolvable'],
      ];
      for (const [url, code] of cases) {
        const r = await call(svc.url, 'POST', '/v1/webhooks', { headers: bearer(key), body: { url } });
        assert.equal(r.status, 422, `${url}: ${r.text}`);
        assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.equal((r.body as { code: string }).code, code, url);
      }
      // The address rule, without an operator exception: loopback, private, link-local, mapped.
      const strict = new WebhookTargets(
        ['127.0.0.1', 'localhost', '169.254.169.254', '10.0.0.7', '::ffff:7f00:1'],
        [],
      );
      for (const url of [
        'http://127.0.0.1/x',
        'http://localhost/x',
        'http://169.254.169.254/latest/meta-data',
        'http://10.0.0.7/x',
        'http://[::ffff:127.0.0.1]/x',
      ]) {
        await assert.rejects(strict.check(url), (err: { code?: string }) => {
          assert.equal(err.code, 'webhook_address_not_allowed', url);
          return true;
        });
      }
      assert.equal(strict.addressAllowed('93.184.216.34'), true);
      assert.equal(strict.hostAllowed('example.org'), false);
      const wildcard = new WebhookTargets(['*.example.com'], []);
      assert.equal(wildcard.hostAllowed('hooks.example.com'), true);
      assert.equal(wildcard.hostAllowed('example.com'), false);
      assert.equal(wildcard.hostAllowed('evil-example.com'), false);
    });

    it('delivers matching events in order, signed, redacted with the owner key’s scopes', async () => {
      const sub = await register({ url: receiver.url('/signed'), types: ['erp.account.*'] });
      assert.match(sub.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
      assert.equal(sub.status, 'active');
      const p1 = await append(store, [
        accountEvent('100', { email: 'a@example.com', name: 'A' }),
        itemEvent('i1'),
      ]);
      const p2 = await append(store, [accountEvent('101', { email: 'b@example.com' })]);
      await until(() => receiver.on('/signed').length >= 2, 'two deliveries');
      const got = receiver.on('/signed');
      assert.deepEqual(
        got.map((r) => r.event.position),
        [p1[0], p2[0]],
      );
      for (const r of got) {
        assert.ok(verify(sub.secret, r), 'signature verifies with the secret');
        assert.equal(r.headers['webhook-id'], r.event.id);
        assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 300);
        assert.match(String(r.headers['content-type']), /^application\/cloudevents\+json/);
        assert.equal(r.event.specversion, '1.0');
      }
      // A tampered body does not verify.
      assert.equal(verify(sub.secret, { ...got[0]!, body: got[0]!.body.replace('"A"', '"B"') }), false);
      // seam's own receiver-side helper agrees, and refuses a replay outside the tolerance.
      const h = {
        id: String(got[0]!.headers['webhook-id']),
        timestamp: String(got[0]!.headers['webhook-timestamp']),
        signature: String(got[0]!.headers['webhook-signature']),
      };
      assert.equal(verifySignature(sub.secret, h, got[0]!.body), true);
      assert.equal(verifySignature(sub.secret, h, got[0]!.body, 300, new Date(Date.now() + 600_000)), false);
      const rec = got[0]!.event.data.record as Record<string, unknown>;
      assert.equal(rec.email, '[REDACTED]', 'the key has no pii:email');
      assert.equal(rec.name, 'A');

      await until(async () => (await state(sub.id)).cursor === p2[0], 'the cursor to reach the last event');
      const s = await state(sub.id);
      assert.equal(s.deliveredCount, 2);
      assert.equal(s.consecutiveFailures, 0);
      const log = await deliveries(sub.id);
      assert.deepEqual(
        log.map((d) => [d.position, d.outcome, d.attempt, d.httpStatus]),
        [
          [p2[0], 'delivered', 1, 200],
          [p1[0], 'delivered', 1, 200],
        ],
      );
      const metrics = await call(svc.url, 'GET', '/metrics');
      assert.match(metrics.text, /seam_webhook_attempts_total\{outcome="delivered"\} [1-9]/);
      assert.match(metrics.text, /seam_events_head_position [1-9]/);
      await call(svc.url, 'DELETE', `/v1/webhooks/${sub.id}`, { headers: bearer(key) });
    });

    it('retries a failing receiver with backoff, with the same webhook-id, until it answers 2xx', async () => {
      const sub = await register({ url: receiver.url('/flaky') });
      let calls = 0;
      receiver.answer((r) => (r.path === '/flaky' && ++calls <= 2 ? 500 : 200));
      const [pos] = await append(store, [accountEvent('200')]);
      await until(() => receiver.on('/flaky').length >= 3, 'three attempts');
      await until(async () => (await state(sub.id)).cursor === pos, 'the event to be delivered');
      const attempts = receiver.on('/flaky');
      assert.equal(new Set(attempts.map((a) => a.headers['webhook-id'])).size, 1);
      assert.ok(attempts.every((a) => verify(sub.secret, a)));
      const log = await deliveries(sub.id);
      assert.deepEqual(log.map((d) => [d.attempt, d.outcome, d.httpStatus]).reverse(), [
        [1, 'failed', 500],
        [2, 'failed', 500],
        [3, 'delivered', 200],
      ]);
      assert.equal((await state(sub.id)).consecutiveFailures, 0);
      receiver.answer(() => 200);
      await call(svc.url, 'DELETE', `/v1/webhooks/${sub.id}`, { headers: bearer(key) });
    });

    it('parks a subscription after repeated failures, and resumes from the failed event', async () => {
      const sub = await register({ url: receiver.url('/down') });
      receiver.answer((r) => (r.path === '/down' ? 503 : 200));
      const [first] = await append(store, [accountEvent('300')]);
      await until(async () => (await state(sub.id)).status === 'parked', 'the subscription to park');
      const parked = await state(sub.id);
      assert.match(parked.parkedReason ?? '', /3 consecutive failed attempts/);
      assert.equal(parked.cursor, first! - 1, 'the failed event is still ahead of the cursor');
      assert.equal(receiver.on('/down').length, 3);
      const [second] = await append(store, [accountEvent('301')]);

      receiver.answer(() => 200);
      const resumed = await call(svc.url, 'POST', `/v1/webhooks/${sub.id}/resume`, { headers: bearer(key) });
      assert.equal(resumed.status, 200);
      await until(async () => (await state(sub.id)).cursor === second, 'delivery to catch up after resume');
      const ok = receiver.on('/down').slice(3);
      assert.deepEqual(
        ok.map((r) => r.event.position),
        [first, second],
      );
      await call(svc.url, 'DELETE', `/v1/webhooks/${sub.id}`, { headers: bearer(key) });
    });

    it('takes over a subscription whose process died holding its lease', async () => {
      const sub = await register({ url: receiver.url('/takeover') });
      // As if a process claimed it and died: its lease is stamped but long expired.
      await store.query(
        `UPDATE webhook_subscriptions SET locked_by = 'dead:process', locked_until = now() - interval '1 second'
          WHERE id = $1`,
        [sub.id],
      );
      const [pos] = await append(store, [accountEvent('400')]);
      await until(() => receiver.on('/takeover').length >= 1, 'the event to be delivered by this process');
      assert.equal(receiver.on('/takeover')[0]!.event.position, pos);
      await call(svc.url, 'DELETE', `/v1/webhooks/${sub.id}`, { headers: bearer(key) });
    });

    it('shows a subscription only to the key that registered it; deletes it', async () => {
      const sub = await register({ url: receiver.url('/mine'), subject: 'accounts/' });
      const other = await issueKey(store, ['events:subscribe'], 'other-agent');
      const peek = await call(svc.url, 'GET', `/v1/webhooks/${sub.id}`, { headers: bearer(other) });
      assert.equal(peek.status, 404);
      const list = await call(svc.url, 'GET', '/v1/webhooks', { headers: bearer(other) });
      assert.deepEqual((list.body as { webhooks: unknown[] }).webhooks, []);
      const mine = (await call(svc.url, 'GET', '/v1/webhooks', { headers: bearer(key) })).body as {
        webhooks: (Sub & { secret?: string })[];
      };
      assert.deepEqual(
        mine.webhooks.map((w) => w.id),
        [sub.id],
      );
      assert.equal(mine.webhooks[0]!.secret, undefined, 'the secret is shown only once');
      const del = await call(svc.url, 'DELETE', `/v1/webhooks/${sub.id}`, { headers: bearer(other) });
      assert.equal(del.status, 404);
      assert.equal(
        (await call(svc.url, 'DELETE', `/v1/webhooks/${sub.id}`, { headers: bearer(key) })).status,
        204,
      );
      assert.equal(
        (await call(svc.url, 'GET', `/v1/webhooks/${sub.id}`, { headers: bearer(key) })).status,
        404,
      );
    });

    if (target.kind === 'postgres') {
      it('two services delivering the same subscriptions never deliver an event twice', async () => {
        const storeB = await openTestStore(target, import.meta.filename, { schema: store.schema });
        const b = await startTestService(storeB, { env: WEBHOOK_ENV, modules: modules() });
        try {
          const subs = await Promise.all([1, 2, 3].map((n) => register({ url: receiver.url(`/pair${n}`) })));
          const positions: number[] = [];
          for (let i = 0; i < 15; i++)
            positions.push(...(await append(store, [accountEvent(`p${i}`), itemEvent(`p${i}`)])));
          for (const s of subs)
            await until(async () => (await state(s.id)).cursor === positions.at(-1), 'all deliveries');
          for (const n of [1, 2, 3]) {
            const got = receiver.on(`/pair${n}`).map((r) => r.event.position);
            assert.deepEqual(got, positions, `subscription ${n}: each event once, in order`);
          }
        } finally {
          await b.stop();
          await storeB.close();
        }
      });
    }
  });
}
