/**
 * The `seam` CLI as operators and scripts use it: `--help` on every command, usage errors with exit
 * code 2, and the proposals queue walked from a terminal (list, show, approve, execute) against the
 * same database a running service uses, which then verifies what the operator recorded.
 * The walk runs on PostgreSQL (a running service and CLI runs share one schema); the help walk needs
 * no store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { buildProgram } from '../src/cli/index.ts';
import { runVerifications } from '../src/proposals/verify.ts';
import type { Proposal } from '../src/proposals/types.ts';
import type { Store } from '../src/store/types.ts';
import { inProcess } from './helpers/cli.ts';
import { runSeam } from './helpers/process.ts';
import { proposeOver, startProposalWorld, writePolicy, type ProposalWorld } from './helpers/proposals.ts';
import { disposeTestStore, openTestStore, storeTargets } from './helpers/store.ts';

/** Every command path in the program: [], ['keys'], ['keys', 'create'], ... */
function commandPaths(c: Command, at: string[] = []): string[][] {
  return [at, ...c.commands.flatMap((s) => commandPaths(s, [...at, s.name()]))];
}

/** Parse `seam <path> --help` in this process, capturing what commander prints. */
async function helpOf(at: string[]): Promise<{ exitCode: number; text: string }> {
  const program = buildProgram();
  let text = '';
  const capture = (c: Command): void => {
    c.configureOutput({ writeOut: (s) => void (text += s), writeErr: (s) => void (text += s) });
    c.commands.forEach(capture);
  };
  capture(program);
  try {
    await program.parseAsync(['node', 'seam', ...at, '--help']);
    return { exitCode: -1, text };
  } catch (err) {
    assert.ok(err instanceof CommanderError, String(err));
    return { exitCode: err.exitCode, text };
  }
}

