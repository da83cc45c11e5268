/**
 * The whole loop against the real ERP simulator: an agent proposes, policy routes, people approve,
 * an operator claims and carries it out by hand in the legacy system (a simulator-side change, as a
 * clerk at the green screen would make), and seam verifies against the system of record, or raises
 * the mismatch. seam itself never calls a write operation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProposalRunner } from '../src/proposals/runner.ts';
import type { Proposal } from '../src/proposals/types.ts';
import { runVerifications } from '../src/proposals/verify.ts';
import type { Store } from '../src/store/types.ts';
import { call } from './helpers/service.ts';
import { appendEvents } from '../src/events/append.ts';
import { recordChangeEvent } from '../src/records/events.ts';
import { changedFields, upsertRecord } from '../src/records/repo.ts';
import {
  act,
  count,
  erpWithSnapshotFeeds,
  proposeOver,
  startProposalWorld,
  type ProposalWorld,
} from './helpers/proposals.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets } from './helpers/store.ts';

/** Poll until `check` holds (background work is asynchronous); fails after a generous deadline. */
async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  check: (v: T) => boolean,
  ms = 30_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > until) assert.fail(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const target of storeTargets()) {
  describe(`proposal lifecycle against the ERP simulator on ${target.kind}`, () => {
    let store: Store;
    let w: ProposalWorld;
    before(async () => {
      store = await openTestStore(target, import.meta.filename);
      w = await startProposalWorld(store, { adapter: erpWithSnapshotFeeds() });
    });
    after(async () => {
      await w.close();
      await disposeTestStore(store);
    });

    /** What ingest does with a nightly snapshot file: changed records with their events, then the outcome. */
    async function batchFile(
      feed: string,
      resource: string,
      entity: string,
      key: string,
      patch: Record<string, unknown>,
    ) {
      const file = `${feed}_${new Date().toISOString().slice(0, 10).replace(/-/g, '')}.csv`;
      await store.transaction(async (tx) => {
        const cur = await tx.query<{ data: Record<string, unknown> }>(
          `SELECT data FROM records WHERE system = 'erp' AND resource = $1 AND key = $2`,
          [resource, key],
        );
        const data = { ...cur.rows[0]!.data, ...patch };
        const u = await upsertRecord(tx, {
          system: 'erp',
          resource,
          key,
          data,
          source: 'feed',
          sourceRef: file,
          asOf: new Date(),
        });
        if (u.change === 'updated')
          await appendEvents(tx, [
            recordChangeEvent({
              system: 'erp',
              resource,
              entity,
              key,
              change: 'updated',
              changes: changedFields(u.before!, data),
              after: data,
              provenance: { via: 'feed', feed, file, line: 7 },
            }),
          ]);
        await appendEvents(tx, [
          {
            source: 'seam/ingest',
            type: 'seam.ingest.file.applied',
            subject: `ingest_files/${file}`,
            data: { feed, file, status: 'applied' },
            aggregateType: 'ingest_file',
            aggregateId: file,
          },
        ]);
      });
    }
    const get = async (id: string) =>
      (await call(w.seam.url, 'GET', `/v1/proposals/${id}`, { headers: w.people.operator.headers }))
        .body as Proposal;

    it('propose → approve → claim → carried out by hand → verified, with every transition an event', async () => {
      const proposed = await proposeOver(w, {
        type: 'set-credit-limit',
        input: { accountNumber: '4471', creditLimit: '17000' },
        reason: 'Customer has paid on time for 24 months; order pipeline needs headroom.',
      });
      assert.equal(proposed.status, 201, proposed.text);
      const p = proposed.body as Proposal;
      assert.equal(p.state, 'pending_approval');
      assert.equal(p.targetKey, '004471');
      assert.deepEqual(p.input, { accountNumber: '004471', creditLimit: '17000.00' });
      assert.deepEqual(p.impact, {
        amount: '2000.00',
        currency: 'GBP',
        summary: 'Credit limit of 004471 NORTHWIND TRADING LTD: 15,000.00 → 17,000.00 GBP (+2,000.00)',
      });
      assert.equal(p.route.tier, 'medium');
      assert.deepEqual(p.changes, [{ field: 'creditLimit', before: '15000.00', after: '17000.00' }]);
      assert.match(p.instructions[1]!.text, new RegExp(`REASON type "${p.reference}"`));
      assert.equal(p.instructions[1]!.screen, 'CM02 Customer Credit Maintenance');

      const approved = await act(w, w.people.approver, p.id, 'approve', { note: 'ok by me' });
      assert.equal(approved.status, 200, approved.text);
      assert.equal((approved.body as Proposal).state, 'queued');

      const claimed = await act(w, w.people.operator, p.id, 'claim');
      assert.equal(claimed.status, 200, claimed.text);
      assert.equal((claimed.body as Proposal).claimedBy?.name, 'olga.operator');

      // The operator does it in the ERP's screen CM02 (here: the simulator's data, as a clerk would).
      w.sim.data.updateAccount('004471', { CR_LIMIT: '0000017000.00' });
      const executed = await act(w, w.people.operator, p.id, 'execute', {
        reference: 'TXN 00081234',
        note: 'done on CM02',
      });
      assert.equal(executed.status, 200, executed.text);
      assert.equal((executed.body as Proposal).state, 'executed');

      await runVerifications(w.proposals.deps);
      const final = (
        await call(w.seam.url, 'GET', `/v1/proposals/${p.id}`, { headers: w.people.operator.headers })
      ).body as Proposal;
      assert.equal(final.state, 'verified');
      assert.equal(final.verification.live?.result, 'match');
      assert.equal(final.execution?.legacyReference, 'TXN 00081234');

      const types = await store.query<{ type: string }>(
        `SELECT type FROM events WHERE subject = $1 ORDER BY position`,
        [`proposals/${p.id}`],
      );
      assert.deepEqual(
        types.rows.map((r) => r.type),
        ['proposed', 'approved', 'queued', 'claimed', 'executed', 'verified'].map(
          (t) => `seam.proposal.${t}`,
        ),
      );
      const audited = await count(
        store,
        `SELECT 1 FROM audit_log WHERE action LIKE 'proposal.%' AND $1 = ANY(records)`,
        [`proposals/${p.id}`],
      );
      assert.equal(audited, 6);
      assert.deepEqual(w.sim.stats().writes, [], 'seam called no write operation');

      // The nightly snapshot agrees (it changes nothing: seam already had the new limit).
      assert.equal(final.verification.snapshot?.result, 'pending');
      await batchFile('ACCOUNTS', 'accounts', 'account', '004471', {});
      await runVerifications(w.proposals.deps);
      const confirmed = await get(p.id);
      assert.equal(confirmed.verification.snapshot?.result, 'match');
      assert.match(confirmed.verification.snapshot?.source ?? '', /feed ACCOUNTS/);
      const watching = await store.query<{ verify_after_position: number | null }>(
        'SELECT verify_after_position FROM proposals WHERE id = $1',
        [p.id],
      );
      assert.equal(watching.rows[0]!.verify_after_position, null, 'both checks agree: no longer watched');
    });

    it('the next batch snapshot disagreeing with what was verified live turns it into a mismatch', async () => {
      const proposed = await proposeOver(w, {
        type: 'adjust-stock',
        input: { sku: 'BRA-7223', quantity: 20, reasonCode: 'RT' },
        reason: 'Customer return of 20 units, RMA 5521.',
      });
      const p = proposed.body as Proposal;
      assert.equal(p.state, 'queued', proposed.text);
      assert.equal((await act(w, w.people.operator2, p.id, 'claim')).status, 200);
      w.sim.data.updateItem('BRA-7223', { QTY_ON_HAND: '    671' });
      assert.equal(
        (await act(w, w.people.operator2, p.id, 'execute', { reference: 'ADJ000777' })).status,
        200,
      );
      await runVerifications(w.proposals.deps);
      assert.equal((await get(p.id)).state, 'verified');
      // That night the stock file still shows the old quantity (the adjustment was never posted).
      await batchFile('STOCK', 'items', 'item', 'BRA-7223', { onHand: 651 });
      await runVerifications(w.proposals.deps);
      const cur = await get(p.id);
      assert.equal(cur.state, 'mismatch');
      assert.equal(cur.verification.snapshot?.result, 'mismatch');
      assert.deepEqual(cur.verification.snapshot?.differences, [
        { field: 'onHand', expected: 671, actual: 651 },
      ]);
      assert.match(cur.verification.snapshot?.source ?? '', /batch file STOCK_\d{8}\.csv:7/);
      assert.deepEqual(w.sim.stats().writes, []);
    });

    it('in the background: a record change flags open proposals stale, and an execution gets verified', async () => {
      const runner = new ProposalRunner(w.proposals.deps, w.proposals, silentLog);
      await runner.start();
      try {
        const open = (
          await proposeOver(w, {
            type: 'set-credit-limit',
            input: { accountNumber: '003981', creditLimit: '34100.00' },
            reason: 'Top customer, small bump.',
          })
        ).body as Proposal;
        assert.equal(open.state, 'queued');
        w.sim.data.updateAccount('003981', { CR_LIMIT: '0000035000.00' });
        // seam learns of the change (as a poll would); the event wakes the background work.
        await call(w.seam.url, 'GET', '/v1/accounts/003981?consistency=live', { headers: w.agent.headers });
        await eventually(
          'stale flag',
          async () => (await get(open.id)).stale,
          (v) => v === true,
        );

        const stock = (
          await proposeOver(w, {
            type: 'adjust-stock',
            input: { sku: 'BOL-8066', quantity: 1, reasonCode: 'FD' },
            reason: 'One unit found behind the racking.',
          })
        ).body as Proposal;
        assert.equal((await act(w, w.people.operator, stock.id, 'claim')).status, 200);
        w.sim.data.updateItem('BOL-8066', { QTY_ON_HAND: '    387' });
        assert.equal(
          (await act(w, w.people.operator, stock.id, 'execute', { reference: 'ADJ000901' })).status,
          200,
        );
        await eventually(
          'verification',
          async () => (await get(stock.id)).state,
          (v) => v === 'verified',
        );
      } finally {
        await runner.stop();
      }
      assert.deepEqual(w.sim.stats().writes, []);
    });

    it('a proposal the operator did not really carry out is a mismatch, raised to people, until fixed', async () => {
      const proposed = await proposeOver(w, {
        type: 'adjust-stock',
        input: { sku: 'bol-6762', quantity: -2, reasonCode: 'DM' },
        reason: 'Two units found damaged in the Leeds warehouse photo report.',
      });
      assert.equal(proposed.status, 201, proposed.text);
      const p = proposed.body as Proposal;
      assert.equal(p.state, 'queued', 'small impact: straight to the operators');
      assert.equal(p.impact.amount, '-127.96');
      assert.equal((await act(w, w.people.operator, p.id, 'claim')).status, 200);
      // The operator records it as done but the ERP does not show it (forgot to press F10).
      const executed = await act(w, w.people.operator, p.id, 'execute', { reference: 'ADJ000123' });
      assert.equal(executed.status, 200, executed.text);
      await runVerifications(w.proposals.deps);
      let cur = (
        await call(w.seam.url, 'GET', `/v1/proposals/${p.id}`, { headers: w.people.operator.headers })
      ).body as Proposal;
      assert.equal(cur.state, 'mismatch');
      assert.deepEqual(cur.verification.live?.differences, [{ field: 'onHand', expected: 170, actual: 172 }]);
      assert.match(w.seam.logs(), /"alert":"proposal_mismatch"/);
      const queue = await call(w.seam.url, 'GET', '/v1/proposals?state=mismatch', {
        headers: w.people.operator.headers,
      });
      assert.ok(
        (queue.body as { items: Proposal[] }).items.some((x) => x.id === p.id),
        'shows in the queue',
      );

      // The operator fixes it in the ERP and asks seam to check again.
      w.sim.data.updateItem('BOL-6762', { QTY_ON_HAND: '    170' });
      const again = await act(w, w.people.operator, p.id, 'verify');
      assert.equal(again.status, 200, again.text);
      cur = again.body as Proposal;
      assert.equal(cur.state, 'verified');
      const types = await store.query<{ type: string; data: { resolved?: boolean } }>(
        `SELECT type, data FROM events WHERE subject = $1 AND type IN ('seam.proposal.mismatch', 'seam.proposal.verified') ORDER BY position`,
        [`proposals/${p.id}`],
      );
      assert.deepEqual(
        types.rows.map((r) => [r.type, r.data.resolved ?? false]),
        [
          ['seam.proposal.mismatch', false],
          ['seam.proposal.verified', true],
        ],
      );
      assert.deepEqual(w.sim.stats().writes, []);
    });
  });
}
