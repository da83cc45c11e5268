/**
 * A revoked key, an ended session or a changed user reaches every seam process on the schema at
 * commit (NOTIFY on ./src/access/changes.ts's channel), not only when the other process's cache
 * entry runs out. On PostgreSQL the "other process" is a second pool on the same schema; on PGlite
 * both share the one embedded database. The resolvers here run on a frozen clock, so their cache
 * entries never run out: only the announcement can make them look again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminRevokeKey, adminSetDisabled, adminSetRoles } from '../src/access/admin.ts';
import { keyResolver, type KeyResolver } from '../src/access/authorize.ts';
import { onAccessChange } from '../src/access/changes.ts';
import { accessModule } from '../src/access/module.ts';
import { revokeSession, sessionResolver, type SessionResolver } from '../src/access/sessions.ts';
import type { Store } from '../src/store/types.ts';
import { issueHuman } from './helpers/humans.ts';
import { issueKey } from './helpers/keys.ts';
import { startTestService, type TestService } from './helpers/service.ts';
import {
  closePeerStore,
  disposeTestStore,
  openPeerStore,
  openTestStore,
  storeTargets,
} from './helpers/store.ts';

const admin = { kind: 'human' as const, id: 'test-admin', name: 'test.admin' };

async function eventually(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const target of storeTargets()) {
  describe(`credential changes reach the other process at once on ${target.kind}`, () => {
    let storeA: Store;
    let storeB: Store;
    let keysB: KeyResolver;
    let sessionsB: SessionResolver;
    let unlisten: () => Promise<void>;
    const frozen = Date.now();

    before(async () => {
      storeA = await openTestStore(target, import.meta.filename);
      storeB = await openPeerStore(target, storeA, import.meta.filename);
      keysB = keyResolver(storeB, () => frozen);
      sessionsB = sessionResolver(storeB, () => frozen);
      unlisten = await onAccessChange(storeB, () => {
        keysB.clear();
        sessionsB.clear();
      });
    });
    after(async () => {
      await unlisten?.();
      await closePeerStore(storeB, storeA);
      await disposeTestStore(storeA);
    });

    it('a key revoked through one process is refused by the other', async () => {
      const key = await issueKey(storeA, ['read:accounts'], 'revoked-agent');
      const other = await issueKey(storeA, ['read:accounts'], 'other-agent');
      assert.equal((await keysB.resolve(key))?.name, 'revoked-agent', 'cached in B');
      assert.equal((await keysB.resolve(other))?.name, 'other-agent');
      await adminRevokeKey({ store: storeA, actor: admin }, 'revoked-agent');
      await eventually('B refuses the revoked key', async () => (await keysB.resolve(key)) === undefined);
      assert.equal((await keysB.resolve(other))?.name, 'other-agent', 'other keys still work');
    });

    it('a logout, a role change and a disabled user reach the other process', async () => {
      const ended = await issueHuman(storeA, { roles: ['operator'] });
      assert.ok(await sessionsB.resolve(ended.token));
      await revokeSession(storeA, ended.token);
      await eventually(
        'B ends the session',
        async () => (await sessionsB.resolve(ended.token)) === undefined,
      );

      const person = await issueHuman(storeA, { roles: ['operator'] });
      assert.deepEqual((await sessionsB.resolve(person.token))?.roles, ['operator']);
      await adminSetRoles({ store: storeA, actor: admin }, person.name, ['approver']);
      await eventually('B sees the new roles', async () => {
        const p = await sessionsB.resolve(person.token);
        return JSON.stringify(p?.roles) === JSON.stringify(['approver']);
      });
      await adminSetDisabled({ store: storeA, actor: admin }, person.name, true);
      await eventually(
        'B refuses the disabled user',
        async () => (await sessionsB.resolve(person.token)) === undefined,
      );
    });
  });

  describe(`a running service listens for credential changes on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, { modules: [accessModule] });
    });
    after(async () => {
      await svc?.stop();
      await disposeTestStore(store);
    });

    it('drops its cached keys and sessions when another process revokes a key', async () => {
      const keys = svc.ctx.services.keys!;
      const sessions = svc.ctx.services.sessions!;
      let cleared = 0;
      const clearKeys = keys.clear.bind(keys);
      const clearSessions = sessions.clear.bind(sessions);
      keys.clear = () => {
        cleared++;
        clearKeys();
      };
      sessions.clear = () => {
        cleared++;
        clearSessions();
      };
      await issueKey(store, ['read:accounts'], 'svc-agent');
      await adminRevokeKey({ store, actor: admin }, 'svc-agent');
      await eventually('the service cleared both caches', () => cleared >= 2);
    });
  });
}
