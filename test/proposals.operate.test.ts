/**
 * What operators do, and what they cannot: carry out something unapproved, unclaimed or stale,
 * claim what someone else claimed (concurrent claims: exactly one wins), carry out what they
 * approved themselves. Each refusal is a clear problem+json that changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markStaleProposals } from '../src/proposals/sweep.ts';
import type { Proposal } from '../src/proposals/types.ts';
import { runVerifications } from '../src/proposals/verify.ts';
import type { Store } from '../src/store/types.ts';
import { issueHuman, type IssuedHuman } from './helpers/humans.ts';
import { act, proposeOver, startProposalWorld, type ProposalWorld } from './helpers/proposals.ts';
import { call } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

type Problemish = { code: string; detail?: string };

for (const target of storeTargets()) {
  describe(`operating proposals on ${target.kind}`, () => {
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

    async function trace(id: string) {
      const p = await store.query('SELECT * FROM proposals WHERE id = $1', [id]);
      const a = await store.query('SELECT * FROM proposal_approvals WHERE proposal_id = $1 ORDER BY step', [
        id,
      ]);
      const e = await store.query('SELECT position FROM events WHERE subject = $1', [`proposals/${id}`]);
      return JSON.stringify([p.rows, a.rows, e.rows]);
    }
    async function refused(
      who: IssuedHuman,
      id: string,
      verb: string,
      status: number,
      code: string,
      body?: unknown,
    ) {
      const before = await trace(id);
      const r = await act(w, who, id, verb, body);
      assert.equal(r.status, status, r.text);
      assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal((r.body as Problemish).code, code, r.text);
      assert.equal(await trace(id), before, `${verb} refused with ${code} changed nothing`);
      return r.body as Problemish;
    }
    async function propose(
      input: Record<string, unknown>,
      type = 'set-credit-limit',
      headers = w.agent.headers,
    ) {
      const r = await proposeOver(
        w,
        { type, input, reason: 'Agreed with the customer by phone.' },
        { headers },
      );
      assert.equal(r.status, 201, r.text);
      return r.body as Proposal;
    }
    const readLive = (resource: string, key: string) =>
      call(w.seam.url, 'GET', `/v1/${resource}/${key}?consistency=live`, { headers: w.agent.headers });

    it('executing an unapproved proposal is refused; so is claiming it', async () => {
      const p = await propose({ accountNumber: '003679', creditLimit: '32000.00' });
      assert.equal(p.state, 'pending_approval');
      await refused(w.people.operator, p.id, 'execute', 409, 'not_approved', { reference: 'TXN 9' });
      await refused(w.people.operator, p.id, 'claim', 409, 'not_approved');
    });

    it('executing a queued proposal nobody claimed is refused: claim it first', async () => {
      const p = await propose({ accountNumber: '006381', creditLimit: '11200.00' });
      assert.equal(p.state, 'queued');
      await refused(w.people.operator, p.id, 'execute', 409, 'not_claimed', { reference: 'TXN 9' });
    });

    it('concurrent operators claiming the same proposal: exactly one wins', async () => {
      const p = await propose({ accountNumber: '004282', creditLimit: '1300.00' });
      const claims = await Promise.all(
        [
          w.people.operator,
          w.people.operator2,
          w.people.operator,
          w.people.operator2,
          w.people.operator2,
        ].map((o) => act(w, o, p.id, 'claim')),
      );
      const won = claims.filter((c) => c.status === 200);
      assert.equal(won.length, 1, claims.map((c) => c.text).join('\n'));
      for (const c of claims.filter((x) => x.status !== 200)) {
        assert.equal(c.status, 409);
        assert.ok(['already_claimed', 'invalid_state'].includes((c.body as Problemish).code), c.text);
      }
      const winner = (won[0]!.body as Proposal).claimedBy!.name;
      const row = await store.query<{ claimed_by_name: string }>(
        'SELECT claimed_by_name FROM proposals WHERE id = $1',
        [p.id],
      );
      assert.equal(row.rows[0]!.claimed_by_name, winner);
      const claimedEvents = await store.query(
        `SELECT 1 FROM events WHERE subject = $1 AND type = 'seam.proposal.claimed'`,
        [`proposals/${p.id}`],
      );
      assert.equal(claimedEvents.rowCount, 1);
      // The loser cannot carry it out either.
      const loser = winner === 'olga.operator' ? w.people.operator2 : w.people.operator;
      const b = await refused(loser, p.id, 'execute', 409, 'claimed_by_other', { reference: 'TXN 1' });
      assert.match(b.detail ?? '', new RegExp(winner));
    });

    it('a stale proposal cannot be approved, claimed or carried out until re-checked', async () => {
      const p = await propose({ accountNumber: '006984', creditLimit: '23300.00' });
      assert.equal(p.state, 'queued');
      const pending = await propose({ sku: 'BOL-9076', quantity: -10, reasonCode: 'WO' }, 'adjust-stock');
      assert.equal(pending.state, 'pending_approval');
      w.sim.data.updateItem('BOL-9076', { QTY_ON_HAND: '    360' });
      assert.equal((await readLive('items', 'BOL-9076')).status, 200);
      // Someone changes the limit in the ERP; seam learns it (a live read, as a poll would).
      w.sim.data.updateAccount('006984', { CR_LIMIT: '0000024000.00' });
      assert.equal((await readLive('accounts', '006984')).status, 200);
      assert.equal(await markStaleProposals(w.proposals.deps), 2);
      await refused(w.people.approver, pending.id, 'approve', 409, 'proposal_stale');
      const cur = (
        await call(w.seam.url, 'GET', `/v1/proposals/${p.id}`, { headers: w.people.operator.headers })
      ).body as Proposal;
      assert.equal(cur.stale, true);
      await refused(w.people.operator, p.id, 'claim', 409, 'proposal_stale');
      await refused(w.people.operator, p.id, 'execute', 409, 'proposal_stale', { reference: 'TXN 1' });

      // Re-check: 24,000 → 23,300 is now a 700 decrease: medium tier, so it goes back for approval.
      const re = await act(w, w.people.operator, p.id, 'recheck');
      assert.equal(re.status, 200, re.text);
      const rp = re.body as Proposal;
      assert.equal(rp.stale, false);
      assert.equal(rp.state, 'pending_approval');
      assert.equal(rp.impact.amount, '-700.00');
      assert.deepEqual(rp.changes, [{ field: 'creditLimit', before: '24000.00', after: '23300.00' }]);
      await refused(w.people.operator, p.id, 'claim', 409, 'not_approved');
    });

    it('a change to a field the proposal does not depend on only moves its pin', async () => {
      const p = await propose({ accountNumber: '003161', creditLimit: '34300.00' });
      w.sim.data.updateAccount('003161', { CUR_BAL: '0000000999.99' });
      await readLive('accounts', '003161');
      assert.equal(await markStaleProposals(w.proposals.deps), 0);
      const claimed = await act(w, w.people.operator, p.id, 'claim');
      assert.equal(claimed.status, 200, claimed.text);
      assert.ok((claimed.body as Proposal).basedOn.version > p.basedOn.version);
      assert.equal((await act(w, w.people.operator, p.id, 'release', { reason: 'lunch' })).status, 200);
    });

    it('a record that changes between the sweep and the claim is caught by the claim itself', async () => {
      const p = await propose({ sku: 'BRA-5796', quantity: 4, reasonCode: 'FD' }, 'adjust-stock');
      w.sim.data.updateItem('BRA-5796', { QTY_ON_HAND: '    520' });
      await readLive('items', 'BRA-5796');
      const r = await act(w, w.people.operator, p.id, 'claim');
      assert.equal(r.status, 409, r.text);
      assert.equal((r.body as Problemish).code, 'proposal_stale');
      const row = await store.query<{ state: string; stale: boolean }>(
        'SELECT state, stale FROM proposals WHERE id = $1',
        [p.id],
      );
      assert.deepEqual(row.rows[0], { state: 'queued', stale: true });
    });

    it('four eyes: whoever approved may not carry it out; the proposer may not either', async () => {
      const both = await issueHuman(store, { name: 'bea.both', roles: ['operator', 'approver'] });
      const p = await propose({ accountNumber: '007473', creditLimit: '31000.00' });
      assert.equal((await act(w, both, p.id, 'approve')).status, 200);
      await refused(both, p.id, 'claim', 403, 'four_eyes');
      const own = await propose(
        { accountNumber: '005599', creditLimit: '42100.00' },
        'set-credit-limit',
        w.people.operator.headers,
      );
      await refused(w.people.operator, own.id, 'claim', 403, 'maker_checker');
    });

    it('an operator may carry it out differently (an edit), fail it with a reason, or give it back', async () => {
      const p = await propose({ accountNumber: '006681', creditLimit: '3400.00' });
      assert.equal((await act(w, w.people.operator, p.id, 'claim')).status, 200);
      await refused(w.people.operator, p.id, 'execute', 422, 'edit_changes_target', {
        reference: 'TXN 2',
        edits: { accountNumber: '006682' },
      });
      await refused(w.people.operator, p.id, 'execute', 400, 'validation_failed', {
        reference: 'TXN 2',
        edits: { creditLimit: 'lots' },
      });
      // The customer agreed to 3,300 on the phone; the operator enters that.
      w.sim.data.updateAccount('006681', { CR_LIMIT: '0000003300.00' });
      const done = await act(w, w.people.operator, p.id, 'execute', {
        reference: 'TXN 00077001',
        note: 'customer asked for 3,300',
        edits: { creditLimit: '3300' },
      });
      assert.equal(done.status, 200, done.text);
      assert.deepEqual((done.body as Proposal).execution?.edits, { creditLimit: '3300.00' });
      await runVerifications(w.proposals.deps);
      const v = (
        await call(w.seam.url, 'GET', `/v1/proposals/${p.id}`, { headers: w.people.operator.headers })
      ).body as Proposal;
      assert.equal(v.state, 'verified', JSON.stringify(v.verification));

      const q = await propose({ sku: 'COU-5125', quantity: -3, reasonCode: 'DM' }, 'adjust-stock');
      assert.equal((await act(w, w.people.operator2, q.id, 'claim')).status, 200);
      await refused(w.people.operator, q.id, 'fail', 409, 'claimed_by_other', { reason: 'not mine' });
      const failed = await act(w, w.people.operator2, q.id, 'fail', {
        reason: 'IC20 refused: period closed',
      });
      assert.equal((failed.body as Proposal).state, 'failed');
      assert.equal((failed.body as Proposal).outcome?.reason, 'IC20 refused: period closed');
      assert.deepEqual(w.sim.stats().writes, [], 'no path here called a write operation');
    });
  });
}
