/**
 * The rollback plan and the report, over the admin route and from the command line (`seam rollback`,
 * `seam proposals ...` as real child processes on the same database).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProgram, CliError, EXIT } from '../src/cli/index.ts';
import { describeProposal } from '../src/cli/commands/proposals.ts';
import type { ProposalReport } from '../src/proposals/report.ts';
import type { RollbackPlan } from '../src/proposals/rollback.ts';
import type { Proposal } from '../src/proposals/types.ts';
import { runVerifications } from '../src/proposals/verify.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { runSeam } from './helpers/process.ts';
import {
  act,
  proposeOver,
  startProposalWorld,
  writePolicy,
  type ProposalWorld,
} from './helpers/proposals.ts';
import { call } from './helpers/service.ts';
import { disposeTestStore, openTestStore, silentLog, storeTargets, uniqueSchema } from './helpers/store.ts';

for (const target of storeTargets()) {
  describe(`rollback plan and report on ${target.kind}`, () => {
    let store: Store;
    let w: ProposalWorld | undefined;
    // PGlite is one process's: the CLI gets the database file after the service has let go of it.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-rb-'));
    const schema = uniqueSchema(import.meta.filename);
    const open = async () => {
      if (target.kind === 'postgres') return openTestStore(target, import.meta.filename, { schema });
      const s = await openStore({ schema, poolMax: 2, dataDir }, silentLog);
      await migrate(s, silentLog);
      return s;
    };
    const cliEnv = () => ({
      SEAM_DB_SCHEMA: schema,
      SEAM_DATA_DIR: dataDir,
      SEAM_POLICY_FILE: writePolicy(),
      ...(target.kind === 'postgres' ? { DATABASE_URL: target.url } : { DATABASE_URL: '' }),
    });
    before(async () => {
      store = await open();
      w = await startProposalWorld(store);
    });
    after(async () => {
      await w?.close();
      await disposeTestStore(store);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const world = () => w!;
    async function carriedOut(
      type: string,
      input: Record<string, unknown>,
      change: () => void,
      edits?: Record<string, unknown>,
    ) {
      const r = await proposeOver(world(), { type, input, reason: 'Cleanup after the pricing agent run.' });
      assert.equal(r.status, 201, r.text);
      const p = r.body as Proposal;
      if (p.state === 'pending_approval')
        assert.equal((await act(world(), world().people.approver, p.id, 'approve')).status, 200);
      assert.equal((await act(world(), world().people.operator, p.id, 'claim')).status, 200);
      change();
      const done = await act(world(), world().people.operator, p.id, 'execute', {
        reference: `TXN ${p.reference}`,
        ...(edits ? { edits } : {}),
      });
      assert.equal(done.status, 200, done.text);
      return p;
    }

    let limit: Proposal;
    let stock: Proposal;
    let credit: Proposal;

    it('reports outcomes, times, mismatches and operator edits per proposal type', async () => {
      const s = world().sim.data;
      limit = await carriedOut('set-credit-limit', { accountNumber: '004471', creditLimit: '17000.00' }, () =>
        s.updateAccount('004471', { CR_LIMIT: '0000017000.00' }),
      );
      stock = await carriedOut(
        'adjust-stock',
        { sku: 'BEA-1727', quantity: 2, reasonCode: 'FD' },
        () => s.updateItem('BEA-1727', { QTY_ON_HAND: '    310' }),
        { quantity: 3 },
      );
      credit = await carriedOut(
        'issue-credit',
        { accountNumber: '007079', amount: '40.00', currency: 'GBP', memo: 'damaged parcel' },
        () => s.updateAccount('007079', { CUR_BAL: '0000000000.00' }),
      );
      await runVerifications(world().proposals.deps);
      const r = await call(world().seam.url, 'GET', '/v1/proposals/report', {
        headers: world().people.admin.headers,
      });
      assert.equal(r.status, 200, r.text);
      const byType = Object.fromEntries((r.body as ProposalReport).types.map((t) => [t.type, t]));
      assert.equal(byType['set-credit-limit']!.outcomes.verified, 1);
      assert.equal(byType['set-credit-limit']!.approvalTime.count, 1);
      assert.equal(byType['adjust-stock']!.operatorEdits, 1);
      assert.equal(byType['adjust-stock']!.outcomes.verified, 1);
      // 40.00 off a 3.05 balance leaves -36.95, not 0.00: the ERP shows something else.
      assert.equal(byType['issue-credit']!.outcomes.mismatch, 1);
      assert.equal(byType['issue-credit']!.mismatchesEver, 1);
      assert.deepEqual(byType['set-credit-limit']!.verifiedImpact, [{ currency: 'GBP', amount: '2000.00' }]);
      const agent = await call(world().seam.url, 'GET', '/v1/proposals/report', {
        headers: world().agent.headers,
      });
      assert.equal(agent.status, 403);
    });

    it('the admin route proposes reversals and reports what cannot be undone; twice makes nothing new', async () => {
      const r = await call(world().seam.url, 'POST', '/v1/admin/rollback', {
        body: { since: '24h' },
        headers: world().people.admin.headers,
      });
      assert.equal(r.status, 200, r.text);
      const plan = r.body as RollbackPlan;
      assert.equal(plan.executed, 3);
      assert.deepEqual(
        plan.reversals.map((x) => [x.reference, x.status]).sort(),
        [
          [limit.reference, 'created'],
          [stock.reference, 'created'],
        ].sort(),
      );
      assert.deepEqual(
        plan.irreversible.map((x) => [x.reference, x.reason.slice(0, 34)]),
        [[credit.reference, 'A posted credit note cannot be wit']],
      );
      const reversals = await store.query<{
        type: string;
        input: Record<string, unknown>;
        reverses: string;
        state: string;
      }>('SELECT type, input, reverses, state FROM proposals WHERE reverses IS NOT NULL ORDER BY number');
      assert.deepEqual(
        reversals.rows.map((x) => [x.type, x.input, x.reverses]),
        [
          ['set-credit-limit', { accountNumber: '004471', creditLimit: '15000.00' }, limit.id],
          // What was carried out (3 after the operator's edit) is what is undone.
          ['adjust-stock', { sku: 'BEA-1727', quantity: -3, reasonCode: 'RV' }, stock.id],
        ],
      );
      const md = fs.readFileSync(plan.files.markdown, 'utf8');
      assert.match(md, new RegExp(`### ${credit.reference}: issue-credit on accounts/007079`));
      assert.match(md, /debit note raised by Accounts Receivable/);
      const csv = fs.readFileSync(plan.files.csv, 'utf8').trim().split('\r\n');
      assert.equal(csv.length, 2);
      assert.match(csv[1]!, new RegExp(`^${credit.reference},issue-credit,accounts/007079,`));

      const again = await call(world().seam.url, 'POST', '/v1/admin/rollback', {
        body: { since: '24h' },
        headers: world().people.admin.headers,
      });
      assert.deepEqual(
        (again.body as RollbackPlan).reversals.map((x) => x.status),
        ['exists', 'exists'],
      );
      const n = await store.query('SELECT 1 FROM proposals WHERE reverses IS NOT NULL');
      assert.equal(n.rowCount, 2);
      assert.deepEqual(world().sim.stats().writes, []);
    });

    it('seam rollback and seam proposals work from the command line on the same database', async () => {
      // One more carried out, that the CLI will be the first to reverse.
      const hold = await carriedOut('set-account-status', { accountNumber: '004282', status: 'HOLD' }, () =>
        world().sim.data.updateAccount('004282', { ACCT_STAT: 'H' }),
      );
      await runVerifications(world().proposals.deps);
      await w!.close();
      w = undefined;
      if (target.kind === 'pglite') await store.close();

      // A bad window is a usage error (exit 2) before anything is opened.
      await assert.rejects(
        buildProgram().parseAsync(['node', 'seam', 'rollback', '--since', 'yesterday']),
        (e: unknown) =>
          e instanceof CliError && e.exitCode === EXIT.usage && /24h, 90m or 7d/.test(e.message),
      );
      const out = path.join(dataDir, 'out');
      const rb = await runSeam(['rollback', '--since', '24h', '--json', '--out', out], cliEnv());
      assert.equal(rb.code, 0, rb.stderr);
      const plan = JSON.parse(rb.stdout) as RollbackPlan;
      assert.deepEqual(
        plan.reversals.map((x) => [x.reference, x.status]).sort(),
        [
          [limit.reference, 'exists'],
          [stock.reference, 'exists'],
          [hold.reference, 'created'],
        ].sort(),
      );
      assert.ok(fs.existsSync(plan.files.csv) && plan.files.csv.startsWith(out));
      const reversal = plan.reversals.find((x) => x.reference === hold.reference)!.reversal!;
      assert.equal(reversal.state, 'queued', 'a small reversal goes straight to the queue');

      const exec = await runSeam(
        [
          'proposals',
          'execute',
          reversal.reference,
          '--as',
          'otto.operator',
          '--reference',
          'TXN 4242',
          '--json',
        ],
        cliEnv(),
      );
      assert.equal(exec.code, 0, exec.stderr);
      const executed = JSON.parse(exec.stdout) as Proposal;
      assert.equal(executed.state, 'executed');
      assert.equal(executed.execution?.by.name, 'otto.operator');
      // What `seam proposals show` prints for it: the steps in the ERP's screens, and the reason.
      const shown = describeProposal(executed);
      assert.match(shown, /\[CM05 Customer Status \/ Hold\] Press F6/);
      assert.match(shown, /reason {4}Rollback of P-\d+/);
      assert.match(shown, /executed {2}by otto.operator .* legacy reference TXN 4242/);

      if (target.kind === 'pglite') store = await open();
      const audit = await store.query(
        `SELECT 1 FROM audit_log WHERE action = 'proposal.executed' AND actor_name = 'otto.operator'`,
      );
      assert.equal(audit.rowCount, 1);
    });
  });
}