describe('seam --help', () => {
  it('every command answers --help with its usage and a description of each option, exit 0', async () => {
    const paths = commandPaths(buildProgram());
    assert.ok(paths.length >= 30, `walked ${paths.length} commands`);
    for (const at of paths) {
      const { exitCode, text } = await helpOf(at);
      const name = ['seam', ...at].join(' ');
      assert.equal(exitCode, 0, `${name} --help exits 0`);
      assert.ok(text.startsWith(`Usage: ${name}`), `${name} --help starts with its usage:\n${text}`);
      // Every option line (two-space indent, a flag) carries a description after the flags.
      for (const l of text.split('\n').filter((x) => /^ {2}-/.test(x)))
        assert.match(l, /^ {2}\S.*\S {2,}\S/, `${name}: an option without a description: ${l}`);
    }
  });

  it('as a real process: help exits 0, a bad option or value exits 2 with the reason', async () => {
    const help = await runSeam(['proposals', 'execute', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--reference <ref>\s+the legacy transaction or reference number/);
    const unknown = await runSeam(['proposals', 'list', '--colour', 'red']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--colour'/);
    const bad = await runSeam(['proposals', 'list', '--state', 'sideways'], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--state: unknown sideways/);
  });
});

const pg = storeTargets().find((t) => t.kind === 'postgres');
if (pg)
  describe('seam proposals on postgres, beside a running service', () => {
    let store: Store;
    let w: ProposalWorld;
    let env: Record<string, string>;
    const seam = (args: string[]) => inProcess(args, env);
    const json = (s: string) => JSON.parse(s) as Proposal;
    before(async () => {
      store = await openTestStore(pg, import.meta.filename);
      const policy = writePolicy();
      w = await startProposalWorld(store, { env: { SEAM_POLICY_FILE: policy } });
      env = {
        DATABASE_URL: pg.url!,
        SEAM_DB_SCHEMA: store.schema,
        SEAM_POLICY_FILE: policy,
        SEAM_LEGACY_URL: w.sim.url,
        LOG_LEVEL: 'warn',
      };
    });
    after(async () => {
      await w?.close();
      if (store) await disposeTestStore(store);
    });

    it('lists, shows, approves and records execution; the service then verifies it', async () => {
      const made = await proposeOver(w, {
        type: 'set-credit-limit',
        input: { accountNumber: '4471', creditLimit: '16000.00' },
        reason: 'Paid early three quarters running',
      });
      assert.equal(made.status, 201, made.text);
      const p = made.body as Proposal;
      assert.equal(p.state, 'pending_approval');

      const listed = await seam(['proposals', 'list', '--state', 'pending_approval', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const items = (JSON.parse(listed.stdout) as { items: Proposal[] }).items;
      assert.deepEqual(
        items.map((x) => x.reference),
        [p.reference],
      );
      // As people type it: the account without its leading zeros.
      const table = await seam(['proposals', 'list', '--target', 'accounts/4471']);
      assert.match(table.stdout, new RegExp(`^${p.reference}\\s+pending_approval\\s+set-credit-limit`));
      assert.equal((await seam(['proposals', 'list', '--state', 'verified'])).stdout, 'no proposals\n');
      assert.equal(
        (await seam(['proposals', 'list', '--target', 'accounts/44710'])).stdout,
        'no proposals\n',
      );
      assert.equal((await seam(['proposals', 'list', '--target', 'items/4471'])).stdout, 'no proposals\n');

      const shown = await seam(['proposals', 'show', p.reference]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /reason\s+Paid early three quarters running/);
      assert.match(shown.stdout, /Steps:\n\s+1\. /);
      assert.equal(json((await seam(['proposals', 'show', p.id, '--json'])).stdout).reference, p.reference);
      const missing = await seam(['proposals', 'show', 'P-999999']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No such proposal: P-999999/);

      // An operator cannot approve; nor can a name that is not a user. Nothing changes.
      const wrongRole = await seam(['proposals', 'approve', p.reference, '--as', 'olga.operator']);
      assert.equal(wrongRole.code, 1);
      assert.match(wrongRole.stderr, /needs the role approver/);
      assert.equal((await seam(['proposals', 'approve', p.reference, '--as', 'nobody'])).code, 1);
      assert.equal((await w.proposals.get(p.id)).state, 'pending_approval');

      const approved = await seam(['proposals', 'approve', p.reference, '--as', 'anna.approver', '--json']);
      assert.equal(approved.code, 0, approved.stderr);
      assert.equal(json(approved.stdout).state, 'queued');
      assert.deepEqual(
        json(approved.stdout).approvals.map((a) => a.by.name),
        ['anna.approver'],
      );

      // The operator keys it into the ERP, then records it with the legacy reference.
      w.sim.data.updateAccount('004471', { CR_LIMIT: '0000016000.00' });
      const executed = await seam([
        'proposals',
        'execute',
        p.reference,
        '--as',
        'olga.operator',
        '--reference',
        'TXN 00081234',
      ]);
      assert.equal(executed.code, 0, executed.stderr);
      assert.equal(executed.stdout, `executed ${p.reference}: now executed\n`);
      const again = await seam([
        'proposals',
        'execute',
        p.reference,
        '--as',
        'olga.operator',
        '--reference',
        'X',
      ]);
      assert.equal(again.code, 1, 'a second execution is refused');

      // Verification belongs to the running service, against the legacy system.
      await runVerifications(w.proposals.deps);
      const done = json((await seam(['proposals', 'show', p.reference, '--json'])).stdout);
      assert.equal(done.state, 'verified', JSON.stringify(done.verification));
      assert.equal(done.execution?.legacyReference, 'TXN 00081234');
      assert.equal(done.execution?.by.name, 'olga.operator');

      // The audit trail names the people the CLI acted as.
      const audit = await seam(['audit', 'query', '--record', `proposals/${p.id}`, '--json']);
      const actions = (JSON.parse(audit.stdout) as { items: { action: string; actor: { name: string } }[] })
        .items;
      const who = (a: string) => actions.filter((x) => x.action === `proposal.${a}`).map((x) => x.actor.name);
      assert.deepEqual(who('approved'), ['anna.approver']);
      assert.deepEqual(who('executed'), ['olga.operator']);
      assert.deepEqual(who('claimed'), ['olga.operator'], 'execute claimed it first');
    });
  });
