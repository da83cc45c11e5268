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
