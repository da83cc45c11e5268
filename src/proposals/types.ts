/**
 * Proposals: the words, the states, the database rows and the API shape.
 *
 * Glossary:
 * - proposal: a write an agent (or a person) asks for against one legacy record. In proposal mode
 *   seam never carries it out; people do, and seam checks their work.
 * - proposal type: a kind of write an adapter declares (src/adapter/proposal-type.ts).
 * - impact: what a proposal is worth in money; policy routes on it.
 * - route: where policy sent a proposal (tier, approvals needed, deadlines), frozen at submission.
 * - approver: a person who approves a proposal before an operator may carry it out.
 * - operator: a person who claims a proposal and carries it out by hand in the legacy system.
 * - stale: the target record changed after the proposal was based on it; re-check before acting.
 * - verification: seam reading the system of record (live, and the next batch snapshot) and
 *   comparing it with the expected state.
 *
 * Lifecycle:
 *   pending_approval ──approve(s)──▶ queued ──claim──▶ claimed ──execute──▶ executed ──▶ verified
 *        │  │                          │  ▲              │  │                     │    ▲    │
 *        │  └─expire─▶ expired ◀─expire┘  └───release───┘  └─fail─▶ failed       ▼    │    ▼
 *        └─reject─▶ rejected ◀─────reject (operator)──────┘                     mismatch ◀─┘
 * A proposal that needs no approval starts in `queued`. `stale` is a flag, not a state: a stale
 * proposal cannot be approved or claimed until someone re-checks it.
 */
import { z } from 'zod';
import type { Route } from './policy.ts';

export const PROPOSAL_STATES = [
  'pending_approval',
  'queued',
  'claimed',
  'executed',
  'verified',
  'mismatch',
  'failed',
  'rejected',
  'expired',
] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** States in which a person still has something to do before the legacy system is touched. */
export const OPEN_STATES: readonly ProposalState[] = ['pending_approval', 'queued', 'claimed'];
/** States after an operator (or seam, in gated-write) carried the proposal out. */
export const DONE_STATES: readonly ProposalState[] = ['executed', 'verified', 'mismatch'];

export interface Actor {
  kind: 'agent' | 'human' | 'system';
  id: string;
  name: string;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'seam', name: 'seam' };

export interface Difference {
  field: string;
  expected: unknown;
  actual: unknown;
}

export interface CheckResult {
  /** `superseded`: a later proposal on the same record was carried out, so this evidence can no longer come. */
  result: 'match' | 'mismatch' | 'unavailable' | 'pending' | 'superseded';
  checkedAt?: string;
  differences?: Difference[];
  /** Where the evidence came from: `soap` operation, feed file, event position. */
  source?: string;
  error?: string;
  attempts?: number;
}

export interface Verification {
  live?: CheckResult;
  snapshot?: CheckResult;
  /** When seam escalated that nothing could confirm the execution in time. */
  escalatedAt?: string;
}

/** A proposal row as stored. */
export interface DbProposal {
  id: string;
  number: number;
  system: string;
  type: string;
  resource: string;
  target_key: string;
  input: Record<string, unknown>;
  reason: string;
  state: ProposalState;
  stale: boolean;
  proposer_kind: 'agent' | 'human' | 'system';
  proposer_id: string;
  proposer_name: string;
  idempotency_key: string;
  request_hash: string;
  base_version: number;
  base_record: Record<string, unknown>;
  impact_amount: string;
  impact_currency: string;
  impact_summary: string;
  expected: Record<string, unknown>;
  instructions: { screen?: string; text: string }[];
  reversible: boolean;
  irreversible_reason: string | null;
  route: Route;
  approval_due_at: Date | null;
  escalated_at: Date | null;
  execute_due_at: Date | null;
  queued_at: Date | null;
  claimed_by_id: string | null;
  claimed_by_name: string | null;
  claimed_at: Date | null;
  execution_mode: 'manual' | 'gated' | null;
  executed_by_id: string | null;
  executed_by_name: string | null;
  executed_at: Date | null;
  legacy_reference: string | null;
  execution_note: string | null;
  executed_input: Record<string, unknown> | null;
  closed_by_id: string | null;
  closed_by_name: string | null;
  closed_at: Date | null;
  outcome_reason: string | null;
  verification: Verification;
  verify_after_position: number | null;
  verify_next_at: Date | null;
  verify_due_at: Date | null;
  verified_at: Date | null;
  reverses: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface DbApproval {
  proposal_id: string;
  approver_id: string;
  approver_name: string;
  step: number;
  note: string | null;
  approved_at: Date;
}

// ---- API shapes (the zod schemas feed OpenAPI and type the routes) ----

const Json = z.record(z.string(), z.unknown());
const Person = z.object({ kind: z.enum(['agent', 'human', 'system']), id: z.string(), name: z.string() });

const CheckResultSchema = z.object({
  result: z.enum(['match', 'mismatch', 'unavailable', 'pending', 'superseded']),
  checkedAt: z.string().optional(),
  differences: z
    .array(z.object({ field: z.string(), expected: z.unknown(), actual: z.unknown() }))
    .optional(),
  source: z.string().optional(),
  error: z.string().optional(),
  attempts: z.number().optional(),
});

export const ProposalSchema = z
  .object({
    id: z.string(),
    /** "P-1042": what people quote and type into the legacy memo field. */
    reference: z.string(),
    system: z.string(),
    type: z.string(),
    title: z.string(),
    resource: z.string(),
    targetKey: z.string(),
    subject: z.string(),
    input: Json,
    reason: z.string(),
    state: z.enum(PROPOSAL_STATES),
    stale: z.boolean(),
    proposer: Person,
    impact: z.object({ amount: z.string(), currency: z.string(), summary: z.string() }),
    /** The fields this proposal changes: value now (when proposed) and value after. */
    changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })),
    basedOn: z.object({ version: z.number() }),
    route: z.object({
      tier: z.string(),
      why: z.string(),
      approvalsNeeded: z.array(z.string()),
      approvalsGiven: z.number(),
    }),
    approvals: z.array(
      z.object({ by: Person, step: z.number(), note: z.string().nullable(), at: z.string() }),
    ),
    instructions: z.array(z.object({ screen: z.string().optional(), text: z.string() })),
    reversal: z.object({ reversible: z.boolean(), reason: z.string().nullable() }),
    approvalDueAt: z.string().nullable(),
    executeDueAt: z.string().nullable(),
    claimedBy: Person.nullable(),
    claimedAt: z.string().nullable(),
    execution: z
      .object({
        mode: z.enum(['manual', 'gated']),
        by: Person,
        at: z.string(),
        legacyReference: z.string().nullable(),
        note: z.string().nullable(),
        /** What the operator actually did, when it differs from the input. */
        edits: Json.nullable(),
      })
      .nullable(),
    outcome: z.object({ by: Person, at: z.string(), reason: z.string().nullable() }).nullable(),
    verification: z.object({
      live: CheckResultSchema.optional(),
      snapshot: CheckResultSchema.optional(),
      escalatedAt: z.string().optional(),
    }),
    verifiedAt: z.string().nullable(),
    reverses: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Proposal' });
