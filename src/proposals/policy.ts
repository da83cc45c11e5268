/**
 * The approval policy: who must look at a proposal before an operator carries it out, decided by
 * its impact in money. It lives in a YAML file the business owner can read and change
 * (policy/proposals.yaml, SEAM_POLICY_FILE); when there is no file, the defaults below apply.
 * The file is read at start; a file that does not parse stops start-up with a message naming the
 * bad entry, as bad configuration does.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { decimal, isDecimal } from './decimal.ts';

const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(m|h|d)$/, 'a duration looks like 30m, 8h or 2d')
  .transform((s) => {
    const n = Number.parseFloat(s);
    const unit = s.trim().slice(-1);
    return Math.round(n * (unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000));
  });

const Amount = z.union([z.number().nonnegative(), z.string().refine(isDecimal, 'must be an amount')]);

/** One approval a tier needs: any approver, or one of the people named. */
const Step = z.union([z.literal('approver'), z.strictObject({ named: z.array(z.string().min(1)).min(1) })]);

const Tier = z.strictObject({
  name: z.string().min(1),
  /** Impacts strictly below this amount fall in this tier. */
  below: Amount.optional(),
  /** Impacts up to and including this amount fall in this tier. */
  up_to: Amount.optional(),
  /** `none`, or the approvals needed, in order. */
  approvals: z.union([z.literal('none'), z.array(Step).min(1).max(5)]),
  /** How long the approvals may take before the proposal expires. */
  approve_within: Duration.optional(),
});

const Rules = z.strictObject({
  tiers: z.array(Tier).min(1).optional(),
  escalate_before_expiry: Duration.optional(),
  execute_within: Duration.optional(),
  verify_within: Duration.optional(),
  approver_may_execute: z.boolean().optional(),
});

const PolicyFile = z.strictObject({
  version: z.literal(1).default(1),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
  rates: z.record(z.string().regex(/^[A-Z]{3}$/), Amount).default({}),
  tiers: z.array(Tier).min(1),
  escalate_before_expiry: Duration.default(7_200_000),
  execute_within: Duration.default(3 * 86_400_000),
  verify_within: Duration.default(2 * 86_400_000),
  approver_may_execute: z.boolean().default(false),
  types: z.record(z.string(), Rules).default({}),
});

export type PolicyStep = 'approver' | { named: string[] };

export interface Policy {
  /** Where it came from (a file path, or `defaults`), and a hash of its text for the record. */
  source: string;
  hash: string;
  currency: string;
  rates: Record<string, string>;
  tiers: PolicyTier[];
  escalateBeforeExpiryMs: number;
  executeWithinMs: number;
  verifyWithinMs: number;
  approverMayExecute: boolean;
  types: Record<string, Partial<Omit<Policy, 'source' | 'hash' | 'currency' | 'rates' | 'types'>>>;
}

export interface PolicyTier {
  name: string;
  below?: string;
  upTo?: string;
  steps: PolicyStep[];
  approveWithinMs?: number;
}

/** The default policy, as our guidance puts it; policy/proposals.yaml says the same in words. */
export const DEFAULT_POLICY_YAML = `
version: 1
currency: EUR
tiers:
  - name: small
    below: 500
    approvals: none
  - name: medium
    up_to: 5000
    approvals: [approver]
    approve_within: 8h
  - name: large
    approvals:
      - named: [dana.fischer]
      - approver
    approve_within: 24h
`;

export class PolicyError extends Error {
  constructor(source: string, problems: string[]) {
    super(`Invalid proposal policy (${source}):\n` + problems.map((p) => `  ${p}`).join('\n'));
    this.name = 'PolicyError';
  }
}

function tierOf(t: z.infer<typeof Tier>): PolicyTier {
  return {
    name: t.name,
    ...(t.below !== undefined ? { below: decimal.format(t.below) } : {}),
    ...(t.up_to !== undefined ? { upTo: decimal.format(t.up_to) } : {}),
    steps: t.approvals === 'none' ? [] : t.approvals,
    ...(t.approve_within !== undefined ? { approveWithinMs: t.approve_within } : {}),
  };
}

function checkTiers(tiers: PolicyTier[], where: string): string[] {
  const out: string[] = [];
  tiers.forEach((t, i) => {
    const last = i === tiers.length - 1;
    if (t.below !== undefined && t.upTo !== undefined)
      out.push(`${where}[${i}] (${t.name}): give either below or up_to, not both`);
    if (!last && t.below === undefined && t.upTo === undefined)
      out.push(`${where}[${i}] (${t.name}): only the last tier may have no upper bound`);
    if (last && (t.below !== undefined || t.upTo !== undefined))
      out.push(`${where}[${i}] (${t.name}): the last tier takes everything above; give it no bound`);
    if (t.steps.length > 0 && t.approveWithinMs === undefined)
      out.push(`${where}[${i}] (${t.name}): a tier that needs approvals needs approve_within`);
  });
  return out;
}

