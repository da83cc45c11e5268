/**
 * Approvals, and the clock: maker ≠ checker, agents never approve, nobody approves twice, the named
 * approver comes first, and proposals left too long escalate and expire. Each refusal is a clear
 * problem+json that changes nothing.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { sweep } from '../src/proposals/sweep.ts';
import type { Proposal } from '../src/proposals/types.ts';
import type { Store } from '../src/store/types.ts';
import type { IssuedHuman } from './helpers/humans.ts';
import { act, proposeOver, startProposalWorld, type ProposalWorld } from './helpers/proposals.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const HOUR = 3_600_000;

for (const target of storeTargets()) {
  describe(`approving proposals on ${target.kind}`, () => {
    let store: Store;
    let w: ProposalWorld;
    const realNow = () => new Date();
    const clock = () => w.proposals.deps as { now: () => Date };
    const at = (ms: number) => {
      const t = Date.now() + ms;
      clock().now = () => new Date(t);
    };
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      w = await startProposalWorld(store);
    });
    afterEach(() => {
      clock().now = realNow;
    });
    after(async () => {
      await w.close();
      await disposeTestStore(store);
    });

    /** Everything a refused action could have touched. */
    async function trace(id: string) {
      const p = await store.query('SELECT * FROM proposals WHERE id = $1', [id]);
      const a = await store.query('SELECT * FROM proposal_approvals WHERE proposal_id = $1 ORDER BY step', [
        id,
      ]);
      const e = await store.query('SELECT position FROM events WHERE subject = $1', [`proposals/${id}`]);
      return JSON.stringify([p.rows, a.rows, e.rows]);
    }
    async function refused(
      who: IssuedHuman | { headers: Record<string, string> },
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
      assert.equal((r.body as { code: string }).code, code, r.text);
      assert.equal(await trace(id), before, `${verb} refused with ${code} changed nothing`);
    }
    async function proposal(creditLimit: string, account = '004471', headers = w.agent.headers) {
      const r = await proposeOver(
        w,
        {
          type: 'set-credit-limit',
          input: { accountNumber: account, creditLimit },
          reason: 'Seasonal order volume.',
        },
        { headers },
      );
      assert.equal(r.status, 201, r.text);
      return r.body as Proposal;
    }

    it('the proposer cannot approve their own proposal (maker ≠ checker)', async () => {
      const p = await proposal('16000.00', '004471', w.people.approver.headers);
      assert.equal(p.proposer.kind, 'human');
      await refused(w.people.approver, p.id, 'approve', 403, 'maker_checker');
      assert.equal((await act(w, w.people.approver2, p.id, 'approve')).status, 200);
    });

    it('an agent can never approve', async () => {
      const p = await proposal('18000.00', '003640');
      await refused(w.agent, p.id, 'approve', 403, 'forbidden');
      const err = await act(w, w.agent, p.id, 'approve');
      assert.match((err.body as { detail: string }).detail, /signed-in humans/);
      // Nor can an operator without the approver role.
      await refused(w.people.operator, p.id, 'approve', 403, 'forbidden');
    });

    it('a second approval by the same person is refused; the named approver must come first', async () => {
      const p = await proposal('40000.00', '003679');
      assert.equal(p.route.tier, 'large');
      await refused(w.people.approver, p.id, 'approve', 403, 'named_approver_required');
      const first = await act(w, w.people.named, p.id, 'approve');
      assert.equal(first.status, 200, first.text);
      assert.equal((first.body as Proposal).state, 'pending_approval');
      await refused(w.people.named, p.id, 'approve', 409, 'already_approved');
      const second = await act(w, w.people.approver, p.id, 'approve');
      assert.equal((second.body as Proposal).state, 'queued');
      assert.deepEqual(
        (second.body as Proposal).approvals.map((a) => a.by.name),
        ['dana.named', 'anna.approver'],
      );
      await refused(w.people.approver2, p.id, 'approve', 409, 'invalid_state');
    });

    it('rejecting needs a reason and closes the proposal', async () => {
      const p = await proposal('20000.00', '005168');
      await refused(w.people.approver, p.id, 'reject', 400, 'validation_failed', {});
      const r = await act(w, w.people.approver, p.id, 'reject', {
        reason: 'Customer is in a payment dispute.',
      });
      assert.equal(r.status, 200, r.text);
      assert.equal((r.body as Proposal).state, 'rejected');
      assert.equal((r.body as Proposal).outcome?.reason, 'Customer is in a payment dispute.');
      await refused(w.people.approver, p.id, 'approve', 409, 'invalid_state');
    });

    it('an approval close to its deadline escalates; past it the proposal expires and escalates', async () => {
      const p = await proposal('19000.00', '004609');
      assert.equal(p.state, 'pending_approval');
      at(5 * HOUR);
      assert.deepEqual(await sweep(w.proposals.deps), { expired: 0, escalated: 0, stale: 0 });
      at(6 * HOUR + 60_000);
      assert.equal((await sweep(w.proposals.deps)).escalated, 1);
      assert.equal((await sweep(w.proposals.deps)).escalated, 0, 'escalates once');
      assert.match(
        w.seam.logs(),
        new RegExp(`"alert":"proposal_escalated"[^\\n]*"reference":"${p.reference}"`),
      );

      // Past the deadline: refused at once, even before the sweep has marked it.
      at(8 * HOUR + 60_000);
      await refused(w.people.approver, p.id, 'approve', 409, 'proposal_expired');
      const s = await sweep(w.proposals.deps);
      assert.equal(s.expired, 1);
      const events = await store.query<{ type: string; data: { reason?: string; escalateTo?: string } }>(
        `SELECT type, data FROM events WHERE subject = $1 ORDER BY position`,
        [`proposals/${p.id}`],
      );
      assert.deepEqual(
        events.rows.map((e) => [e.type, e.data.reason ?? null]),
        [
          ['seam.proposal.proposed', 'Seasonal order volume.'],
          ['seam.proposal.escalated', 'approval_due_soon'],
          ['seam.proposal.expired', 'not approved before its deadline'],
          ['seam.proposal.escalated', 'expired_unapproved'],
        ],
      );
      assert.match(events.rows[3]!.data.escalateTo ?? '', /ERP application support/);
      assert.match(w.seam.logs(), /"alert":"proposal_expired"/);
      // Expired stays expired: no approving, claiming or executing it.
      await refused(w.people.approver, p.id, 'approve', 409, 'proposal_expired');
      await refused(w.people.operator, p.id, 'claim', 409, 'proposal_expired');
      await refused(w.people.operator, p.id, 'execute', 409, 'proposal_expired', { reference: 'TXN 1' });
    });

    it('an approved proposal nobody carries out in time expires too', async () => {
      const p = await proposal('22200.00', '007933');
      assert.equal(p.state, 'queued');
      at(73 * HOUR);
      await refused(w.people.operator, p.id, 'claim', 409, 'proposal_expired');
      assert.ok((await sweep(w.proposals.deps)).expired >= 1);
      const row = await store.query<{ state: string; outcome_reason: string }>(
        'SELECT state, outcome_reason FROM proposals WHERE id = $1',
        [p.id],
      );
      assert.deepEqual(row.rows[0], {
        state: 'expired',
        outcome_reason: 'not carried out before its deadline',
      });
      await refused(w.people.operator, p.id, 'claim', 409, 'proposal_expired');
      assert.deepEqual(w.sim.stats().writes, []);
    });
  });
}
