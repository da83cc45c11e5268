/**
 * Submitting proposals: each bad submission gets its own clear problem+json and leaves nothing
 * behind (no proposal, no event, no audit row of a transition); a retried request never makes two.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Proposal } from '../src/proposals/types.ts';
import type { Store } from '../src/store/types.ts';
import { bearer, issueKey } from './helpers/keys.ts';
import { count, proposeOver, startProposalWorld, type ProposalWorld } from './helpers/proposals.ts';
import { call } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

type Body = Record<string, unknown> & { code?: string; errors?: { path: string }[] };

/** Everything a submission could leave behind. */
async function traces(store: Store) {
  return {
    proposals: await count(store, 'SELECT 1 FROM proposals'),
    events: await count(store, `SELECT 1 FROM events WHERE type LIKE 'seam.proposal.%'`),
    audit: await count(store, `SELECT 1 FROM audit_log WHERE action LIKE 'proposal.%'`),
  };
}

const limit = (creditLimit: unknown, accountNumber: unknown = '004471') => ({
  type: 'set-credit-limit',
  input: { accountNumber, creditLimit },
  reason: 'Customer asked for more headroom for the spring season.',
});

for (const target of storeTargets()) {
  describe(`submitting proposals on ${target.kind}`, () => {
    let store: Store;
    let w: ProposalWorld;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      w = await startProposalWorld(store);
    });
    after(async () => {
      await w.close();
      await disposeTestStore(store);
    });

    /** Submit, expect a problem with this status and code, and that nothing was written. */
    async function refused(
      status: number,
      code: string,
      body: unknown,
      opts: Parameters<typeof proposeOver>[2] = {},
    ) {
      const before = await traces(store);
      const r = await proposeOver(w, body, opts);
      assert.equal(r.status, status, r.text);
      assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal((r.body as Body).code, code, r.text);
      assert.deepEqual(await traces(store), before, 'a refused submission leaves nothing behind');
      return r.body as Body;
    }

    it('unknown type → 422 unknown_proposal_type naming the known ones', async () => {
      const b = await refused(422, 'unknown_proposal_type', {
        type: 'delete-customer',
        input: {},
        reason: 'clean up old data',
      });
      assert.deepEqual(b.knownTypes, [
        'adjust-stock',
        'issue-credit',
        'set-account-status',
        'set-credit-limit',
      ]);
    });

    it('input failing its schema → 400 validation_failed naming the field', async () => {
      const b = await refused(400, 'validation_failed', limit(17000.5));
      assert.deepEqual(
        b.errors?.map((e) => e.path),
        ['input.creditLimit'],
      );
      await refused(400, 'validation_failed', limit('17000.555'));
      await refused(400, 'validation_failed', {
        ...limit('17000'),
        input: { accountNumber: '004471', creditLimit: '1', extra: 1 },
      });
      await refused(400, 'validation_failed', { ...limit('17000'), reason: '' });
    });

    it('a target record that does not exist → 422 target_not_found (the ERP said so)', async () => {
      const b = await refused(422, 'target_not_found', limit('1000.00', '999999'));
      assert.equal(b.target, 'accounts/999999');
    });

    it('a record it cannot apply to → 422 not_applicable; nothing to change → 422 no_change', async () => {
      const closed = await refused(422, 'not_applicable', limit('20000.00', '001098'));
      assert.match(String(closed.detail), /CLOSED/);
      await refused(422, 'no_change', limit('15000', '004471'));
      await refused(422, 'not_applicable', {
        type: 'adjust-stock',
        input: { sku: 'BEA-1727', quantity: -308, reasonCode: 'WO' },
        reason: 'write off the lot',
      });
    });

    it('no Idempotency-Key → 400; a key without the scope for this type → 403', async () => {
      const before = await traces(store);
      const r = await call(w.seam.url, 'POST', '/v1/proposals', {
        body: limit('16000'),
        headers: w.agent.headers,
      });
      assert.equal(r.status, 400);
      assert.equal((r.body as Body).code, 'idempotency_key_required');
      assert.deepEqual(await traces(store), before);
      const narrow = await issueKey(store, ['propose:adjust-stock'], 'stock-agent');
      await refused(403, 'forbidden', limit('16000'), { headers: bearer(narrow) });
      const none = await issueKey(store, ['read:accounts'], 'reader');
      await refused(403, 'forbidden', limit('16000'), { headers: bearer(none) });
    });

    it('a duplicate submission: a retry returns the same proposal, a reused key with another body is refused', async () => {
      const key = `retry-${Date.now()}`;
      const first = await proposeOver(w, limit('16500.00'), { key });
      assert.equal(first.status, 201, first.text);
      const p = first.body as Proposal;
      const afterFirst = await traces(store);

      const retry = await proposeOver(w, limit('16500.00'), { key });
      assert.equal(retry.status, 200);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.equal((retry.body as Proposal).id, p.id);
      assert.deepEqual(await traces(store), afterFirst, 'the retry made nothing new');

      const b = await refused(422, 'idempotency_key_reused', limit('16600.00'), { key });
      assert.equal(b.proposal, p.id);
      // The same thing again under a new key: the open one is named instead of making a twin.
      const dup = await refused(409, 'duplicate_proposal', limit('16500.00'));
      assert.equal(dup.reference, p.reference);
    });

    it('concurrent retries with one key make exactly one proposal', async () => {
      const key = `race-${Date.now()}`;
      const before = await traces(store);
      const all = await Promise.all(
        Array.from({ length: 12 }, () => proposeOver(w, limit('18000.00', '003640'), { key })),
      );
      const ids = new Set(all.map((r) => (r.body as Proposal).id));
      // One made it; every other retry, however it interleaved with that one's commit, gets it back.
      assert.deepEqual(
        all.map((r) => r.status).sort(),
        [...Array.from({ length: 11 }, () => 200), 201],
        all.map((r) => r.text).join('\n'),
      );
      assert.equal(ids.size, 1);
      assert.equal((await traces(store)).proposals, before.proposals + 1);
    });

    it('the same change sent at once under different keys: one proposal, the others 409 duplicate', async () => {
      const before = await traces(store);
      const all = await Promise.all(
        Array.from({ length: 8 }, () => proposeOver(w, limit('18500.00', '005168'))),
      );
      assert.deepEqual(
        all.map((r) => r.status).sort(),
        [201, ...Array.from({ length: 7 }, () => 409)],
        all.map((r) => r.text).join('\n'),
      );
      for (const r of all.filter((x) => x.status === 409))
        assert.equal((r.body as Body).code, 'duplicate_proposal');
      assert.equal((await traces(store)).proposals, before.proposals + 1);
    });

    it('routes by impact: small goes straight to the queue, large needs a named approver then a second', async () => {
      const small = await proposeOver(w, limit('17400.00', '004609'));
      assert.equal(small.status, 201, small.text);
      assert.equal((small.body as Proposal).state, 'queued');
      assert.equal((small.body as Proposal).route.tier, 'small');
      const large = await proposeOver(w, limit('30000.00', '004609'));
      const lp = large.body as Proposal;
      assert.equal(lp.state, 'pending_approval');
      assert.equal(lp.route.tier, 'large');
      assert.deepEqual(lp.route.approvalsNeeded, ['one of dana.named', 'any approver']);
      assert.ok(lp.approvalDueAt);
      // EUR account: 5,800 EUR at 0.85 is 4,930 GBP → medium.
      const eur = await proposeOver(w, limit('28800.00', '001977'));
      assert.equal((eur.body as Proposal).route.tier, 'medium', eur.text);
    });

    it('agents see their own proposals only; people see all', async () => {
      const other = await issueKey(store, ['propose:set-credit-limit'], 'other-agent');
      const mine = await call(w.seam.url, 'GET', '/v1/proposals?limit=200', { headers: bearer(other) });
      assert.equal(mine.status, 200, mine.text);
      assert.equal((mine.body as { items: unknown[] }).items.length, 0);
      const all = await call(w.seam.url, 'GET', '/v1/proposals?limit=200', {
        headers: w.people.operator.headers,
      });
      const items = (all.body as { items: Proposal[] }).items;
      assert.ok(items.length >= 4);
      const one = await call(w.seam.url, 'GET', `/v1/proposals/${items[0]!.id}`, { headers: bearer(other) });
      assert.equal(one.status, 404);
      const types = await call(w.seam.url, 'GET', '/v1/proposals/types', { headers: w.agent.headers });
      assert.equal(types.status, 200);
      const t = (
        types.body as { items: { id: string; inputSchema: { properties: Record<string, unknown> } }[] }
      ).items;
      assert.deepEqual(Object.keys(t.find((x) => x.id === 'adjust-stock')!.inputSchema.properties).sort(), [
        'quantity',
        'reasonCode',
        'sku',
      ]);
    });

    it('is described in the OpenAPI document', async () => {
      const doc = (await call(w.seam.url, 'GET', '/openapi.json')).body as { paths: Record<string, unknown> };
      for (const p of [
        '/v1/proposals',
        '/v1/proposals/{id}/approve',
        '/v1/proposals/report',
        '/v1/mode',
        '/v1/admin/rollback',
      ])
        assert.ok(doc.paths[p], `${p} is documented`);
    });

    it('counts proposals per state, under the list filters; agents count only their own', async () => {
      const made = await proposeOver(w, {
        type: 'set-credit-limit',
        input: { accountNumber: '1375', creditLimit: '4100.00' },
        reason: 'counted',
      });
      assert.equal(made.status, 201, made.text);
      const counts = async (headers: Record<string, string>, q = '') => {
        const r = await call(w.seam.url, 'GET', `/v1/proposals/counts${q}`, { headers });
        assert.equal(r.status, 200, r.text);
        return r.body as { counts: Record<string, number>; total: number };
      };
      const db = async (where = 'true', params: unknown[] = []) =>
        Object.fromEntries(
          (
            await store.query<{ state: string; n: number }>(
              `SELECT state, count(*)::int AS n FROM proposals WHERE ${where} GROUP BY state`,
              params,
            )
          ).rows.map((r) => [r.state, r.n]),
        );
      const everyone = await counts(w.people.operator.headers);
      const want = await db();
      for (const [state, n] of Object.entries(everyone.counts)) assert.equal(n, want[state] ?? 0, state);
      assert.equal(
        everyone.total,
        Object.values(want).reduce((a, b) => a + b, 0),
      );
      // One account, typed without its leading zeros.
      const one = await counts(w.people.operator.headers, '?target=accounts/1375');
      assert.deepEqual(
        Object.fromEntries(Object.entries(one.counts).filter(([, n]) => n > 0)),
        await db("resource = 'accounts' AND target_key = $1", ['001375']),
      );
      // Another agent with the same scopes has proposed nothing: it sees no one else's.
      const other = bearer(await issueKey(store, ['propose:set-credit-limit'], 'other-agent'));
      assert.equal((await counts(other)).total, 0);
      assert.ok((await counts(w.agent.headers)).total >= 1);
    });

    it('read-only mode refuses new proposals', async () => {
      await w.proposals.setMode({ kind: 'human', id: w.people.admin.id, name: 'adam.admin' }, 'read-only');
      try {
        await refused(409, 'read_only_mode', limit('19000.00', '006984'));
      } finally {
        await w.proposals.setMode({ kind: 'human', id: w.people.admin.id, name: 'adam.admin' }, 'proposal');
      }
      assert.deepEqual(w.sim.stats().writes, []);
    });
  });
}
