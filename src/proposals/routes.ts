/**
 * Proposals over HTTP. Agents propose (`propose:<type>`) and follow their own proposals; people act
 * by role: approvers approve or reject, operators claim, carry out by hand, and record the outcome;
 * admins switch the mode and plan rollbacks. Thin: parse, authorise, call the service, format.
 */
import { z } from 'zod';
import type { AccessRule, HumanRole, Principal } from '../access/types.ts';
import { touch } from '../audit/touch.ts';
import type { AppContext } from '../context.ts';
import { Problem } from '../http/problem.ts';
import { reply, type Api } from '../http/route.ts';
import type { Catalog } from './catalog.ts';
import { err, errors, proposer } from './http.ts';
import { ProposalReportSchema } from './report.ts';
import { modeRoutes } from './routes.mode.ts';
import type { ProposalService } from './service.ts';
import { PROPOSAL_STATES, ProposalSchema } from './types.ts';

export const Id = z.object({
  id: z.string().min(1).max(64).describe('proposal id, or its reference (P-1042)'),
});
const Reason = z.string().trim().min(3).max(2000);
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

const ALL_HUMANS: HumanRole[] = ['operator', 'approver', 'admin', 'auditor'];

export const ProposeBody = z
  .object({
    type: z
      .string()
      .min(1)
      .max(64)
      .describe('proposal type, e.g. set-credit-limit (GET /v1/proposals/types)'),
    input: z.record(z.string(), z.unknown()).describe('the type’s input'),
    reason: Reason.describe('why the agent proposes this: shown to approvers and operators, kept for good'),
  })
  .strict()
  .meta({ id: 'ProposeRequest' });

