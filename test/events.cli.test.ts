import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../src/store/types.ts';
import { accountEvent, append } from './helpers/events.ts';
import { runSeam } from './helpers/process.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

// The CLI runs as a real child process against the same database; PGlite cannot be shared with a
// second process, so this runs on PostgreSQL when it is available.
for (const target of storeTargets().filter((t) => t.kind === 'postgres')) {
  describe('seam events (CLI)', () => {
    let store: Store;
    let env: Record<string, string>;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      env = {
        DATABASE_URL: target.url!,
        SEAM_DB_SCHEMA: store.schema,
        SEAM_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'seam-cli-events-')),
      };
    });
    after(() => disposeTestStore(store));

    it('reports the log bounds, refuses retain without an age (2), and archives old events', async () => {
      const positions = await append(store, [accountEvent('c1'), accountEvent('c2'), accountEvent('c3')]);
      await store.query(`UPDATE events SET recorded_at = now() - interval '3 days' WHERE position <= $1`, [
        positions[1],
      ]);
      const status = await runSeam(['events', 'status', '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(JSON.parse(status.stdout), { head: positions[2], oldest: 1, webhooks: {} });

      const noAge = await runSeam(['events', 'retain'], env);
      assert.equal(noAge.code, 2);
      assert.match(noAge.stderr, /SEAM_EVENTS_MAX_AGE is not set/);

      const run = await runSeam(['events', 'retain', '--json'], { ...env, SEAM_EVENTS_MAX_AGE: '1d' });
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { removed: number; prunedThrough: number; files: string[] };
      assert.equal(result.removed, 2);
      assert.equal(result.prunedThrough, positions[1]);
      assert.equal(result.files.length, 1);
      assert.ok(result.files[0]!.startsWith(path.join(env.SEAM_DATA_DIR!, 'events-archive')));
      assert.equal(fs.readFileSync(result.files[0]!, 'utf8').trim().split('\n').length, 2);
    });
  });
}