/** Parse policy text (YAML or JSON); throws PolicyError naming each bad entry. */
export function parsePolicy(text: string, source: string): Policy {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new PolicyError(source, [(err as Error).message]);
  }
  const r = PolicyFile.safeParse(raw);
  if (!r.success)
    throw new PolicyError(
      source,
      r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`),
    );
  const p = r.data;
  const tiers = p.tiers.map(tierOf);
  const problems = checkTiers(tiers, 'tiers');
  const types: Policy['types'] = {};
  for (const [id, rules] of Object.entries(p.types)) {
    const t: Policy['types'][string] = {};
    if (rules.tiers) {
      t.tiers = rules.tiers.map(tierOf);
      problems.push(...checkTiers(t.tiers, `types.${id}.tiers`));
    }
    if (rules.escalate_before_expiry !== undefined) t.escalateBeforeExpiryMs = rules.escalate_before_expiry;
    if (rules.execute_within !== undefined) t.executeWithinMs = rules.execute_within;
    if (rules.verify_within !== undefined) t.verifyWithinMs = rules.verify_within;
    if (rules.approver_may_execute !== undefined) t.approverMayExecute = rules.approver_may_execute;
    types[id] = t;
  }
  if (problems.length > 0) throw new PolicyError(source, problems);
  return {
    source,
    hash: createHash('sha256').update(text).digest('hex').slice(0, 16),
    currency: p.currency,
    rates: Object.fromEntries(Object.entries(p.rates).map(([c, v]) => [c, decimal.format(v, 6)])),
    tiers,
    escalateBeforeExpiryMs: p.escalate_before_expiry,
    executeWithinMs: p.execute_within,
    verifyWithinMs: p.verify_within,
    approverMayExecute: p.approver_may_execute,
    types,
  };
}

/** The policy from a file, or the defaults when the file does not exist. */
export function loadPolicy(file: string | undefined): Policy {
  if (file && fs.existsSync(file)) return parsePolicy(fs.readFileSync(file, 'utf8'), file);
  return parsePolicy(DEFAULT_POLICY_YAML, 'defaults');
}

/** The rules in force for one proposal type (its overrides over the general ones). */
export function rulesFor(policy: Policy, type: string) {
  const o = policy.types[type] ?? {};
  return {
    tiers: o.tiers ?? policy.tiers,
    escalateBeforeExpiryMs: o.escalateBeforeExpiryMs ?? policy.escalateBeforeExpiryMs,
    executeWithinMs: o.executeWithinMs ?? policy.executeWithinMs,
    verifyWithinMs: o.verifyWithinMs ?? policy.verifyWithinMs,
    approverMayExecute: o.approverMayExecute ?? policy.approverMayExecute,
  };
}

/** Where policy sent one proposal, kept with it (so a later policy change does not rewrite history). */
export interface Route {
  tier: string;
  steps: PolicyStep[];
  approveWithinMs: number | null;
  escalateBeforeExpiryMs: number;
  executeWithinMs: number;
  verifyWithinMs: number;
  approverMayExecute: boolean;
  /** The absolute impact in the policy's currency, or null when it could not be converted. */
  amount: string | null;
  currency: string;
  why: string;
  policy: { source: string; hash: string };
}

/** Route one impact. Amounts in a currency with no rate take the strictest (last) tier. */
export function route(policy: Policy, type: string, impact: { amount: string; currency: string }): Route {
  const rules = rulesFor(policy, type);
  const abs = decimal.abs(impact.amount);
  let amount: string | null = null;
  if (impact.currency === policy.currency) amount = abs;
  else if (policy.rates[impact.currency] !== undefined)
    amount = decimal.mul(abs, policy.rates[impact.currency]!);
  const strictest = rules.tiers[rules.tiers.length - 1]!;
  let tier = strictest;
  let why: string;
  if (amount === null) {
    why = `no rate from ${impact.currency} to ${policy.currency}: strictest tier`;
  } else {
    tier =
      rules.tiers.find(
        (t) =>
          (t.below !== undefined && decimal.cmp(amount!, t.below) < 0) ||
          (t.upTo !== undefined && decimal.cmp(amount!, t.upTo) <= 0),
      ) ?? strictest;
    why =
      tier.below !== undefined
        ? `${amount} ${policy.currency} is below ${tier.below}`
        : tier.upTo !== undefined
          ? `${amount} ${policy.currency} is at most ${tier.upTo}`
          : `${amount} ${policy.currency} is above every other tier`;
  }
  return {
    tier: tier.name,
    steps: tier.steps,
    approveWithinMs: tier.steps.length > 0 ? (tier.approveWithinMs ?? null) : null,
    escalateBeforeExpiryMs: rules.escalateBeforeExpiryMs,
    executeWithinMs: rules.executeWithinMs,
    verifyWithinMs: rules.verifyWithinMs,
    approverMayExecute: rules.approverMayExecute,
    amount,
    currency: policy.currency,
    why,
    policy: { source: policy.source, hash: policy.hash },
  };
}

/** Does this person satisfy this approval step? Names match case-insensitively. */
export function satisfiesStep(step: PolicyStep, approverName: string): boolean {
  if (step === 'approver') return true;
  return step.named.some((n) => n.toLowerCase() === approverName.toLowerCase());
}

export function describeStep(step: PolicyStep): string {
  return step === 'approver' ? 'any approver' : `one of ${step.named.join(', ')}`;
}
