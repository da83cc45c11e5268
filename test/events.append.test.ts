import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appendEvents } from '../src/events/append.ts';
import type { Store } from '../src/store/types.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

for (const target of storeTargets()) {
  describe(`appending events on ${target.kind}`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
    });
    after(() => disposeTestStore(store));

    it('hands out consecutive positions and rolls them back with the transaction', async () => {
      const ev = (n: number) => ({
        source: 'test',
        type: 'test.thing.created',
        subject: `things/${n}`,
        data: { n },
        aggregateType: 'things',
        aggregateId: String(n),
      });
      const a = await store.transaction((tx) => appendEvents(tx, [ev(1), ev(2)]));
      assert.deepEqual(a, [1, 2]);
      await assert.rejects(
        store.transaction(async (tx) => {
          await appendEvents(tx, [ev(3)]);
          throw new Error('abort');
        }),
      );
      const b = await store.transaction((tx) => appendEvents(tx, [ev(4)]));
      assert.deepEqual(b, [3], 'no gap left by the rolled-back append');
      const rows = await store.query<{ position: number; subject: string }>(
        'SELECT position, subject FROM events ORDER BY position',
      );
      assert.deepEqual(rows.rows, [
        { position: 1, subject: 'things/1' },
        { position: 2, subject: 'things/2' },
        { position: 3, subject: 'things/4' },
      ]);
    });
  });
}
