/**
 * The rollback plan: for everything carried out in a window (`--since 24h`), propose the reverse of
 * each reversible proposal (through policy and approvals like any other: seam still writes nothing),
 * and write a report of the irreversible ones for the people affected. Running it twice creates no
 * second reversal: each reversal's Idempotency-Key is `rollback:<original id>`, and an identical
 * open proposal is refused as a duplicate.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { Problem } from '../http/problem.ts';
import type { ProposalDeps } from './deps.ts';
import { propose, type Proposer } from './submit.ts';
import type { DbProposal } from './types.ts';

const SINCE = /^(\d+(?:\.\d+)?)\s*(m|h|d)$/;

/** `24h`, `90m`, `7d`, or an ISO 8601 instant → the window's start. */
export function parseSince(since: string, now: Date): Date {
  const m = SINCE.exec(since.trim());
  if (m) {
    const ms = Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000);
    return new Date(now.getTime() - ms);
  }
  const t = Date.parse(since);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(since))
    throw new Problem({
      status: 400,
      code: 'bad_since',
      title: 'Bad window',
      detail: `--since takes a duration like 24h, 90m or 7d, or an ISO 8601 time (got "${since}").`,
    });
  return new Date(t);
}

const Item = z.object({
  id: z.string(),
  reference: z.string(),
  type: z.string(),
  target: z.string(),
  executedAt: z.string(),
  executedBy: z.string(),
  legacyReference: z.string().nullable(),
  impact: z.object({ amount: z.string(), currency: z.string(), summary: z.string() }),
});

export const RollbackPlanSchema = z
  .object({
    since: z.string(),
    until: z.string(),
    by: z.string(),
    executed: z.number(),
    reversals: z.array(
      Item.extend({
        status: z.enum(['created', 'exists', 'not_needed', 'refused']),
        reversal: z.object({ id: z.string(), reference: z.string(), state: z.string() }).nullable(),
        note: z.string().nullable(),
      }),
    ),
    irreversible: z.array(Item.extend({ reason: z.string(), proposer: z.string(), agentReason: z.string() })),
    files: z.object({ markdown: z.string(), csv: z.string() }),
  })
  .meta({ id: 'RollbackPlan' });
export type RollbackPlan = z.infer<typeof RollbackPlanSchema>;

function item(p: DbProposal) {
  return {
    id: p.id,
    reference: `P-${p.number}`,
    type: p.type,
    target: `${p.resource}/${p.target_key}`,
    executedAt: p.executed_at!.toISOString(),
    executedBy: p.executed_by_name ?? '',
    legacyReference: p.legacy_reference,
    impact: { amount: p.impact_amount, currency: p.impact_currency, summary: p.impact_summary },
  };
}

