import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { accessModule } from '../src/access/module.ts';
import { auditModule } from '../src/audit/module.ts';
import { touch } from '../src/audit/touch.ts';
import { verifyChain } from '../src/audit/verify.ts';
import type { Api } from '../src/http/route.ts';
import { PG_ERROR, sqlState, type Store } from '../src/store/types.ts';
import { issueHuman } from './helpers/humans.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { call, startTestService, type TestService } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const routes = (api: Api) => {
  api.add({
    method: 'get',
    path: '/test/accounts/:id',
    summary: 'a read that touches one record',
    tags: ['test'],
    access: { scope: 'read:accounts' },
    params: z.object({ id: z.string() }),
    responses: { 200: { description: 'ok' } },
    handler: ({ params, req }) => {
      touch(req, `accounts/${params.id}`);
      return { id: params.id };
    },
  });
  api.add({
    method: 'post',
    path: '/test/notes',
    summary: 'a write with secrets and personal data in its body',
    tags: ['test'],
    access: { scope: 'write:notes' },
    responses: { 200: { description: 'ok' } },
    handler: () => ({ ok: true }),
  });
};

interface Row {
  seq: number;
  actor_name: string;
  action: string;
  records: string[];
  decision: string;
  reason: string | null;
  status: number | null;
  request_id: string | null;
  input: unknown;
}

