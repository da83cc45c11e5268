import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runRetention } from '../src/events/retention.ts';
import type { SeamEvent } from '../src/events/types.ts';
import type { Store } from '../src/store/types.ts';
import { accountEvent, append, EVENTS_TEST_ENV, openSse, until } from './helpers/events.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const DAY = 86_400_000;

for (const target of storeTargets()) {
  describe(`event retention on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    let key: string;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, {
        env: {
          ...EVENTS_TEST_ENV,
          SEAM_EVENTS_MAX_AGE: '7d',
          SEAM_EVENTS_RETENTION_MODE: 'archive',
          // Every second, so the test sees the scheduled job itself run.
          SEAM_EVENTS_RETENTION_CRON: '* * * * * *',
          SEAM_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
          SEAM_WEBHOOK_ALLOWED_ADDRESSES: '127.0.0.1',
        },
      });
      key = await issueKey(store, ['events:read', 'events:subscribe']);
    });
    after(async () => {
      await svc?.stop();
      await disposeTestStore(store);
    });

    const age = (from: number, to: number, days: number) =>
      store.query(
        `UPDATE events SET recorded_at = now() - make_interval(days => $3) WHERE position BETWEEN $1 AND $2`,
        [from, to, days],
      );
    const oldest = async () =>
      Number(
        (await call(svc.url, 'GET', '/v1/events?limit=1', { headers: bearer(key) })).headers.get(
          'seam-oldest-position',
        ),
      );

    it('archives old events to JSONL on schedule; older positions then get 410, never a gap', async () => {
      const first = await append(
        store,
        Array.from({ length: 6 }, (_, i) => accountEvent(`old-${i}`)),
      );
      const young = await append(store, [accountEvent('young-1'), accountEvent('young-2')]);
      await age(first[0]!, first.at(-1)!, 10);
      await until(
        async () => (await oldest()) === young[0],
        'the scheduled job to archive the old events',
        20_000,
      );

      const dir = path.join(svc.dataDir, 'events-archive');
      const lines = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.jsonl'))
        .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n'))
        .map((l) => JSON.parse(l) as SeamEvent & { recordedat: string });
      assert.deepEqual(
        lines.map((e) => e.position),
        first,
      );
      assert.equal(lines[0]!.subject, 'accounts/old-0');
      assert.equal(lines[0]!.specversion, '1.0');

      const goneRead = await call(svc.url, 'GET', '/v1/events?after=0', { headers: bearer(key) });
      assert.equal(goneRead.status, 410);
      assert.match(goneRead.headers.get('content-type') ?? '', /application\/problem\+json/);
      const problem = goneRead.body as { code: string; oldest_position: number };
      assert.equal(problem.code, 'events_gone');
      assert.equal(problem.oldest_position, young[0]);
      assert.equal(goneRead.headers.get('seam-oldest-position'), String(young[0]));

      // Exactly at the boundary is fine: the next event is still there.
      const edge = await call(svc.url, 'GET', `/v1/events?after=${young[0]! - 1}`, { headers: bearer(key) });
      assert.equal(edge.status, 200);
      assert.deepEqual(
        (edge.body as { events: SeamEvent[] }).events.map((e) => e.position),
        young,
      );
      // No `after` starts at the oldest event kept.
      const fromStart = await call(svc.url, 'GET', '/v1/events', { headers: bearer(key) });
      assert.equal(fromStart.status, 200);
      assert.equal((fromStart.body as { oldest: number; events: SeamEvent[] }).events[0]!.position, young[0]);

      const sse = await openSse(`${svc.url}/v1/events/stream`, { ...bearer(key), 'last-event-id': '1' });
      assert.equal(sse.status, 410);
      assert.equal((sse.body as { code: string }).code, 'events_gone');
      const hook = await call(svc.url, 'POST', '/v1/webhooks', {
        headers: bearer(key),
        body: { url: 'http://127.0.0.1:9/x', after: 0 },
      });
      assert.equal(hook.status, 410);
    });

    it('removes only a prefix: an old event after a young one waits for it', async () => {
      const [a, b, c] = await append(store, [accountEvent('p-a'), accountEvent('p-b'), accountEvent('p-c')]);
      // Everything up to a (the previous test's young events included) is old; b is young; c is old.
      await age(0, a!, 10);
      await age(c!, c!, 10);
      await until(async () => (await oldest()) === b, 'the scheduled job to remove the first');
      const r = await call(svc.url, 'GET', `/v1/events?after=${a}`, { headers: bearer(key) });
      assert.deepEqual(
        (r.body as { events: SeamEvent[] }).events.map((e) => e.position),
        [b, c],
      );
    });

    it('prune mode deletes without files; concurrent runs take turns and never remove twice', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-prune-'));
      const positions = await append(
        store,
        Array.from({ length: 12 }, (_, i) => accountEvent(`prune-${i}`)),
      );
      const head = positions.at(-1)!;
      // Judged 30 days from now, everything is old; the scheduled job (real now) leaves it alone.
      const opts = {
        maxAgeMs: 7 * DAY,
        mode: 'prune' as const,
        archiveDir: dir,
        now: new Date(Date.now() + 30 * DAY),
      };
      const before = (await store.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;
      const runs = await Promise.all([runRetention(store, opts), runRetention(store, opts)]);
      assert.equal(
        runs.reduce((n, r) => n + r.removed, 0),
        before,
        'every event removed by exactly one of the runs',
      );
      assert.deepEqual(
        runs.map((r) => r.prunedThrough),
        [head, head],
      );
      assert.deepEqual(fs.readdirSync(dir), []);
      const left = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
      assert.equal(left.rows[0]!.n, 0);
      assert.equal(await oldest(), head + 1);
      // The log goes on after a full prune.
      const [next] = await append(store, [accountEvent('after-prune')]);
      assert.equal(next, head + 1);
      const r = await call(svc.url, 'GET', `/v1/events?after=${head}`, { headers: bearer(key) });
      assert.deepEqual(
        (r.body as { events: SeamEvent[] }).events.map((e) => e.position),
        [next],
      );
    });
  });
}
