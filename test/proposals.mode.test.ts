/**
 * The mode and the 90-day clock. In proposal mode seam never calls a write operation, whatever
 * path a proposal takes (the simulator records every write call it gets). gated-write is possible
 * only after day 90, per proposal type, switched on by an admin and recorded; then seam carries an
 * approved proposal out itself and verifies it; switching back is immediate.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { executeGated, gatedCandidates } from '../src/proposals/gated.ts';
import { sweep } from '../src/proposals/sweep.ts';
import type { Proposal } from '../src/proposals/types.ts';
import { runVerifications } from '../src/proposals/verify.ts';
import type { Store } from '../src/store/types.ts';
import { act, proposeOver, startProposalWorld, type ProposalWorld } from './helpers/proposals.ts';
import { call } from './helpers/service.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

for (const target of storeTargets()) {
  describe(`modes and gated-write on ${target.kind}`, () => {
    let store: Store;
    let w: ProposalWorld;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      const creds = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'seam-w-')), 'write.json');
      fs.writeFileSync(creds, JSON.stringify({ username: 'SEAMGW', password: 'write-secret-1' }));
      w = await startProposalWorld(store, {
        env: { SEAM_GO_LIVE: daysAgo(100), SEAM_WRITE_CREDENTIALS_FILE: creds },
      });
    });
    after(async () => {
      await w.close();
      await disposeTestStore(store);
    });
    const admin = () => w.people.admin;
    const adminPost = (p: string, body: unknown) =>
      call(w.seam.url, 'POST', p, { body, headers: admin().headers });
    const propose = async (type: string, input: Record<string, unknown>) => {
      const r = await proposeOver(w, { type, input, reason: 'Part of the month-end clean-up list.' });
      assert.equal(r.status, 201, r.text);
      return r.body as Proposal;
    };
    /** Claim, carry out (in the simulator) and record as executed. */
    const doneByHand = async (p: Proposal, change: () => void, ref: string) => {
      assert.equal((await act(w, w.people.operator, p.id, 'claim')).status, 200);
      change();
      const r = await act(w, w.people.operator, p.id, 'execute', { reference: ref });
      assert.equal(r.status, 200, r.text);
    };

    it('shows the mode and day N of 90 on /v1/mode and /v1/systems', async () => {
      const m = await call(w.seam.url, 'GET', '/v1/mode');
      assert.equal(m.status, 200);
      assert.deepEqual(
        (({ mode, goLive, day, of, gatedWriteAllowed }) => ({ mode, goLive, day, of, gatedWriteAllowed }))(
          m.body as Record<string, unknown>,
        ),
        { mode: 'proposal', goLive: daysAgo(100), day: 101, of: 90, gatedWriteAllowed: true },
      );
      const s = await call(w.seam.url, 'GET', '/v1/systems', { headers: w.people.operator.headers });
      assert.equal(s.status, 200, s.text);
      const erp = (s.body as { systems: Record<string, unknown>[] }).systems[0]!;
      assert.equal(erp.mode, 'proposal');
      assert.equal(erp.day, 101);
      assert.equal(erp.of, 90);
      assert.deepEqual(erp.proposalTypes, [
        'set-credit-limit',
        'set-account-status',
        'issue-credit',
        'adjust-stock',
      ]);
    });

    it('in proposal mode no path calls a write operation, even with a write credential and a type enabled', async () => {
      const on = await adminPost('/v1/admin/gated-write', { type: 'set-account-status', enabled: true });
      assert.equal(on.status, 200, on.text);
      assert.equal(
        (on.body as { mode: string }).mode,
        'proposal',
        'enabling a type does not switch the mode',
      );
      w.sim.resetStats();
      // Every kind of proposal, through every outcome.
      const hold = await propose('set-account-status', { accountNumber: '007079', status: 'HOLD' });
      const limit = await propose('set-credit-limit', { accountNumber: '002813', creditLimit: '5300.00' });
      const stock = await propose('adjust-stock', { sku: 'BOL-7272', quantity: -1, reasonCode: 'DM' });
      const credit = await propose('issue-credit', {
        accountNumber: '004931',
        amount: '25.00',
        currency: 'GBP',
        memo: 'late delivery',
      });
      const big = await propose('set-credit-limit', { accountNumber: '006686', creditLimit: '60000.00' });
      const rejected = await propose('set-credit-limit', {
        accountNumber: '003070',
        creditLimit: '17100.00',
      });
      assert.equal(hold.state, 'pending_approval');
      assert.equal((await act(w, w.people.approver, hold.id, 'approve')).status, 200);
      await doneByHand(hold, () => w.sim.data.updateAccount('007079', { ACCT_STAT: 'H' }), 'TXN 1');
      await doneByHand(
        limit,
        () => w.sim.data.updateAccount('002813', { CR_LIMIT: '0000005300.00' }),
        'TXN 2',
      );
      await doneByHand(
        credit,
        () => w.sim.data.updateAccount('004931', { CUR_BAL: '0000000786.05' }),
        'CN004101',
      );
      assert.equal((await act(w, w.people.operator, stock.id, 'claim')).status, 200);
      assert.equal(
        (await act(w, w.people.operator, stock.id, 'fail', { reason: 'period closed' })).status,
        200,
      );
      assert.equal(
        (await act(w, w.people.operator, rejected.id, 'reject', { reason: 'customer left' })).status,
        200,
      );
      assert.equal((await act(w, w.people.named, big.id, 'approve')).status, 200);
      await runVerifications(w.proposals.deps);
      for (const id of await gatedCandidates(w.proposals.deps)) await executeGated(w.proposals.deps, id);
      await sweep(w.proposals.deps);
      const plan = await adminPost('/v1/admin/rollback', { since: '1h' });
      assert.equal(plan.status, 200, plan.text);
      for (const p of [hold, limit, credit])
        assert.equal((await act(w, w.people.operator, p.id, 'verify')).status, 200);
      const states = await Promise.all(
        [hold, limit, credit].map(
          async (p) =>
            (
              (await call(w.seam.url, 'GET', `/v1/proposals/${p.id}`, { headers: admin().headers }))
                .body as Proposal
            ).state,
        ),
      );
      assert.deepEqual(states, ['verified', 'verified', 'verified']);
      assert.deepEqual(w.sim.stats().writes, [], 'the legacy system saw no write call from seam');
    });

    it('gated-write needs day 91 and an admin; then seam carries out approved proposals of enabled types itself', async () => {
      // Before day 91 an admin cannot switch it on.
      const deps = w.proposals.deps as { goLive?: string };
      const realGoLive = deps.goLive;
      deps.goLive = daysAgo(10);
      try {
        const early = await adminPost('/v1/admin/mode', { mode: 'gated-write' });
        assert.equal(early.status, 409, early.text);
        assert.equal((early.body as { code: string }).code, 'gated_write_too_early');
      } finally {
        deps.goLive = realGoLive;
      }
      const notAdmin = await call(w.seam.url, 'POST', '/v1/admin/mode', {
        body: { mode: 'gated-write' },
        headers: w.people.approver.headers,
      });
      assert.equal(notAdmin.status, 403);

      const on = await adminPost('/v1/admin/mode', { mode: 'gated-write' });
      assert.equal(on.status, 200, on.text);
      assert.equal((on.body as { mode: string }).mode, 'gated-write');
      w.sim.resetStats();
      // Approvals are still required: seam takes only what policy let through.
      const release = await propose('set-account-status', { accountNumber: '004294', status: 'ACTIVE' });
      assert.equal(release.state, 'pending_approval');
      assert.ok(!(await gatedCandidates(w.proposals.deps)).includes(release.id));
      assert.equal((await act(w, w.people.approver, release.id, 'approve')).status, 200);
      assert.ok((await gatedCandidates(w.proposals.deps)).includes(release.id));
      assert.equal(await executeGated(w.proposals.deps, release.id), 'executed');
      assert.deepEqual(
        w.sim.stats().writes.map((x) => [x.operation, x.args.ACCT_NO, x.args.NEW_STAT]),
        [['SetAccountStatus', '004294', 'A']],
      );
      await runVerifications(w.proposals.deps);
      const done = (
        await call(w.seam.url, 'GET', `/v1/proposals/${release.id}`, { headers: admin().headers })
      ).body as Proposal;
      assert.equal(done.state, 'verified');
      assert.equal(done.execution?.mode, 'gated');
      assert.equal(done.execution?.by.name, 'seam');
      // The box says "busy", or seam has no usable write credential: nothing was written, so the
      // proposal goes back to the operators' queue (never retried blindly).
      const busy = await propose('set-account-status', { accountNumber: '004282', status: 'HOLD' });
      w.sim.failNext(1);
      assert.equal(await executeGated(w.proposals.deps, busy.id), 'not_gated');
      const creds = w.seam.ctx.config.proposals.writeCredentialsFile!;
      const saved = fs.readFileSync(creds);
      fs.rmSync(creds);
      try {
        assert.equal(await executeGated(w.proposals.deps, busy.id), 'not_gated');
      } finally {
        fs.writeFileSync(creds, saved);
      }
      const back = (await call(w.seam.url, 'GET', `/v1/proposals/${busy.id}`, { headers: admin().headers }))
        .body as Proposal;
      assert.equal(back.state, 'queued');
      assert.match(w.seam.logs(), /"alert":"gated_write_unavailable"/);
      assert.doesNotMatch(w.seam.logs(), /write-secret-1/, 'the write credential never reaches a log line');
      assert.equal(await executeGated(w.proposals.deps, busy.id), 'executed');
      assert.equal(w.sim.stats().writes.length, 2);

      // A type not enabled stays with the operators.
      const limit = await propose('set-credit-limit', { accountNumber: '004609', creditLimit: '17100.00' });
      assert.equal(await executeGated(w.proposals.deps, limit.id), 'not_gated');

      // Switch back: at once, nothing more is written.
      const off = await adminPost('/v1/admin/mode', { mode: 'proposal' });
      assert.equal((off.body as { mode: string }).mode, 'proposal');
      const release2 = await propose('set-account-status', { accountNumber: '004282', status: 'ACTIVE' });
      assert.equal(release2.state, 'queued');
      assert.equal(await executeGated(w.proposals.deps, release2.id), 'not_gated');
      assert.equal(w.sim.stats().writes.length, 2);
      const changes = await store.query<{ data: Record<string, unknown> }>(
        `SELECT data FROM events WHERE type = 'seam.mode.changed' ORDER BY position`,
      );
      assert.deepEqual(
        changes.rows.map((r) => [r.data.mode ?? r.data.gatedWrite, (r.data.actor as { name: string }).name]),
        [
          [{ type: 'set-account-status', enabled: true }, 'adam.admin'],
          ['gated-write', 'adam.admin'],
          ['proposal', 'adam.admin'],
        ],
      );
      const audited = await store.query(`SELECT 1 FROM audit_log WHERE action = 'mode.change'`);
      assert.equal(audited.rowCount, 3);
    });

    it('a gated write waits for one of the box slots the reads share: never more calls than declared', async () => {
      const maxConcurrency = 4; // TEST_LIMITS, through startProposalWorld's adapter
      assert.equal((await adminPost('/v1/admin/mode', { mode: 'gated-write' })).status, 200);
      try {
        const p = await propose('set-account-status', { accountNumber: '002813', status: 'HOLD' });
        if (p.state === 'pending_approval')
          assert.equal((await act(w, w.people.approver, p.id, 'approve')).status, 200);
        assert.ok((await gatedCandidates(w.proposals.deps)).includes(p.id));
        w.sim.resetStats();
        w.sim.setLatency(400);
        // Six live reads of different accounts: four hold every slot, two wait.
        const ids = ['004471', '004931', '007079', '004609', '004294', '004282'];
        const reads = ids.map((id) =>
          call(w.seam.url, 'GET', `/v1/accounts/${id}?consistency=live`, { headers: w.agent.headers }),
        );
        const deadline = Date.now() + 5_000;
        while (w.sim.stats().inFlight < maxConcurrency && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        assert.equal(w.sim.stats().inFlight, maxConcurrency, 'the reads hold every slot');
        const write = executeGated(w.proposals.deps, p.id);
        const answers = await Promise.all(reads);
        assert.deepEqual(
          answers.map((r) => r.status),
          ids.map(() => 200),
        );
        assert.equal(await write, 'executed');
        const stats = w.sim.stats();
        assert.deepEqual(
          stats.writes.map((x) => [x.operation, x.args.ACCT_NO]),
          [['SetAccountStatus', '002813']],
        );
        assert.equal(stats.maxInFlight, maxConcurrency, 'the write took a slot; it did not add one');
      } finally {
        w.sim.setLatency(0);
        await adminPost('/v1/admin/mode', { mode: 'proposal' });
      }
    });
  });
}
