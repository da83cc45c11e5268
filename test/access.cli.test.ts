/**
 * `seam keys|users|kill|audit`. A few runs are real child processes (the key printed once, the
 * password on stdin, a kill reaching a running service); the rest run the same program in this
 * process, which is the same code without paying a process start each. The full walk runs on
 * PostgreSQL (with a running service on the same schema); on the embedded store, whose every open
 * costs seconds, one key is created by a child process and read back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findKey } from '../src/access/keys.ts';
import { login } from '../src/access/sessions.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { inProcess } from './helpers/cli.ts';
import { bearer } from './helpers/keys.ts';
import { runSeam } from './helpers/process.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets } from './helpers/store.ts';

const pg = storeTargets().find((t) => t.kind === 'postgres');
const json = (out: string) => JSON.parse(out) as Record<string, unknown>;

/** The full walk needs PostgreSQL: every embedded-store open costs seconds, and there are dozens. */
if (pg)
  describe('seam keys, users, kill and audit commands on postgres', () => {
    let env: Record<string, string>;
    let store: Store;
    let svc: TestService;
    const withDb = <T>(fn: (s: Store) => Promise<T>): Promise<T> => fn(store);
    /** A real `seam` child process. */
    const child = async (args: string[], input?: string) => runSeam(args, env, input);
    const seam = (args: string[]) => inProcess(args, env);
    before(async () => {
      store = await openTestStore(pg!, import.meta.filename);
      env = { DATABASE_URL: pg!.url!, SEAM_DB_SCHEMA: store.schema };
      svc = await startTestService(store);
    });
    after(async () => {
      await svc?.stop();
      if (store) await disposeTestStore(store);
    });

    it('creates a key once (scopes, expiry, rate limit), lists, rotates and revokes it', async () => {
      const created = await child([
        'keys',
        'create',
        '--name',
        'cli-bot',
        '--scopes',
        'read:items,pii:email',
        '--expires',
        '2099-01-01',
        '--rate-limit',
        '30',
        '--json',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const k = json(created.stdout);
      assert.match(String(k.key), /^seam_ak_/);
      assert.deepEqual(k.scopes, ['read:items', 'pii:email']);
      assert.equal(k.rateLimitPerMinute, 30);
      assert.equal(k.expiresAt, '2099-01-01T00:00:00.000Z');
      assert.equal((await withDb((s) => findKey(s, String(k.key))))?.id, k.id);

      const text = await seam(['keys', 'create', '--name', 'plain-bot']);
      assert.equal(text.code, 0);
      assert.match(text.stdout, /^seam_ak_\S+\n/);
      assert.match(text.stdout, /no scopes/);

      const list = await seam(['keys', 'list', '--json']);
      assert.ok(!list.stdout.includes(String(k.key)), 'a listed key never shows its secret');
      assert.ok((json(list.stdout).items as { id: string }[]).some((i) => i.id === k.id));

      const rotated = await seam(['keys', 'rotate', 'cli-bot', '--overlap', '1h', '--json']);
      assert.equal(rotated.code, 0, rotated.stderr);
      const r = json(rotated.stdout) as {
        key: string;
        scopes: string[];
        old: { id: string; expiresAt: string }[];
      };
      assert.deepEqual(r.scopes, ['read:items', 'pii:email']);
      assert.equal(r.old[0]!.id, k.id);
      const left = Date.parse(r.old[0]!.expiresAt) - Date.now();
      assert.ok(left > 50 * 60_000 && left <= 3_600_000, String(left));

      const revoked = await seam(['keys', 'revoke', String(k.id), '--json']);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.ok((json(revoked.stdout).items as { revokedAt: string }[])[0]!.revokedAt);
      assert.equal((await seam(['keys', 'revoke', String(k.id)])).code, 1, 'nothing left to revoke');
    });

    it('refuses bad usage with exit 2', async () => {
      assert.equal((await seam(['keys', 'create', '--name', 'x', '--scopes', 'Read Everything'])).code, 2);
      assert.equal((await seam(['keys', 'create', '--name', 'x', '--expires', 'someday'])).code, 2);
      assert.equal((await seam(['keys', 'create', '--scopes', 'read:items'])).code, 2);
      assert.equal((await child(['users', 'create', '--name', 'nopw'], '')).code, 2);
    });

    it('creates humans with a password from stdin, sets roles, disables them', async () => {
      const made = await child(
        ['users', 'create', '--name', 'una', '--roles', 'approver', '--password-stdin', '--json'],
        'una’s long password\n',
      );
      assert.equal(made.code, 0, made.stderr);
      assert.deepEqual(json(made.stdout).roles, ['approver']);
      assert.ok(
        await withDb((s) => login(s, 'una', 'una’s long password', 60_000)),
        'the password from stdin works',
      );
      const roles = await seam(['users', 'set-roles', 'una', '--roles', 'admin,auditor', '--json']);
      assert.deepEqual(json(roles.stdout).roles, ['admin', 'auditor']);
      assert.equal((await seam(['users', 'set-roles', 'una', '--roles', 'boss'])).code, 2);
      assert.equal((await seam(['users', 'disable', 'una'])).code, 0);
      assert.equal(await withDb((s) => login(s, 'una', 'una’s long password', 60_000)), undefined);
      const list = json((await seam(['users', 'list', '--json'])).stdout).items as {
        name: string;
        disabledAt: string;
      }[];
      assert.ok(list.find((u) => u.name === 'una')?.disabledAt);
    });

    it('kills and revives agents, and a running service obeys the CLI within a second', async () => {
      const made = json(
        (await seam(['keys', 'create', '--name', 'victim', '--scopes', 'read:items', '--json'])).stdout,
      );
      // The running service has cached "nobody is killed"; `/v1/auth/session` refuses agents (403)
      // but only after the kill check, so the code tells which refusal it was.
      const before = await call(svc.url, 'GET', '/v1/auth/session', { headers: bearer(String(made.key)) });
      assert.equal((before.body as { code: string }).code, 'forbidden');
      const k = await child(['kill', '--agent', 'victim', '--reason', 'test', '--json']);
      assert.equal(k.code, 0, k.stderr);
      assert.deepEqual(
        (json(k.stdout).suspensions as { target: string }[]).map((s) => s.target),
        ['name:victim'],
      );
      await new Promise((ok) => setTimeout(ok, 1000));
      const after = await call(svc.url, 'GET', '/v1/auth/session', { headers: bearer(String(made.key)) });
      assert.equal((after.body as { code: string }).code, 'agent_access_suspended');
      assert.equal((await seam(['kill', '--agent', 'nobody-such'])).code, 1);
      const all = await seam(['kill']);
      assert.match(all.stdout, /ALL AGENTS/);
      const off = await seam(['kill', '--off', '--json']);
      assert.deepEqual(json(off.stdout).suspensions, []);
    });

    it('queries, exports and verifies the audit trail of what the commands did', async () => {
      const q = await seam(['audit', 'query', '--action', 'kill.*', '--json']);
      assert.equal(q.code, 0, q.stderr);
      const actions = (json(q.stdout).items as { action: string; actor: { name: string } }[]).map(
        (i) => i.action,
      );
      assert.deepEqual(actions, ['kill.off', 'kill.on', 'kill.on']);
      const csv = await seam(['audit', 'export', '--csv', '--action', 'key.*']);
      const lines = csv.stdout.trim().split('\r\n');
      assert.match(lines[0]!, /^seq,time_utc/);
      assert.deepEqual(
        lines.slice(1).map((l) => l.split(',')[6]),
        ['key.create', 'key.create', 'key.rotate', 'key.revoke', 'key.create'],
      );
      assert.ok(!csv.stdout.includes('seam_ak_'), 'keys never reach the trail');
      const v = await seam(['audit', 'verify']);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /intact/);
      assert.equal((await seam(['audit', 'query', '--from', 'last-week'])).code, 2);
    });
  });

describe('seam keys and audit on an embedded store', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-cli-'));
  const env = { SEAM_DATA_DIR: dir, SEAM_DB_SCHEMA: 'seam', DATABASE_URL: '' };

  it('creates a key in a child process, then finds it and its audit entry in the same folder', async () => {
    const created = await runSeam(
      ['keys', 'create', '--name', 'embedded-bot', '--scopes', 'read:items', '--json'],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const k = json(created.stdout);
    const q = await inProcess(['audit', 'query', '--action', 'key.create', '--json'], env);
    assert.equal(q.code, 0, q.stderr);
    const items = json(q.stdout).items as { records: string[] }[];
    assert.deepEqual(items[0]!.records, [`keys/${String(k.id)}`, 'agents/embedded-bot']);
    const s = await openStore({ schema: 'seam', poolMax: 1, dataDir: dir }, silentLog);
    try {
      assert.equal((await findKey(s, String(k.key)))?.name, 'embedded-bot');
    } finally {
      await s.close();
    }
  });
});
