import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accessModule } from '../src/access/module.ts';
import { createLegacyModule } from '../src/legacy/module.ts';
import { createRecordsModule } from '../src/records/module.ts';
import type { Store } from '../src/store/types.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { serveSeam } from './helpers/process.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

for (const target of storeTargets()) {
  describe(`no legacy endpoint configured, on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      // The configured adapters (adapters/defaults.ts), loaded the way `seam serve` loads them.
      svc = await startTestService(store, {
        modules: [accessModule, createLegacyModule(), createRecordsModule()],
        env: { SEAM_LEGACY_POLL: 'false', SEAM_SIMULATOR_LATENCY_MS: '0' },
      });
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });

    it('starts the adapter’s simulator on loopback and reads accounts and items from it', async () => {
      const key = await issueKey(store, ['read:accounts', 'read:items']);
      const systems = await call(svc.url, 'GET', '/v1/systems', { headers: bearer(key) });
      const s = (systems.body as { systems: { legacy: { endpoint: string } }[] }).systems[0]!;
      assert.equal(s.legacy.endpoint, 'simulator');
      const a = await call(svc.url, 'GET', '/v1/accounts/004471', { headers: bearer(key) });
      assert.equal(a.status, 200);
      assert.equal((a.body as { data: { name: string } }).data.name, 'NORTHWIND TRADING LTD');
      const i = await call(svc.url, 'GET', '/v1/items/BEA-1727?consistency=live', { headers: bearer(key) });
      assert.equal(i.status, 200);
      assert.match(svc.logs(), /started the simulator on loopback/);
    });
  });
}

for (const target of storeTargets()) {
  describe(`the first start on a fresh store, on ${target.kind}`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
    });
    after(() => disposeTestStore(store));
    const start = () =>
      startTestService(store, {
        modules: [accessModule, createLegacyModule(), createRecordsModule()],
        env: { SEAM_LEGACY_POLL_AT_START: 'true', SEAM_SIMULATOR_LATENCY_MS: '0' },
      });
    const count = async (resource: string) =>
      (
        await store.query<{ n: number }>('SELECT count(*)::int AS n FROM records WHERE resource = $1', [
          resource,
        ])
      ).rows[0]!.n;

    it('polls every resource once at start, so agents find records at once; a restart waits for the schedule', async () => {
      const first = await start();
      try {
        const key = await issueKey(store, ['read:accounts', 'read:items']);
        for (let i = 0; i < 600 && ((await count('accounts')) < 50 || (await count('items')) < 50); i++)
          await new Promise((r) => setTimeout(r, 50));
        assert.equal(await count('accounts'), 50, 'every account of the simulator');
        assert.equal(await count('items'), 50, 'every item of the simulator');
        const page = await call(first.url, 'GET', '/v1/accounts?limit=5', { headers: bearer(key) });
        assert.equal((page.body as { items: unknown[] }).items.length, 5);
        await first.ctx.services.recordPoller!.firstPolls();
        assert.match(first.logs(), /first poll of a new store/);
      } finally {
        await first.stop();
      }
      const polls = () =>
        store
          .query('SELECT system, resource, last_started_at FROM record_polls ORDER BY 1, 2')
          .then((r) => r.rows);
      const before = await polls();
      const second = await start();
      await second.ctx.services.recordPoller!.firstPolls();
      await second.stop();
      assert.deepEqual(await polls(), before, 'polled before: a restart leaves it to the schedule');
      assert.doesNotMatch(second.logs(), /first poll of a new store/);
    });
  });
}

describe('seam serve with no legacy endpoint (what `npm start` does)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-sim-'));
  it('serves with the simulator, shows the legacy check on /readyz, and stops cleanly', async () => {
    const served = await serveSeam({
      SEAM_DATA_DIR: dataDir,
      DATABASE_URL: undefined,
      SEAM_LEGACY_URL: undefined,
      SEAM_LEGACY_POLL: 'false',
    });
    try {
      const ready = (await (await fetch(served.url + '/readyz')).json()) as {
        checks: Record<string, { status: string }>;
      };
      assert.equal(ready.checks['legacy:erp']?.status, 'ok');
      assert.match(served.output(), /started the simulator on loopback/);
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await served.exited, 0);
    }
  });
});
