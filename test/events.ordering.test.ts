/**
 * Positions must never let a reader miss an event. A sequence fails this: a writer that took 5 may
 * commit after one that took 6, and a reader already past 6 never sees 5. These tests commit out of
 * order on purpose and check that a reader resuming from its last position sees every event exactly
 * once, in order.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { appendEvents } from '../src/events/append.ts';
import type { SeamEvent } from '../src/events/types.ts';
import type { Store } from '../src/store/types.ts';
import { accountEvent, EVENTS_TEST_ENV, until } from './helpers/events.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

interface Page {
  events: SeamEvent[];
  next: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const target of storeTargets()) {
  describe(`event positions under concurrent writers on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    let key: string;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, { env: EVENTS_TEST_ENV });
      key = await issueKey(store, ['events:read']);
    });
    after(async () => {
      await svc?.stop();
      await disposeTestStore(store);
    });

    /** A reader that follows the feed from `from`, keeping every event it is given. */
    function follow(from: number) {
      const got: SeamEvent[] = [];
      let cursor = from;
      let stop = false;
      const done = (async () => {
        while (!stop) {
          const r = await call(svc.url, 'GET', `/v1/events?after=${cursor}&limit=7&wait=0.2`, {
            headers: bearer(key),
          });
          assert.equal(r.status, 200, r.text);
          const page = r.body as Page;
          got.push(...page.events);
          cursor = page.next;
        }
      })();
      return {
        got,
        poll: async () => {
          const r = await call(svc.url, 'GET', `/v1/events?after=${cursor}&limit=1000`, {
            headers: bearer(key),
          });
          return (r.body as Page).events;
        },
        stop: async () => {
          stop = true;
          await done;
        },
      };
    }

    const head = async () =>
      (await store.query<{ last_position: number }>('SELECT last_position FROM event_log_head')).rows[0]!
        .last_position;

    if (target.kind === 'postgres') {
      it('a writer that appended first but commits last never lets a reader skip its events', async () => {
        const start = await head();
        const tag = randomBytes(4).toString('hex');
        let releaseFirst!: () => void;
        const firstMayCommit = new Promise<void>((r) => (releaseFirst = r));
        let firstAppended!: () => void;
        const appended = new Promise<void>((r) => (firstAppended = r));
        // Writer A appends first and then holds its transaction open.
        const a = store.transaction(async (tx) => {
          const p = await appendEvents(tx, [accountEvent(`A-${tag}`)]);
          firstAppended();
          await firstMayCommit;
          return p;
        });
        await appended;
        // Writer B appends later and tries to commit first.
        const app = `writer_b_${tag}`;
        const b = store.transaction(async (tx) => {
          await tx.query(`SET LOCAL application_name = '${app}'`);
          return appendEvents(tx, [accountEvent(`B-${tag}`), accountEvent(`B2-${tag}`)]);
        });
        // B is now blocked behind A (it cannot take a position before A commits).
        await until(async () => {
          const r = await store.query<{ wait_event_type: string | null }>(
            'SELECT wait_event_type FROM pg_stat_activity WHERE application_name = $1',
            [app],
          );
          return r.rows[0]?.wait_event_type === 'Lock';
        }, 'writer B to wait for writer A');
        // A reader polling now sees neither: nothing after A's uncommitted position is visible.
        const reader = follow(start);
        assert.deepEqual(await reader.poll(), []);
        releaseFirst();
        const [pa] = await a;
        const pb = await b;
        assert.deepEqual([pa, ...pb], [start + 1, start + 2, start + 3], 'positions follow commit order');
        await until(() => reader.got.length >= 3, 'the reader to see all three');
        await reader.stop();
        assert.deepEqual(
          reader.got.map((e) => e.subject),
          [`accounts/A-${tag}`, `accounts/B-${tag}`, `accounts/B2-${tag}`],
        );
      });

      it('a transaction that began first but appends after a later one commits gets the later position', async () => {
        const start = await head();
        const reader = follow(start);
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const early = store.transaction(async (tx) => {
          await tx.query('SELECT 1');
          await gate;
          return appendEvents(tx, [accountEvent('early')]);
        });
        const late = await store.transaction((tx) => appendEvents(tx, [accountEvent('late')]));
        await until(() => reader.got.length >= 1, 'the reader to see the late writer');
        release();
        const e = await early;
        await until(() => reader.got.length >= 2, 'the reader to see the early writer');
        await reader.stop();
        assert.deepEqual(late, [start + 1]);
        assert.deepEqual(e, [start + 2]);
        assert.deepEqual(
          reader.got.map((x) => x.subject),
          ['accounts/late', 'accounts/early'],
        );
      });
    }

    it('many writers with random commit delays: a following reader gets every event once, in order', async () => {
      const start = await head();
      const reader = follow(start);
      const committed: string[] = [];
      await Promise.all(
        Array.from({ length: 4 }, (_, w) =>
          (async () => {
            for (let i = 0; i < 15; i++) {
              const ids = await store.transaction(async (tx) => {
                const events = [accountEvent(`w${w}-${i}-a`), accountEvent(`w${w}-${i}-b`)];
                await appendEvents(tx, events);
                // Hold the transaction a little so commits interleave with reads and other writers.
                if (target.kind === 'postgres') await sleep(Math.random() * 8);
                return events.map((e) => e.subject!);
              });
              committed.push(...ids);
            }
          })(),
        ),
      );
      const total = 4 * 15 * 2;
      await until(() => reader.got.length >= total, `the reader to get ${total} events`, 30_000);
      await reader.stop();
      assert.deepEqual(
        reader.got.map((e) => e.position),
        Array.from({ length: total }, (_, i) => start + 1 + i),
        'gap-free, in order, none twice',
      );
      assert.deepEqual(reader.got.map((e) => e.subject).sort(), committed.sort());
      // Each writer's two events are adjacent: a transaction's events are never interleaved.
      for (let i = 0; i < total; i += 2) {
        const [a, b] = [reader.got[i]!.subject!, reader.got[i + 1]!.subject!];
        assert.equal(a.replace(/-a$/, ''), b.replace(/-b$/, ''));
      }
    });
  });
}
