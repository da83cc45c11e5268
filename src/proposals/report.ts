/**
 * The evidence a business owner needs on day 91 to decide what to automate: per proposal type,
 * how many ended how, how long approvals and operators took, how often what operators recorded
 * did not match the system of record, how often operators did something other than proposed.
 */
import { z } from 'zod';
import type { Queryable } from '../store/types.ts';
import type { Catalog } from './catalog.ts';
import { PROPOSAL_STATES } from './types.ts';

const Durations = z.object({
  count: z.number(),
  /** Seconds. */
  median: z.number().nullable(),
  p90: z.number().nullable(),
});

export const ProposalReportSchema = z
  .object({
    from: z.string().nullable(),
    to: z.string(),
    types: z.array(
      z.object({
        type: z.string(),
        title: z.string(),
        total: z.number(),
        byState: z.record(z.string(), z.number()),
        outcomes: z.object({
          verified: z.number(),
          mismatch: z.number(),
          awaitingVerification: z.number(),
          failed: z.number(),
          rejected: z.number(),
          expired: z.number(),
          open: z.number(),
        }),
        approvalTime: Durations.meta({
          description: 'From proposed to fully approved (proposals that needed approval).',
        }),
        executionTime: Durations.meta({ description: 'From approved (queued) to executed.' }),
        verificationTime: Durations.meta({ description: 'From executed to verified.' }),
        /** Proposals that were found not to match the system of record at least once (resolved or not). */
        mismatchesEver: z.number(),
        /** Executed with operator edits (the operator did something other than proposed). */
        operatorEdits: z.number(),
        /** Proposals that went stale at least once before being carried out. */
        staleEver: z.number(),
        /** Carried out by seam in gated-write rather than by hand. */
        gatedExecutions: z.number(),
        /** Sum of the impact of verified proposals, per currency. */
        verifiedImpact: z.array(z.object({ currency: z.string(), amount: z.string() })),
      }),
    ),
  })
  .meta({ id: 'ProposalReport' });
export type ProposalReport = z.infer<typeof ProposalReportSchema>;

const round = (v: number | null) => (v === null ? null : Math.round(v));

export async function proposalReport(
  db: Queryable,
  catalog: Catalog,
  opts: { from?: Date; to: Date },
): Promise<ProposalReport> {
  const params = [opts.from ?? new Date(0), opts.to];
  const window = 'created_at >= $1 AND created_at < $2';
  const main = await db.query<Record<string, number | null> & { type: string }>(
    `SELECT type, count(*)::int AS total,
       ${PROPOSAL_STATES.map((s) => `count(*) FILTER (WHERE state = '${s}')::int AS "s_${s}"`).join(',\n       ')},
       count(*) FILTER (WHERE jsonb_array_length(route->'steps') > 0 AND queued_at IS NOT NULL)::int AS approval_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM queued_at - created_at)::float8)
         FILTER (WHERE jsonb_array_length(route->'steps') > 0 AND queued_at IS NOT NULL) AS approval_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM queued_at - created_at)::float8)
         FILTER (WHERE jsonb_array_length(route->'steps') > 0 AND queued_at IS NOT NULL) AS approval_p90,
       count(*) FILTER (WHERE executed_at IS NOT NULL AND queued_at IS NOT NULL)::int AS exec_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM executed_at - queued_at)::float8)
         FILTER (WHERE executed_at IS NOT NULL AND queued_at IS NOT NULL) AS exec_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM executed_at - queued_at)::float8)
         FILTER (WHERE executed_at IS NOT NULL AND queued_at IS NOT NULL) AS exec_p90,
       count(*) FILTER (WHERE verified_at IS NOT NULL)::int AS verify_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM verified_at - executed_at)::float8)
         FILTER (WHERE verified_at IS NOT NULL) AS verify_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM verified_at - executed_at)::float8)
         FILTER (WHERE verified_at IS NOT NULL) AS verify_p90,
       count(*) FILTER (WHERE executed_input IS NOT NULL)::int AS edits,
       count(*) FILTER (WHERE execution_mode = 'gated' AND executed_at IS NOT NULL)::int AS gated
     FROM proposals WHERE ${window} GROUP BY type ORDER BY type`,
    params,
  );
  const ever = await db.query<{ type: string; mismatches: number; stale: number }>(
    `SELECT p.type,
       count(DISTINCT p.id) FILTER (WHERE e.type = 'seam.proposal.mismatch')::int AS mismatches,
       count(DISTINCT p.id) FILTER (WHERE e.type = 'seam.proposal.stale')::int AS stale
     FROM proposals p JOIN events e ON e.aggregate_type = 'proposal' AND e.aggregate_id = p.id::text
     WHERE p.created_at >= $1 AND p.created_at < $2 AND e.type IN ('seam.proposal.mismatch', 'seam.proposal.stale')
     GROUP BY p.type`,
    params,
  );
  const impact = await db.query<{ type: string; currency: string; amount: string }>(
    `SELECT type, impact_currency AS currency, sum(abs(impact_amount))::numeric(20, 2)::text AS amount
       FROM proposals WHERE ${window} AND state = 'verified' GROUP BY type, impact_currency ORDER BY type, impact_currency`,
    params,
  );
  const n = (v: number | null | undefined) => Number(v ?? 0);
  return {
    from: opts.from?.toISOString() ?? null,
    to: opts.to.toISOString(),
    types: main.rows.map((r) => {
      const e = ever.rows.find((x) => x.type === r.type);
      const s = (state: string) => n(r[`s_${state}`]);
      return {
        type: r.type,
        title: catalog.get(r.type)?.def.title ?? r.type,
        total: n(r.total),
        byState: Object.fromEntries(PROPOSAL_STATES.map((st) => [st, s(st)])),
        outcomes: {
          verified: s('verified'),
          mismatch: s('mismatch'),
          awaitingVerification: s('executed'),
          failed: s('failed'),
          rejected: s('rejected'),
          expired: s('expired'),
          open: s('pending_approval') + s('queued') + s('claimed'),
        },
        approvalTime: {
          count: n(r.approval_n),
          median: round(r.approval_p50 ?? null),
          p90: round(r.approval_p90 ?? null),
        },
        executionTime: {
          count: n(r.exec_n),
          median: round(r.exec_p50 ?? null),
          p90: round(r.exec_p90 ?? null),
        },
        verificationTime: {
          count: n(r.verify_n),
          median: round(r.verify_p50 ?? null),
          p90: round(r.verify_p90 ?? null),
        },
        mismatchesEver: n(e?.mismatches),
        operatorEdits: n(r.edits),
        staleEver: n(e?.stale),
        gatedExecutions: n(r.gated),
        verifiedImpact: impact.rows
          .filter((x) => x.type === r.type)
          .map((x) => ({ currency: x.currency, amount: x.amount })),
      };
    }),
  };
}
