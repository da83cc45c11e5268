/**
 * Batched audit writes lose nothing that was answered: a real `seam serve` child holds its entries
 * in memory (long flush interval), gets SIGTERM while requests are still arriving, and afterwards
 * every request that got an answer is in the trail.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { issueHuman } from './helpers/humans.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { serveSeam } from './helpers/process.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets, uniqueSchema } from './helpers/store.ts';

for (const target of storeTargets()) {
  describe(`audit flush on SIGTERM of seam serve on ${target.kind}`, () => {
    let env: Record<string, string>;
    let reopen: () => Promise<Store>;
    let store: Store;
    before(async () => {
      if (target.kind === 'postgres') {
        const schema = uniqueSchema(import.meta.filename);
        store = await openTestStore(target, import.meta.filename, { schema });
        env = { DATABASE_URL: target.url!, SEAM_DB_SCHEMA: schema };
        reopen = async () => store;
      } else {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-shutdown-'));
        const open = async () => {
          const s = await openStore({ schema: 'seam', poolMax: 1, dataDir: dir }, silentLog);
          await migrate(s, silentLog);
          return s;
        };
        store = await open();
        env = { SEAM_DATA_DIR: dir, DATABASE_URL: '' };
        reopen = open;
      }
    });
    after(async () => {
      await disposeTestStore(store);
    });

    it('finds every answered request in the audit trail after SIGTERM', async () => {
      const key = await issueKey(store, ['read:items'], 'shutdown-bot');
      const human = await issueHuman(store, { name: 'sam', roles: ['auditor'] });
      if (store.kind === 'pglite') await store.close(); // one process at a time on an embedded store
      const served = await serveSeam({
        ...env,
        // Hold entries in memory: only the shutdown flush can save them.
        SEAM_AUDIT_FLUSH_MS: '10000',
        SEAM_AUDIT_BATCH_MAX: '10000',
        SEAM_SHUTDOWN_TIMEOUT_MS: '10000',
      });
      const answered: string[] = [];
      let n = 0;
      const one = async () => {
        const id = `shutdown-${++n}`;
        const headers = n % 2 ? human.headers : bearer(key);
        try {
          const r = await fetch(`${served.url}/v1/auth/session`, {
            headers: { ...headers, 'x-request-id': id },
          });
          await r.text();
          answered.push(id);
        } catch {
          // refused after the listener closed: never answered, so nothing to find
        }
      };
      for (let i = 0; i < 20; i++) await one();
      if (store.kind === 'postgres') {
        const early = await store.query('SELECT 1 FROM audit_log WHERE request_id LIKE $1', ['shutdown-%']);
        assert.equal(early.rowCount, 0, 'entries were still batched in memory');
      }
      // Keep requests coming while the process is told to stop.
      let stop = false;
      const load = (async () => {
        while (!stop) await one();
      })();
      await new Promise((ok) => setTimeout(ok, 50));
      served.child.kill('SIGTERM');
      const code = await served.exited;
      stop = true;
      await load;
      assert.equal(code, 0, served.output());
      assert.ok(answered.length >= 20);

      store = await reopen();
      const rows = await store.query<{ request_id: string; actor_name: string; decision: string }>(
        'SELECT request_id, actor_name, decision FROM audit_log WHERE request_id LIKE $1',
        ['shutdown-%'],
      );
      const found = new Set(rows.rows.map((r) => r.request_id));
      const lost = answered.filter((id) => !found.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${answered.length} answered requests missing`);
      assert.ok(rows.rows.some((r) => r.actor_name === 'shutdown-bot' && r.decision === 'denied'));
      assert.ok(rows.rows.some((r) => r.actor_name === 'sam' && r.decision === 'allowed'));
    });
  });
}
