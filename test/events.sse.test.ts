import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../src/store/types.ts';
import { accountEvent, append, EVENTS_TEST_ENV, itemEvent, openSse, until } from './helpers/events.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const target of storeTargets()) {
  describe(`event stream (SSE) on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    let key: string;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, { env: { ...EVENTS_TEST_ENV, SEAM_EVENTS_HEARTBEAT_MS: '150' } });
      key = await issueKey(store, ['events:read', 'pii:*']);
    });
    after(async () => {
      await svc?.stop();
      await disposeTestStore(store);
    });

    const stream = (query: string, headers: Record<string, string> = {}) =>
      openSse(`${svc.url}/v1/events/stream${query}`, { ...bearer(key), ...headers });

    it('streams the backlog then live events, and resumes with Last-Event-ID without loss or duplication', async () => {
      await append(store, [accountEvent('1'), accountEvent('2'), itemEvent('a')]);
      await append(store, [accountEvent('3'), itemEvent('b')]);
      const first = await stream('?after=0');
      assert.equal(first.status, 200);
      assert.match(first.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(first.headers.get('seam-oldest-position'), '1');
      await first.waitForEvents(5);
      await append(store, [accountEvent('4')]);
      await append(store, [accountEvent('5'), itemEvent('c')]);
      const got = await first.waitForEvents(8);
      assert.deepEqual(
        got.map((e) => e.position),
        range(1, 8),
      );
      // The SSE id of each message is its position.
      assert.deepEqual(
        first.messages.filter((m) => m.data).map((m) => Number(m.id)),
        range(1, 8),
      );
      const lastId = first.lastEventId();
      assert.equal(lastId, '8');
      first.close();
      await until(() => svc.ctx.services.events!.hub.streams === 0, 'the server to drop the stream');

      // Events committed while the client was away.
      await append(store, [accountEvent('6'), accountEvent('7')]);
      await append(store, [itemEvent('d'), itemEvent('e')]);
      const again = await stream('?after=0', { 'last-event-id': lastId! });
      await again.waitForEvents(4);
      await append(store, [accountEvent('8')]);
      const resumed = await again.waitForEvents(5);
      assert.deepEqual(
        resumed.map((e) => e.position),
        range(9, 13),
        'Last-Event-ID wins over after=; nothing before it, nothing twice',
      );
      again.close();
    });

    it('keeps every event exactly once while writers commit during the catch-up', async () => {
      const start = (await call(svc.url, 'GET', '/v1/events?limit=1', { headers: bearer(key) })).body as {
        head: number;
      };
      // A backlog big enough to take several catch-up pages...
      for (let i = 0; i < 5; i++)
        await append(
          store,
          range(1, 500).map((n) => itemEvent(`bulk-${i}-${n}`)),
        );
      const s = await stream(`?after=${start.head}`);
      // ...and writers committing while the stream reads it and moves over to live delivery.
      const writers = Promise.all(
        range(1, 4).map(async (w) => {
          for (let i = 0; i < 25; i++)
            await append(store, [accountEvent(`w${w}-${i}`), itemEvent(`w${w}-${i}`)]);
        }),
      );
      await writers;
      const total = 2500 + 4 * 25 * 2;
      const got = await s.waitForEvents(total, 30_000);
      assert.deepEqual(
        got.map((e) => e.position),
        range(start.head + 1, start.head + total),
      );
      assert.equal(new Set(got.map((e) => e.id)).size, total);
      s.close();
    });

    it('applies filters, and heartbeats move Last-Event-ID past skipped events', async () => {
      const head = (
        (await call(svc.url, 'GET', '/v1/events?limit=1', { headers: bearer(key) })).body as { head: number }
      ).head;
      const s = await stream(`?after=${head}&types=erp.account.*`);
      const skipped = await append(store, [itemEvent('x1'), itemEvent('x2')]);
      const last = skipped.at(-1)!;
      await until(() => s.lastEventId() === String(last), 'a heartbeat carrying the skipped position');
      assert.equal(s.events().length, 0);
      s.close();
      const again = await stream('?types=erp.account.*', { 'last-event-id': s.lastEventId()! });
      const [wanted] = await append(store, [itemEvent('x3'), accountEvent('x4')]).then((p) => p.slice(1));
      const got = await again.waitForEvents(1);
      assert.deepEqual(
        got.map((e) => [e.position, e.type]),
        [[wanted, 'erp.account.updated']],
      );
      again.close();
    });

    it('refuses a malformed Last-Event-ID (400) and callers without events:read (401/403)', async () => {
      const bad = await stream('', { 'last-event-id': 'abc' });
      assert.equal(bad.status, 400);
      assert.equal((bad.body as { code: string }).code, 'bad_last_event_id');
      const anon = await openSse(`${svc.url}/v1/events/stream`);
      assert.equal(anon.status, 401);
      const other = await issueKey(store, ['read:accounts']);
      const wrong = await openSse(`${svc.url}/v1/events/stream`, bearer(other));
      assert.equal(wrong.status, 403);
    });
  });
}

for (const target of storeTargets().slice(-1)) {
  describe(`event stream shutdown on ${target.kind}`, () => {
    it(
      'stopping the service ends open streams and long-polls instead of waiting for them',
      { timeout: 30_000 },
      async () => {
        const store = await openTestStore(target, import.meta.filename);
        try {
          // A long grace period: only the events area ending its requests lets stop() finish quickly.
          const svc = await startTestService(store, {
            env: { ...EVENTS_TEST_ENV, SEAM_SHUTDOWN_TIMEOUT_MS: '120000' },
          });
          const key = await issueKey(store, ['events:read']);
          const s = await openSse(`${svc.url}/v1/events/stream`, bearer(key));
          const poll = call(svc.url, 'GET', '/v1/events?wait=30', { headers: bearer(key) });
          await until(() => svc.ctx.services.events!.hub.waiting === 1, 'the long-poll to wait');
          await svc.stop();
          await s.ended;
          const r = await poll;
          assert.equal(r.status, 200, 'the long-poll is answered (empty), not cut');
          assert.deepEqual((r.body as { events: unknown[] }).events, []);
        } finally {
          await disposeTestStore(store);
        }
      },
    );
  });
}