export async function planRollback(
  deps: ProposalDeps,
  who: Proposer,
  opts: { since: string; outDir: string },
): Promise<RollbackPlan> {
  const now = deps.now();
  const from = parseSince(opts.since, now);
  const r = await deps.store.query<DbProposal>(
    `SELECT * FROM proposals WHERE state IN ('executed', 'verified', 'mismatch') AND executed_at >= $1
      AND executed_at <= $2 ORDER BY executed_at`,
    [from, now],
  );
  const plan: RollbackPlan = {
    since: from.toISOString(),
    until: now.toISOString(),
    by: who.name,
    executed: r.rows.length,
    reversals: [],
    irreversible: [],
    files: { markdown: '', csv: '' },
  };
  for (const p of r.rows) {
    const entry = deps.catalog.get(p.type);
    const reversal = entry?.def.reversal;
    if (!entry || !reversal || reversal.kind === 'irreversible') {
      plan.irreversible.push({
        ...item(p),
        reason: reversal?.kind === 'irreversible' ? reversal.reason : `unknown proposal type ${p.type}`,
        proposer: p.proposer_name,
        agentReason: p.reason,
      });
      continue;
    }
    // What was actually done (operator edits included) is what must be undone.
    const done = { ...p.input, ...(p.executed_input ?? {}) };
    const input = reversal.input(done, p.base_record);
    const type = reversal.type ?? p.type;
    try {
      const res = await propose(
        deps,
        who,
        {
          type,
          input,
          reason: `Rollback of P-${p.number} (${p.type} on ${p.resource}/${p.target_key}, carried out ${p.executed_at!.toISOString()} by ${p.executed_by_name}, legacy reference ${p.legacy_reference ?? 'none'}).`,
        },
        `rollback:${p.id}`,
        { reverses: p.id, evenIfReadOnly: true },
      );
      plan.reversals.push({
        ...item(p),
        status: res.created ? 'created' : 'exists',
        reversal: { id: res.proposal.id, reference: `P-${res.proposal.number}`, state: res.proposal.state },
        note: null,
      });
      if (res.created)
        await deps.store.transaction((tx) =>
          deps.journal.write(
            tx,
            p,
            'rollback_planned',
            { kind: who.kind, id: who.id, name: who.name },
            {
              reversal: res.proposal.id,
              reversalReference: `P-${res.proposal.number}`,
            },
            now,
          ),
        );
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      const existing = err.extra.proposal as string | undefined;
      // "Nothing to change" means undone already only if seam had seen it done in the first place.
      const unseen = err.code === 'no_change' && p.state !== 'verified';
      plan.reversals.push({
        ...item(p),
        status: unseen
          ? 'refused'
          : err.code === 'no_change'
            ? 'not_needed'
            : err.code === 'duplicate_proposal'
              ? 'exists'
              : 'refused',
        reversal:
          existing && err.code === 'duplicate_proposal'
            ? { id: existing, reference: String(err.extra.reference), state: String(err.extra.state) }
            : null,
        note: unseen
          ? `seam's copy of ${p.resource}/${p.target_key} does not show P-${p.number} carried out yet (it is ${p.state}); check the record in the legacy system, then run the rollback again`
          : (err.detail ?? err.title),
      });
    }
  }
  plan.files = writeReport(plan, opts.outDir, now);
  return plan;
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

function writeReport(plan: RollbackPlan, outDir: string, now: Date): RollbackPlan['files'] {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const md = path.join(outDir, `rollback-${stamp}.md`);
  const csv = path.join(outDir, `rollback-${stamp}.csv`);
  const lines = [
    `# Rollback plan`,
    ``,
    `Window: ${plan.since} to ${plan.until}. Prepared by ${plan.by}.`,
    ``,
    `${plan.executed} proposal(s) were carried out in the legacy system in this window.`,
    ``,
    `## Cannot be undone by seam (${plan.irreversible.length})`,
    ``,
    plan.irreversible.length === 0
      ? `None.`
      : `These were carried out and cannot be reversed by a proposal. The people affected need to be told, and any correction made by hand (see the reason for each).`,
    ``,
    ...plan.irreversible.flatMap((i) => [
      `### ${i.reference}: ${i.type} on ${i.target}`,
      ``,
      `- What was done: ${i.impact.summary}`,
      `- Carried out: ${i.executedAt} by ${i.executedBy}, legacy reference ${i.legacyReference ?? 'none'}`,
      `- Asked for by: ${i.proposer}, because: ${i.agentReason}`,
      `- Why it cannot be reversed: ${i.reason}`,
      ``,
    ]),
    `## Reversal proposals (${plan.reversals.length})`,
    ``,
    plan.reversals.length === 0
      ? `None.`
      : `Each goes through approval and is carried out by an operator like any proposal.`,
    ``,
    ...plan.reversals.map(
      (r) =>
        `- ${r.reference} (${r.type} on ${r.target}, ${r.impact.summary}): ${r.status}${r.reversal ? ` as ${r.reversal.reference} (${r.reversal.state})` : ''}${r.note ? `: ${r.note}` : ''}`,
    ),
    ``,
  ];
  fs.writeFileSync(md, lines.join('\n'));
  const header = [
    'reference',
    'type',
    'target',
    'executed_at',
    'executed_by',
    'legacy_reference',
    'impact_amount',
    'impact_currency',
    'summary',
    'why_irreversible',
    'proposer',
    'proposer_reason',
  ];
  const rows = plan.irreversible.map((i) =>
    [
      i.reference,
      i.type,
      i.target,
      i.executedAt,
      i.executedBy,
      i.legacyReference,
      i.impact.amount,
      i.impact.currency,
      i.impact.summary,
      i.reason,
      i.proposer,
      i.agentReason,
    ]
      .map(csvCell)
      .join(','),
  );
  fs.writeFileSync(csv, [header.join(','), ...rows].join('\r\n') + '\r\n');
  return { markdown: md, csv };
}