const ListQuery = z
  .object({
    state: z
      .string()
      .optional()
      .describe(`comma-separated states: ${PROPOSAL_STATES.join(', ')}`)
      .refine(
        (v) => !v || v.split(',').every((s) => (PROPOSAL_STATES as readonly string[]).includes(s.trim())),
        {
          message: `states are ${PROPOSAL_STATES.join(', ')}`,
        },
      ),
    type: z.string().max(64).optional(),
    target: z.string().max(200).optional().describe('`accounts/004471`, or just the key'),
    stale: z.enum(['true', 'false']).optional(),
    before: z.coerce
      .number()
      .int()
      .positive()
      .optional()
      .describe('page: the last number of the previous page'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

const ProposalList = z
  .object({ items: z.array(ProposalSchema), next_before: z.number().nullable() })
  .meta({ id: 'ProposalList' });

const ProposalTypeInfo = z
  .object({
    id: z.string(),
    system: z.string(),
    title: z.string(),
    description: z.string(),
    resource: z.string(),
    scope: z.string(),
    reversible: z.boolean(),
    irreversibleReason: z.string().nullable(),
    gatedWriteCapable: z.boolean(),
    inputSchema: z.unknown(),
  })
  .meta({ id: 'ProposalType' });

/** A schema named with `.meta({ id })` comes out as a `$ref` to itself: give agents the object itself. */
function flatSchema(s: Record<string, unknown>): Record<string, unknown> {
  const ref = typeof s.$ref === 'string' ? /^#\/\$defs\/(.+)$/.exec(s.$ref)?.[1] : undefined;
  const defs = s.$defs as Record<string, Record<string, unknown>> | undefined;
  if (!ref || !defs?.[ref] || Object.keys(defs).length !== 1) return s;
  return { $schema: s.$schema, ...defs[ref] };
}

export function proposalRoutes(api: Api, ctx: AppContext, svc: ProposalService, catalog: Catalog): void {
  const proposeScopes: AccessRule[] = catalog.ids().map((t) => ({ scope: `propose:${t}` }));
  const canPropose: AccessRule = { anyOf: [...proposeScopes, { roles: ['operator', 'approver', 'admin'] }] };
  const canRead: AccessRule = {
    anyOf: [{ roles: ALL_HUMANS }, { scope: 'read:proposals' }, ...proposeScopes],
  };
  const human = (p: Principal | undefined) => p!;

  api.add({
    method: 'get',
    path: '/v1/proposals/types',
    summary: 'What can be proposed',
    description:
      'Every proposal type of every loaded system, with its input as JSON Schema. An agent needs `propose:<id>` to propose one.',
    tags: ['proposals'],
    access: canRead,
    responses: {
      200: { description: 'Proposal types', schema: z.object({ items: z.array(ProposalTypeInfo) }) },
      401: errors[401],
    },
    handler: () => ({
      items: catalog.all().map((e) => ({
        id: e.def.id,
        system: e.system,
        title: e.def.title,
        description: e.def.description,
        resource: e.def.resource,
        scope: `propose:${e.def.id}`,
        reversible: e.def.reversal.kind === 'reversible',
        irreversibleReason: e.def.reversal.kind === 'irreversible' ? e.def.reversal.reason : null,
        gatedWriteCapable: Boolean(e.def.write),
        inputSchema: flatSchema(z.toJSONSchema(e.def.input, { io: 'input', unrepresentable: 'any' })),
      })),
    }),
  });

  api.add({
    method: 'post',
    path: '/v1/proposals',
    summary: 'Propose a write',
    description:
      'Validated against the type’s schema and the target record as it is now (read live), routed by policy. ' +
      'Send an `Idempotency-Key` header: a retry with the same key and body returns the same proposal (200, ' +
      '`Idempotent-Replayed: true`); the same key with a different body is refused (422). seam never carries ' +
      'the write out itself in proposal mode: people approve it and an operator does it by hand.',
    tags: ['proposals'],
    access: canPropose,
    body: ProposeBody,
    responses: {
      201: { description: 'Proposed', schema: ProposalSchema },
      200: {
        description: 'Replay of an earlier request with the same Idempotency-Key',
        schema: ProposalSchema,
      },
      ...errors,
      422: err('Unknown type, target not found, does not apply, nothing to change, key reused'),
      503: err('The target is not stored and the legacy system cannot be reached'),
    },
    async handler({ body, principal, req }) {
      const key = req.get('idempotency-key');
      if (!key || !IDEMPOTENCY_KEY.test(key))
        throw new Problem({
          status: 400,
          code: 'idempotency_key_required',
          title: 'Idempotency-Key header required',
          detail:
            'Send an Idempotency-Key header (printable, up to 200 characters, unique per proposal) so a retried request never makes two proposals.',
        });
      const r = await svc.propose(proposer(principal!), body, key);
      touch(req, `proposals/${r.proposal.id}`, r.proposal.subject);
      return reply({
        status: r.created ? 201 : 200,
        headers: {
          Location: `/v1/proposals/${r.proposal.id}`,
          ...(r.created ? {} : { 'Idempotent-Replayed': 'true' }),
        },
        body: r.proposal,
      });
    },
  });

  api.add({
    method: 'get',
    path: '/v1/proposals',
    summary: 'List proposals (the queue)',
    description:
      'Newest first. Operators: `?state=queued` is the work queue, `?state=mismatch` what needs a second look. ' +
      'Agents see only their own proposals.',
    tags: ['proposals'],
    access: canRead,
    query: ListQuery,
    responses: {
      200: { description: 'Proposals', schema: ProposalList },
      400: errors[400],
      401: errors[401],
    },
    async handler({ query, principal }) {
      const items = await svc.list(
        {
          ...(query.state ? { state: query.state.split(',').map((s) => s.trim()) as never } : {}),
          ...(query.type ? { type: query.type } : {}),
          ...(query.target ? { target: query.target } : {}),
          ...(query.stale ? { stale: query.stale === 'true' } : {}),
          ...(query.before ? { before: query.before } : {}),
          limit: query.limit,
        },
        principal,
      );
      const last = items.at(-1);
      return {
        items,
        next_before: items.length === query.limit && last ? Number(last.reference.slice(2)) : null,
      };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/proposals/counts',
    summary: 'How many proposals each state holds',
    description:
      'Per state, under the same `type` and `target` filters as the list (agents: their own proposals). ' +
      'States with none are 0.',
    tags: ['proposals'],
    access: canRead,
    query: z.object({
      type: z.string().max(64).optional(),
      target: z.string().max(200).optional().describe('`accounts/004471`, or just the key'),
    }),
    responses: {
      200: {
        description: 'Counts by state',
        schema: z
          .object({ counts: z.record(z.enum(PROPOSAL_STATES), z.number().int()), total: z.number().int() })
          .meta({ id: 'ProposalCounts' }),
      },
      400: errors[400],
      401: errors[401],
    },
    async handler({ query, principal }) {
      const found = await svc.counts(
        { ...(query.type ? { type: query.type } : {}), ...(query.target ? { target: query.target } : {}) },
        principal,
      );
      const counts = Object.fromEntries(PROPOSAL_STATES.map((st) => [st, found[st] ?? 0]));
      return { counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/proposals/report',
    summary: 'Outcomes per proposal type (evidence for day 91)',
    description:
      'Per proposal type: counts by outcome, approval, execution and verification times (seconds), mismatches, operator edits. ' +
      'Window by creation time: `from`, `to` (ISO 8601).',
    tags: ['proposals'],
    access: { roles: ALL_HUMANS },
    query: z.object({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() }).strict(),
    responses: {
      200: { description: 'Report', schema: ProposalReportSchema },
      401: errors[401],
      403: errors[403],
    },
    handler: ({ query }) =>
      svc.report({
        ...(query.from ? { from: new Date(query.from) } : {}),
        ...(query.to ? { to: new Date(query.to) } : {}),
      }),
  });

  api.add({
    method: 'get',
    path: '/v1/proposals/:id',
    summary: 'One proposal, with its instructions and verification',
    tags: ['proposals'],
    access: canRead,
    params: Id,
    responses: {
      200: { description: 'The proposal', schema: ProposalSchema },
      401: errors[401],
      404: errors[404],
    },
    async handler({ params, principal, req }) {
      const p = await svc.get(params.id, principal);
      touch(req, `proposals/${p.id}`);
      return p;
    },
  });

  const action = <B extends z.ZodType>(o: {
    verb: string;
    summary: string;
    description: string;
    roles: HumanRole[];
    body?: B;
    run: (principal: Principal, id: string, body: z.infer<B>) => Promise<unknown>;
  }) =>
    api.add({
      method: 'post',
      path: `/v1/proposals/:id/${o.verb}`,
      summary: o.summary,
      description: o.description,
      tags: ['proposals'],
      access: { roles: o.roles },
      params: Id,
      ...(o.body ? { body: o.body } : {}),
      responses: { 200: { description: 'The proposal afterwards', schema: ProposalSchema }, ...errors },
      async handler({ params, body, principal, req }) {
        touch(req, `proposals/${params.id}`);
        return o.run(human(principal), params.id, body as z.infer<B>);
      },
    });

  action({
    verb: 'approve',
    summary: 'Approve',
    description:
      'An approver approves the next step policy requires. Refused for the proposer (maker ≠ checker), a second approval by the same person, a step that needs a named approver, an expired or stale proposal. Agents can never approve.',
    roles: ['approver'],
    body: z
      .object({ note: z.string().max(2000).optional() })
      .strict()
      .optional(),
    run: (p, id, b) => svc.approve(p, id, b?.note),
  });
  action({
    verb: 'reject',
    summary: 'Reject, with a reason',
    description: 'Approvers reject what awaits approval; operators what is queued or what they claimed.',
    roles: ['approver', 'operator', 'admin'],
    body: z.object({ reason: Reason }).strict(),
    run: (p, id, b) => svc.reject(p, id, b.reason),
  });
  action({
    verb: 'recheck',
    summary: 'Re-check a stale proposal against the record as it is now',
    description:
      'Re-reads the record, re-validates and re-pins the proposal. Approvals stand if the expected state and the tier did not change; otherwise it goes back through policy. If it no longer applies it is rejected.',
    roles: ['operator', 'approver', 'admin'],
    run: async (p, id) => (await svc.recheck(p, id)).proposal,
  });
  action({
    verb: 'claim',
    summary: 'Claim from the queue (an operator is about to carry it out)',
    description:
      'Of several operators claiming at once, exactly one wins; the others get 409 already_claimed.',
    roles: ['operator'],
    run: (p, id) => svc.claim(p, id),
  });
  action({
    verb: 'release',
    summary: 'Give a claimed proposal back to the queue',
    description: 'The operator who claimed it (or an admin).',
    roles: ['operator', 'admin'],
    body: z
      .object({ reason: z.string().max(2000).optional() })
      .strict()
      .optional(),
    run: (p, id, b) => svc.release(p, id, b?.reason),
  });
  action({
    verb: 'execute',
    summary: 'Record as carried out in the legacy system',
    description:
      'With the legacy system’s transaction or reference number. `edits`: input fields carried out differently (counted in the report). seam then verifies against the system of record.',
    roles: ['operator'],
    body: z
      .object({
        reference: z.string().trim().min(1).max(100).describe('the legacy transaction or reference number'),
        note: z.string().max(2000).optional(),
        edits: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    run: (p, id, b) => svc.execute(p, id, b),
  });
  action({
    verb: 'fail',
    summary: 'Record as not carried out, with the reason',
    description: 'The operator who claimed it.',
    roles: ['operator'],
    body: z.object({ reason: Reason }).strict(),
    run: (p, id, b) => svc.fail(p, id, b.reason),
  });
  action({
    verb: 'verify',
    summary: 'Check against the system of record now',
    description: 'A live read now, e.g. after fixing a mismatch in the legacy system.',
    roles: ['operator', 'approver', 'admin'],
    run: (_p, id) => svc.verify(id),
  });

  modeRoutes(api, ctx, svc);
}
