/**
 * Two seam services sharing one PostgreSQL schema (each with its own pool and LISTEN connection):
 * an event committed through one wakes readers waiting on the other through NOTIFY. The safety
 * poll is off, and a long-poll that times out answers empty, so an event in the answer proves the
 * notification woke it. PostgreSQL only: PGlite lives inside one process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SeamEvent } from '../src/events/types.ts';
import type { Store } from '../src/store/types.ts';
import { accountEvent, append, EVENTS_TEST_ENV, itemEvent, openSse, until } from './helpers/events.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

for (const target of storeTargets().filter((t) => t.kind === 'postgres')) {
  describe('two seam services on one PostgreSQL', () => {
    let storeA: Store;
    let storeB: Store;
    let a: TestService;
    let b: TestService;
    let other: Store;
    let o: TestService;
    let key: string;
    let otherKey: string;
    before(async () => {
      storeA = await openTestStore(target, import.meta.filename);
      storeB = await openTestStore(target, import.meta.filename, { schema: storeA.schema });
      a = await startTestService(storeA, { env: EVENTS_TEST_ENV });
      b = await startTestService(storeB, { env: EVENTS_TEST_ENV });
      key = await issueKey(storeA, ['events:read']);
      // A second installation in another schema of the same database.
      other = await openTestStore(target, import.meta.filename);
      o = await startTestService(other, { env: EVENTS_TEST_ENV });
      otherKey = await issueKey(other, ['events:read']);
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
      await o?.stop();
      await disposeTestStore(other);
      await storeB?.close();
      await disposeTestStore(storeA);
    });

    it('an event appended through one service wakes a long-poll waiting on the other', async () => {
      const head = (
        (await call(b.url, 'GET', '/v1/events', { headers: bearer(key) })).body as { head: number }
      ).head;
      const hubB = b.ctx.services.events!.hub;
      const pending = call(b.url, 'GET', `/v1/events?after=${head}&wait=30`, { headers: bearer(key) });
      await until(() => hubB.waiting === 1, 'the long-poll on B to wait');
      const [pos] = await append(storeA, [accountEvent('from-a')]);
      const r = await pending;
      assert.equal(r.status, 200);
      const page = r.body as { events: SeamEvent[] };
      assert.deepEqual(
        page.events.map((e) => [e.position, e.subject]),
        [[pos, 'accounts/from-a']],
      );
    });

    it('an SSE stream on one service receives events committed through the other', async () => {
      const head = (
        (await call(a.url, 'GET', '/v1/events', { headers: bearer(key) })).body as { head: number }
      ).head;
      const s = await openSse(`${a.url}/v1/events/stream?after=${head}`, bearer(key));
      await until(() => a.ctx.services.events!.hub.streams === 1, 'the stream to go live');
      const p1 = await append(storeB, [itemEvent('from-b-1')]);
      const p2 = await append(storeB, [itemEvent('from-b-2'), accountEvent('from-b-3')]);
      const got = await s.waitForEvents(3);
      assert.deepEqual(
        got.map((e) => e.position),
        [...p1, ...p2],
      );
      s.close();
    });

    it('another schema in the same database hears none of it: its long-poll runs to its deadline', async () => {
      const hubO = o.ctx.services.events!.hub;
      const head = (
        (await call(o.url, 'GET', '/v1/events', { headers: bearer(otherKey) })).body as { head: number }
      ).head;
      const started = Date.now();
      const pending = call(o.url, 'GET', `/v1/events?after=${head}&wait=1`, { headers: bearer(otherKey) });
      await until(() => hubO.waiting === 1, 'the long-poll on the other schema to wait');
      // Positions far beyond the other schema's head, on the database-wide channel.
      await append(
        storeA,
        Array.from({ length: 5 }, (_, i) => accountEvent(`elsewhere-${i}`)),
      );
      const r = await pending;
      assert.equal(r.status, 200);
      assert.deepEqual((r.body as { events: SeamEvent[] }).events, []);
      assert.ok(Date.now() - started >= 900, 'it waited out its own deadline, not woken by the other schema');
      assert.equal(hubO.head, head, "the other schema's hub never saw a foreign position");
    });
  });
}
