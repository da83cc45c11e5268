/**
 * `seam proposals list|show|approve|reject|claim|execute|fail|report`: the operators' queue from a
 * terminal. Acting commands name the person with `--as NAME` (a user with the right role); the
 * audit trail records them, as it does for the console.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { offlineProposals, personAs } from '../../proposals/offline.ts';
import type { ProposalService } from '../../proposals/service.ts';
import { PROPOSAL_STATES, type Proposal, type ProposalState } from '../../proposals/types.ts';
import type { Store } from '../../store/types.ts';
import { cliRun, output as cliOut, printJson, splitList } from '../admin.ts';
import { CliError, EXIT } from '../index.ts';
import { withStore } from '../store.ts';

function line(p: Proposal): string {
  const flag = p.stale ? ' STALE' : '';
  return `${p.reference.padEnd(8)} ${p.state.padEnd(16)}${flag} ${p.type.padEnd(20)} ${p.subject.padEnd(20)} ${p.impact.amount} ${p.impact.currency}  ${p.createdAt}`;
}

export function describeProposal(p: Proposal): string {
  const out = [
    `${p.reference}  ${p.title}  [${p.state}${p.stale ? ', STALE: re-check before acting' : ''}]`,
    `  id        ${p.id}`,
    `  target    ${p.subject}`,
    `  impact    ${p.impact.summary}`,
    `  reason    ${p.reason}`,
    `  proposer  ${p.proposer.name} (${p.proposer.kind})`,
    `  route     ${p.route.tier}: ${p.route.why}; needs ${p.route.approvalsNeeded.join(', then ') || 'no approval'}`,
  ];
  for (const a of p.approvals)
    out.push(`  approved  by ${a.by.name} at ${a.at}${a.note ? `: ${a.note}` : ''}`);
  if (p.approvalDueAt && p.state === 'pending_approval') out.push(`  approve by ${p.approvalDueAt}`);
  if (p.executeDueAt && p.state === 'queued') out.push(`  carry out by ${p.executeDueAt}`);
  if (p.claimedBy) out.push(`  claimed   by ${p.claimedBy.name} at ${p.claimedAt}`);
  if (p.execution)
    out.push(
      `  executed  by ${p.execution.by.name} at ${p.execution.at}, legacy reference ${p.execution.legacyReference ?? '-'}${p.execution.edits ? `, edits ${JSON.stringify(p.execution.edits)}` : ''}`,
    );
  if (p.outcome)
    out.push(`  closed    by ${p.outcome.by.name} at ${p.outcome.at}: ${p.outcome.reason ?? ''}`);
  for (const k of ['live', 'snapshot'] as const) {
    const v = p.verification[k];
    if (!v) continue;
    const diffs = v.differences?.map(
      (d) => `${d.field} expected ${JSON.stringify(d.expected)} got ${JSON.stringify(d.actual)}`,
    );
    out.push(
      `  ${k.padEnd(9)} ${v.result}${v.source ? ` (${v.source})` : ''}${diffs?.length ? `: ${diffs.join('; ')}` : ''}`,
    );
  }
  out.push('', '  Steps:');
  p.instructions.forEach((s, i) => out.push(`  ${i + 1}. ${s.screen ? `[${s.screen}] ` : ''}${s.text}`));
  out.push(`  Reversal: ${p.reversal.reversible ? 'reversible' : `irreversible: ${p.reversal.reason}`}`);
  return out.join('\n');
}

async function run<T>(fn: (svc: ProposalService, store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig();
  return withStore(config, async (store) =>
    cliRun(async () => fn(await offlineProposals(config, store), store)),
  );
}

function printOutcome(p: Proposal, json: boolean | undefined, verb: string): void {
  if (json) printJson(p);
  else cliOut.write(`${verb} ${p.reference}: now ${p.state}\n`);
}

export function registerProposals(program: Command): void {
  const cmd = program
    .command('proposals')
    .description('the proposals queue: list, show, approve, claim, execute');

  cmd
    .command('list')
    .description('list proposals, newest first')
    .option('--state <list>', `comma-separated: ${PROPOSAL_STATES.join(',')}`)
    .option('--type <type>', 'proposal type')
    .option('--target <target>', 'accounts/004471 or a key')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(async (o: { state?: string; type?: string; target?: string; limit: string; json?: boolean }) => {
      const states = splitList(o.state);
      const bad = states.filter((s) => !(PROPOSAL_STATES as readonly string[]).includes(s));
      if (bad.length) throw new CliError(`--state: unknown ${bad.join(', ')}`, EXIT.usage);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new CliError('--limit: 1 to 1000', EXIT.usage);
      const items = await run((svc) =>
        svc.list({
          ...(states.length ? { state: states as ProposalState[] } : {}),
          ...(o.type ? { type: o.type } : {}),
          ...(o.target ? { target: o.target } : {}),
          limit,
        }),
      );
      if (o.json) printJson({ items });
      else cliOut.write(items.length ? items.map(line).join('\n') + '\n' : 'no proposals\n');
    });

  cmd
    .command('show')
    .description('one proposal with its instructions and verification')
    .argument('<id>', 'id or reference (P-1042)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const p = await run((svc) => svc.get(id));
      if (o.json) printJson(p);
      else cliOut.write(describeProposal(p) + '\n');
    });

  cmd
    .command('approve')
    .description('approve as a named approver')
    .argument('<id>', 'id or reference')
    .requiredOption('--as <name>', 'the approver (a user with the approver role)')
    .option('--note <text>', 'a note kept with the approval')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { as: string; note?: string; json?: boolean }) => {
      const p = await run(async (svc, store) =>
        svc.approve(await personAs(store, o.as, ['approver']), id, o.note),
      );
      printOutcome(p, o.json, 'approved');
    });

  cmd
    .command('reject')
    .description('reject with a reason')
    .argument('<id>', 'id or reference')
    .requiredOption('--as <name>', 'an approver, operator or admin')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { as: string; reason: string; json?: boolean }) => {
      const p = await run(async (svc, store) =>
        svc.reject(await personAs(store, o.as, ['approver', 'operator', 'admin']), id, o.reason),
      );
      printOutcome(p, o.json, 'rejected');
    });

  cmd
    .command('claim')
    .description('claim from the queue before carrying it out')
    .argument('<id>', 'id or reference')
    .requiredOption('--as <name>', 'the operator')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { as: string; json?: boolean }) => {
      const p = await run(async (svc, store) => svc.claim(await personAs(store, o.as, ['operator']), id));
      printOutcome(p, o.json, 'claimed');
    });

  cmd
    .command('execute')
    .description('record as carried out in the legacy system (claims it first if it is still queued)')
    .argument('<id>', 'id or reference')
    .requiredOption('--as <name>', 'the operator')
    .requiredOption('--reference <ref>', 'the legacy transaction or reference number')
    .option('--note <text>', 'a note')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { as: string; reference: string; note?: string; json?: boolean }) => {
      const p = await run(async (svc, store) => {
        const who = await personAs(store, o.as, ['operator']);
        const cur = await svc.get(id);
        if (cur.state === 'queued') await svc.claim(who, id);
        return svc.execute(who, id, { reference: o.reference, ...(o.note ? { note: o.note } : {}) });
      });
      printOutcome(p, o.json, 'executed');
    });

  cmd
    .command('fail')
    .description('record as not carried out, with the reason')
    .argument('<id>', 'id or reference')
    .requiredOption('--as <name>', 'the operator who claimed it')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { as: string; reason: string; json?: boolean }) => {
      const p = await run(async (svc, store) =>
        svc.fail(await personAs(store, o.as, ['operator']), id, o.reason),
      );
      printOutcome(p, o.json, 'failed');
    });

  cmd
    .command('report')
    .description('outcomes per proposal type (the evidence for day 91)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await run((svc) => svc.report({}));
      if (o.json) return printJson(r);
      const rows = r.types.map(
        (t) =>
          `${t.type.padEnd(20)} total ${t.total}  verified ${t.outcomes.verified}  mismatch ${t.outcomes.mismatch}  failed ${t.outcomes.failed}  rejected ${t.outcomes.rejected}  expired ${t.outcomes.expired}  open ${t.outcomes.open}  edits ${t.operatorEdits}  approval p50 ${t.approvalTime.median ?? '-'} s  execution p50 ${t.executionTime.median ?? '-'} s`,
      );
      cliOut.write(rows.length ? rows.join('\n') + '\n' : 'no proposals yet\n');
    });
}
