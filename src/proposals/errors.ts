/** Every refusal of the proposals area, with a stable code (the `type` ends with it). None changes anything. */
import { Problem } from '../http/problem.ts';
import type { DbProposal } from './types.ts';

const about = (p: DbProposal) => ({
  proposal: p.id,
  reference: `P-${p.number}`,
  state: p.state,
  stale: p.stale,
});

export const proposalProblems = {
  notFound: (id: string) =>
    new Problem({ status: 404, code: 'proposal_not_found', title: 'No such proposal', detail: id }),
  unknownType: (type: string, known: string[]) =>
    new Problem({
      status: 422,
      code: 'unknown_proposal_type',
      title: 'Unknown proposal type',
      detail: `There is no proposal type "${type}". Known types: ${known.join(', ') || 'none'}.`,
      extra: { knownTypes: known },
    }),
  typeNotAllowed: (type: string) =>
    new Problem({
      status: 403,
      code: 'forbidden',
      title: 'Forbidden',
      detail: `This key may not propose ${type} (it needs the scope propose:${type}).`,
    }),
  readOnly: () =>
    new Problem({
      status: 409,
      code: 'read_only_mode',
      title: 'seam is in read-only mode',
      detail: 'Proposals are not accepted while seam is read-only; an admin can switch to proposal mode.',
    }),
  idempotencyKeyRequired: () =>
    new Problem({
      status: 400,
      code: 'idempotency_key_required',
      title: 'Idempotency-Key header required',
      detail:
        'Send an Idempotency-Key header (any unique string up to 200 characters) so a retried request never makes two proposals.',
    }),
  idempotencyKeyReused: (p: DbProposal) =>
    new Problem({
      status: 422,
      code: 'idempotency_key_reused',
      title: 'Idempotency-Key already used for a different request',
      detail: `This Idempotency-Key was already used for P-${p.number} with a different body. Use a new key for a new proposal.`,
      extra: about(p),
    }),
  duplicate: (p: DbProposal) =>
    new Problem({
      status: 409,
      code: 'duplicate_proposal',
      title: 'The same proposal is already open',
      detail: `P-${p.number} already asks for exactly this and is ${p.state}.`,
      extra: about(p),
    }),
  targetNotFound: (subject: string, why = 'does not exist in the system of record') =>
    new Problem({
      status: 422,
      code: 'target_not_found',
      title: 'Target record not found',
      detail: `${subject} ${why}.`,
      extra: { target: subject },
    }),
  targetUnavailable: (subject: string) =>
    new Problem({
      status: 503,
      code: 'target_unavailable',
      title: 'Target record cannot be read now',
      detail: `${subject} is not in seam's store and the legacy system cannot be reached to read it; try again shortly.`,
      headers: { 'Retry-After': '30' },
      extra: { target: subject },
    }),
  notApplicable: (subject: string, reasons: string[]) =>
    new Problem({
      status: 422,
      code: 'not_applicable',
      title: 'The proposal does not apply to the record as it is',
      detail: `${subject}: ${reasons.join('; ')}`,
      extra: { target: subject, reasons },
    }),
  noChange: (subject: string) =>
    new Problem({
      status: 422,
      code: 'no_change',
      title: 'Nothing to change',
      detail: `${subject} already is in the state this proposal asks for.`,
      extra: { target: subject },
    }),
  agentCannotApprove: () =>
    new Problem({
      status: 403,
      code: 'agent_cannot_approve',
      title: 'Agents cannot approve',
      detail: 'Only a signed-in person with the approver role can approve a proposal.',
    }),
  makerChecker: (p: DbProposal, what: string) =>
    new Problem({
      status: 403,
      code: 'maker_checker',
      title: 'Maker and checker must be different people',
      detail: `You ${what} P-${p.number}; someone else must do this.`,
      extra: about(p),
    }),
  alreadyApproved: (p: DbProposal) =>
    new Problem({
      status: 409,
      code: 'already_approved',
      title: 'You already approved this proposal',
      detail: `You already approved P-${p.number}; the next approval must come from someone else.`,
      extra: about(p),
    }),
  namedApproverRequired: (p: DbProposal, step: string) =>
    new Problem({
      status: 403,
      code: 'named_approver_required',
      title: 'A named approver must approve first',
      detail: `P-${p.number} next needs an approval from ${step}.`,
      extra: about(p),
    }),
  expired: (p: DbProposal) =>
    new Problem({
      status: 409,
      code: 'proposal_expired',
      title: 'Proposal expired',
      detail: `P-${p.number} passed its deadline without being ${p.state === 'queued' ? 'carried out' : 'approved'}; it can no longer be acted on. The agent may propose it again.`,
      extra: about(p),
    }),
  stale: (p: DbProposal) =>
    new Problem({
      status: 409,
      code: 'proposal_stale',
      title: 'The record changed since the proposal was made',
      detail: `${p.resource}/${p.target_key} changed after P-${p.number} was based on it. Re-check it (POST /v1/proposals/${p.id}/recheck) before approving or carrying it out.`,
      extra: about(p),
    }),
  notApproved: (p: DbProposal) =>
    new Problem({
      status: 409,
      code: 'not_approved',
      title: 'Proposal not approved',
      detail: `P-${p.number} still awaits approval; it cannot be carried out yet.`,
      extra: about(p),
    }),
  notClaimed: (p: DbProposal) =>
    new Problem({
      status: 409,
      code: 'not_claimed',
      title: 'Claim the proposal first',
      detail: `P-${p.number} is in the queue; claim it before carrying it out, so no one else does it too.`,
      extra: about(p),
    }),
  claimedByOther: (p: DbProposal, code: 'already_claimed' | 'claimed_by_other' = 'claimed_by_other') =>
    new Problem({
      status: 409,
      code,
      title: 'Someone else is carrying this out',
      detail: `P-${p.number} was claimed by ${p.claimed_by_name ?? 'another operator'}${p.claimed_at ? ` at ${p.claimed_at.toISOString()}` : ''}.`,
      extra: { ...about(p), claimedBy: p.claimed_by_name },
    }),
  fourEyes: (p: DbProposal) =>
    new Problem({
      status: 403,
      code: 'four_eyes',
      title: 'An approver may not also carry out the proposal',
      detail: `You approved P-${p.number}; another operator must carry it out.`,
      extra: about(p),
    }),
  invalidState: (p: DbProposal, action: string) =>
    new Problem({
      status: 409,
      code: 'invalid_state',
      title: 'Not possible in this state',
      detail: `P-${p.number} is ${p.state.replace('_', ' ')}; it cannot be ${action}.`,
      extra: about(p),
    }),
  changedAgain: (p: DbProposal) =>
    new Problem({
      status: 409,
      code: 'record_changed',
      title: 'The record changed while re-checking',
      detail: `${p.resource}/${p.target_key} changed again during the re-check; try again.`,
      extra: about(p),
    }),
  editChangesTarget: () =>
    new Problem({
      status: 422,
      code: 'edit_changes_target',
      title: 'An edit may not change the target',
      detail: 'What was carried out must be about the same record; propose a new one for another record.',
    }),
  tooEarly: (day: number, of: number) =>
    new Problem({
      status: 409,
      code: 'gated_write_too_early',
      title: 'gated-write is only possible after the proposal period',
      detail: `Today is day ${day} of ${of}; gated-write can be switched on from day ${of + 1}.`,
      extra: { day, of },
    }),
  noWriteOperation: (type: string) =>
    new Problem({
      status: 409,
      code: 'no_write_operation',
      title: 'This proposal type has no write operation',
      detail: `The adapter declares no write operation for ${type}; it can only be carried out by hand.`,
    }),
};
