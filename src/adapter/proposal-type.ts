/**
 * The proposal-type contract (owned by the proposals area): one kind of write an agent may propose
 * against one resource of a legacy system. The adapter declares everything system-specific:
 *
 * - what the agent sends (a zod input schema) and which record it targets;
 * - what it is worth (impact in money, from the input and the current record): policy routes on it;
 * - what the record must look like once a human has carried it out (a partial record): verification
 *   compares the system of record with it;
 * - how an operator does it by hand, step by step, in the legacy system's own screens and words;
 * - how to undo it (the input of the reverse proposal), or why it cannot be undone;
 * - for gated-write only: the SOAP write operation seam would call itself.
 *
 * Every function is pure: it gets the validated input and the current record and returns values.
 * Money is a decimal string (see `decimal`), never a float.
 */
import type { ZodType } from 'zod';

export { decimal, isDecimal } from '../proposals/decimal.ts';

export type ProposalRecord = Record<string, unknown>;

/** The money a proposal moves, as the business owner would put it. */
export interface Impact {
  /** Decimal string; may be negative (a lower limit, stock written off). Policy uses its absolute value. */
  amount: string;
  /** ISO 4217 code, e.g. `EUR`. */
  currency: string;
  /** One line an approver reads, e.g. "Credit limit 5,000.00 → 8,000.00 EUR (+3,000.00)". */
  summary: string;
}

/** One step of the operator's instructions: which legacy screen, and what to do on it. */
export interface InstructionStep {
  /** The legacy screen, by its own code and name, e.g. `CM02 Customer Credit Maintenance`. */
  screen?: string;
  /**
   * What to do, in the legacy system's terms, with the values already filled in. `{proposal}` is
   * replaced by the proposal's reference (e.g. `P-1042`), for memo and reason fields.
   */
  text: string;
}

/** How to undo a carried-out proposal: a reverse proposal, or a reason it cannot be done. */
export type Reversal<I, R> =
  | {
      kind: 'reversible';
      /** Proposal type of the reverse proposal; defaults to this type. */
      type?: string;
      /** The reverse proposal's input, from the original input and the record as it was before. */
      input(input: I, before: R): ProposalRecord;
    }
  | {
      kind: 'irreversible';
      /** Why, in words the people affected understand; goes into the rollback report. */
      reason: string;
    };

/** gated-write only: the legacy write operation seam calls itself once a proposal is approved. */
export interface WriteOperation<I, R> {
  /** SOAP operation name as in the WSDL, e.g. `SetCreditLimit`. */
  operation: string;
  /** The operation's arguments. */
  args(input: I, record: R): ProposalRecord;
  /** The legacy reference (transaction number) from the operation's answer. */
  reference(result: unknown): string;
}

export interface ProposalTypeDefinition<I extends ProposalRecord = ProposalRecord, R = ProposalRecord> {
  /** Stable id used in URLs, scopes (`propose:<id>`) and events, e.g. `set-credit-limit`. */
  id: string;
  /** Short human title, e.g. "Set an account's credit limit". */
  title: string;
  /** What it is for and when an agent should use it (shown in the API docs and to agents). */
  description: string;
  /** The resource whose record it changes, e.g. `accounts`. */
  resource: string;
  /** What the agent sends. */
  input: ZodType<I>;
  /**
   * A valid input an agent might send, against a record that exists in the system (and its
   * simulator's data): documents the type, and the adapter contract test requires and exercises it.
   */
  example?: ProposalRecord;
  /** The key of the target record, from the input. */
  targetKey(input: I): string;
  /** Why this input cannot apply to this record now (empty or undefined when it can). */
  check?(input: I, record: R): string[] | undefined;
  impact(input: I, record: R): Impact;
  /** The record's fields once carried out; only these fields are compared. */
  expected(input: I, record: R): Partial<R>;
  /**
   * Fields of the record this proposal depends on: if one of them changes before it is carried out,
   * the proposal is stale and must be re-checked. A change to any other field (a balance moving
   * under a status change) just re-pins the version. Default: the fields of `expected`.
   */
  dependsOn?: readonly string[];
  /** Step-by-step instructions for the operator, with values filled in. */
  instructions(input: I, record: R): InstructionStep[];
  reversal: Reversal<I, R>;
  write?: WriteOperation<I, R>;
}

/** Type-checks one proposal type against its input and record types (identity at run time). */
export function defineProposalType<I extends ProposalRecord, R>(
  def: ProposalTypeDefinition<I, R>,
): ProposalTypeDefinition<I, R> {
  return def;
}

/** Any proposal type, its input and record erased (how the proposals area holds them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProposalType = ProposalTypeDefinition<any, any>;