export type Proposal = z.infer<typeof ProposalSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Which fields a proposal changes, before and after (never the whole record: it may hold personal data). */
export function proposalChanges(p: Pick<DbProposal, 'expected' | 'base_record'>) {
  return Object.entries(p.expected).map(([field, after]) => ({
    field,
    before: p.base_record[field] ?? null,
    after,
  }));
}

export function toProposal(p: DbProposal, approvals: DbApproval[], title: string): Proposal {
  const person = (kind: Actor['kind'], id: string | null, name: string | null) => ({
    kind,
    id: id ?? '',
    name: name ?? '',
  });
  const kindOf = (id: string | null): Actor['kind'] => (id === SYSTEM_ACTOR.id ? 'system' : 'human');
  return {
    id: p.id,
    reference: `P-${p.number}`,
    system: p.system,
    type: p.type,
    title,
    resource: p.resource,
    targetKey: p.target_key,
    subject: `${p.resource}/${p.target_key}`,
    input: p.input,
    reason: p.reason,
    state: p.state,
    stale: p.stale,
    proposer: person(p.proposer_kind, p.proposer_id, p.proposer_name),
    impact: { amount: p.impact_amount, currency: p.impact_currency, summary: p.impact_summary },
    changes: proposalChanges(p),
    basedOn: { version: p.base_version },
    route: {
      tier: p.route.tier,
      why: p.route.why,
      approvalsNeeded: p.route.steps.map((s) =>
        s === 'approver' ? 'any approver' : `one of ${s.named.join(', ')}`,
      ),
      approvalsGiven: approvals.length,
    },
    approvals: approvals
      .sort((a, b) => a.step - b.step)
      .map((a) => ({
        by: person('human', a.approver_id, a.approver_name),
        step: a.step,
        note: a.note,
        at: a.approved_at.toISOString(),
      })),
    instructions: p.instructions,
    reversal: { reversible: p.reversible, reason: p.irreversible_reason },
    approvalDueAt: iso(p.approval_due_at),
    executeDueAt: iso(p.execute_due_at),
    claimedBy: p.claimed_by_id ? person(kindOf(p.claimed_by_id), p.claimed_by_id, p.claimed_by_name) : null,
    claimedAt: iso(p.claimed_at),
    execution:
      p.executed_at && p.execution_mode
        ? {
            mode: p.execution_mode,
            by: person(kindOf(p.executed_by_id), p.executed_by_id, p.executed_by_name),
            at: p.executed_at.toISOString(),
            legacyReference: p.legacy_reference,
            note: p.execution_note,
            edits: p.executed_input,
          }
        : null,
    outcome: p.closed_at
      ? {
          by: person(kindOf(p.closed_by_id), p.closed_by_id, p.closed_by_name),
          at: p.closed_at.toISOString(),
          reason: p.outcome_reason,
        }
      : null,
    verification: p.verification,
    verifiedAt: iso(p.verified_at),
    reverses: p.reverses,
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
  };
}
