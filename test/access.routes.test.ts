/**
 * Every route the real service registers (all default modules, whoever wrote them) declares an
 * access rule, and every non-public one refuses a caller without credentials (401), and callers
 * with credentials but no rights: an agent key with no scopes and a human with no roles (403).
 * New routes are covered automatically.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HUMAN_ROLES } from '../src/access/users.ts';
import type { AccessRule } from '../src/access/types.ts';
import type { Store } from '../src/store/types.ts';
import { issueHuman } from './helpers/humans.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

function wellFormed(rule: AccessRule): boolean {
  if ('public' in rule) return typeof rule.public === 'string' && rule.public.trim().length >= 3;
  if ('scope' in rule)
    return (
      typeof rule.scope === 'function' || (typeof rule.scope === 'string' && /^[a-z]+:\S+$/.test(rule.scope))
    );
  if ('roles' in rule) return rule.roles.length > 0 && rule.roles.every((r) => HUMAN_ROLES.includes(r));
  if ('anyOf' in rule) return rule.anyOf.length > 0 && rule.anyOf.every(wellFormed);
  return false;
}

const isPublic = (rule: AccessRule): boolean =>
  'public' in rule || ('anyOf' in rule && rule.anyOf.some(isPublic));

for (const target of storeTargets()) {
  describe(`every registered route is guarded, on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store); // the default modules, as `seam serve` loads them
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });

    it('has routes from the access and audit areas at least', () => {
      const paths = svc.api.routes.map((r) => `${r.method} ${r.path}`);
      for (const p of ['post /v1/auth/login', 'post /v1/admin/kill', 'get /v1/audit', 'post /v1/admin/keys'])
        assert.ok(paths.includes(p), p);
    });

    it('declares a well-formed access rule on each route', () => {
      for (const r of svc.api.routes)
        assert.ok(
          r.access && wellFormed(r.access),
          `${r.method.toUpperCase()} ${r.path}: ${JSON.stringify(r.access)}`,
        );
    });

    it('refuses every non-public route without credentials (401), with a scopeless key and a roleless human (403)', async () => {
      const key = await issueKey(store, [], 'no-scopes');
      const human = await issueHuman(store, { roles: [] });
      const guarded = svc.api.routes.filter((r) => !isPublic(r.access));
      assert.ok(guarded.length > 0);
      for (const r of guarded) {
        const path = r.path.replace(/:([A-Za-z_]+)/g, 'x1');
        const label = `${r.method.toUpperCase()} ${r.path}`;
        const anon = await call(svc.url, r.method.toUpperCase(), path);
        assert.equal(anon.status, 401, `${label} without credentials: ${anon.text}`);
        const garbage = await call(svc.url, r.method.toUpperCase(), path, {
          headers: bearer('seam_ak_nope'),
        });
        assert.equal(garbage.status, 401, `${label} with a malformed key`);
        const agent = await call(svc.url, r.method.toUpperCase(), path, { headers: bearer(key) });
        assert.equal(agent.status, 403, `${label} with a key without scopes: ${agent.text}`);
        const nobody = await call(svc.url, r.method.toUpperCase(), path, { headers: human.headers });
        assert.equal(nobody.status, 403, `${label} with a human without roles: ${nobody.text}`);
      }
    });
  });
}