for (const target of storeTargets()) {
  describe(`audit trail on ${target.kind}`, () => {
    let store: Store;
    let svc: TestService;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      svc = await startTestService(store, {
        modules: [auditModule, accessModule],
        extraRoutes: routes,
        env: { SEAM_AUDIT_FLUSH_MS: '20' },
      });
      svc.ctx.services.audit!.addSensitiveFields(['email']);
    });
    after(async () => {
      await svc.stop();
      await disposeTestStore(store);
    });

    const rows = async (where = 'true', params: unknown[] = []) => {
      await svc.ctx.services.audit!.flush();
      return (await store.query<Row>(`SELECT * FROM audit_log WHERE ${where} ORDER BY seq`, params)).rows;
    };

    it('records every authenticated request with its route, status, records and request id', async () => {
      const key = await issueKey(store, ['read:accounts'], 'reader-bot');
      const r = await call(svc.url, 'GET', '/test/accounts/004471?fields=name', {
        headers: { ...bearer(key), 'x-request-id': 'req-audit-1' },
      });
      assert.equal(r.status, 200);
      const denied = await call(svc.url, 'POST', '/test/notes', { headers: bearer(key), body: {} });
      assert.equal(denied.status, 403);
      const mine = await rows('actor_name = $1', ['reader-bot']);
      assert.equal(mine.length, 2);
      assert.equal(mine[0]!.action, 'GET /test/accounts/:id');
      assert.deepEqual(mine[0]!.records, ['accounts/004471']);
      assert.equal(mine[0]!.decision, 'allowed');
      assert.equal(mine[0]!.status, 200);
      assert.equal(mine[0]!.request_id, 'req-audit-1');
      assert.deepEqual(mine[0]!.input, { params: { id: '004471' }, query: { fields: 'name' } });
      assert.equal(mine[1]!.action, 'POST /test/notes');
      assert.equal(mine[1]!.decision, 'denied');
      assert.equal(mine[1]!.reason, 'forbidden');
      assert.equal(mine[1]!.status, 403);
    });

    it('masks secrets, registered personal data and keys in recorded input', async () => {
      const key = await issueKey(store, ['write:notes'], 'writer-bot');
      const other = await issueKey(store, [], 'someone-else');
      const r = await call(svc.url, 'POST', '/test/notes', {
        headers: bearer(key),
        body: {
          text: `paste ${other}`,
          password: 'hunter2-hunter2',
          nested: { email: 'a@b.c', apiKey: 'x' },
        },
      });
      assert.equal(r.status, 200);
      const [row] = await rows('actor_name = $1', ['writer-bot']);
      const text = JSON.stringify(row!.input);
      for (const secret of [other, 'hunter2-hunter2', 'a@b.c']) assert.ok(!text.includes(secret), secret);
      assert.deepEqual(row!.input, {
        body: {
          text: 'paste [REDACTED]',
          password: '[REDACTED]',
          nested: { email: '[REDACTED]', apiKey: '[REDACTED]' },
        },
      });
    });

    it('records area actions, in the caller’s transaction or batched, with humans named', async () => {
      const audit = svc.ctx.services.audit!;
      const ana = await issueHuman(store, { name: 'ana-approver', roles: ['approver'] });
      await store.transaction(async (tx) => {
        await audit.recordIn(tx, {
          actor: { kind: 'human', id: ana.id, name: 'ana-approver' },
          action: 'proposal.approve',
          records: ['proposals/p-1', 'accounts/004471'],
          input: { comment: 'fine' },
        });
      });
      await audit.record({
        actor: { kind: 'system', id: 'ingest', name: 'ingest' },
        action: 'ingest.file',
        records: ['accounts/000001'],
        result: { rows: 3 },
      });
      const found = await rows("action IN ('proposal.approve', 'ingest.file')");
      assert.deepEqual(
        found.map((f) => [f.actor_name, f.action]),
        [
          ['ana-approver', 'proposal.approve'],
          ['ingest', 'ingest.file'],
        ],
      );
      // A rolled-back transaction leaves no entry.
      await assert.rejects(
        store.transaction(async (tx) => {
          await audit.recordIn(tx, { actor: { kind: 'system', id: 's', name: 's' }, action: 'rolled.back' });
          throw new Error('abort');
        }),
      );
      assert.equal((await rows("action = 'rolled.back'")).length, 0);
    });

    it('keeps seq gap-free and the chain valid under concurrent writers', async () => {
      const audit = svc.ctx.services.audit!;
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++) {
        const entry = { actor: { kind: 'system' as const, id: 'load', name: 'load' }, action: `load.${i}` };
        writes.push(i % 3 === 0 ? store.transaction((tx) => audit.recordIn(tx, entry)) : audit.record(entry));
      }
      await Promise.all(writes);
      const all = await rows();
      assert.deepEqual(
        all.map((r) => r.seq),
        all.map((_, i) => i + 1),
      );
      const v = await verifyChain(store);
      assert.equal(v.ok, true, JSON.stringify(v));
      assert.equal(v.checked, all.length);
    });

    it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
      for (const sql of [
        "UPDATE audit_log SET action = 'x' WHERE seq = 1",
        'DELETE FROM audit_log WHERE seq = 1',
        'TRUNCATE audit_log',
        'DELETE FROM audit_head',
      ]) {
        const err = await store.query(sql).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.equal(sqlState(err), PG_ERROR.insufficient_privilege, sql);
      }
      assert.equal((await verifyChain(store)).ok, true);
    });

    it('answers GET /v1/audit for auditors only, and reports the chain', async () => {
      const auditor = await issueHuman(store, { roles: ['auditor'] });
      const operator = await issueHuman(store, { roles: ['operator'] });
      const key = await issueKey(store, ['read:accounts']);
      assert.equal((await call(svc.url, 'GET', '/v1/audit', { headers: operator.headers })).status, 403);
      assert.equal((await call(svc.url, 'GET', '/v1/audit', { headers: bearer(key) })).status, 403);
      assert.equal((await call(svc.url, 'GET', '/v1/audit')).status, 401);
      const r = await call(svc.url, 'GET', '/v1/audit?actor=reader-bot&record=accounts/4471', {
        headers: auditor.headers,
      });
      assert.equal(r.status, 200);
      const items = (r.body as { items: { action: string; records: string[] }[] }).items;
      assert.deepEqual(
        items.map((i) => i.action),
        ['GET /test/accounts/:id'],
      );
      const v = await call(svc.url, 'GET', '/v1/audit/verify', { headers: auditor.headers });
      assert.equal((v.body as { ok: boolean }).ok, true);
    });
  });
}
