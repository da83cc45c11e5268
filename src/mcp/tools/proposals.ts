/**
 * Proposals as MCP tools: `list_proposal_types` (GET /v1/proposals/types), `propose_change`
 * (POST /v1/proposals) and `proposal_status` (GET /v1/proposals/:id). Agents propose with
 * `propose:<type>` and follow their own proposals; nothing here writes to the legacy system.
 */
import { z } from 'zod';
import type { AccessRule } from '../../access/types.ts';
import { IDEMPOTENCY_KEY, Id, ProposeBody } from '../../proposals/routes.ts';
import type { ProposalService } from '../../proposals/service.ts';
import { defineTool, READ_ONLY, type SeamTool } from '../tool.ts';

/** The JSON Schema of a type's input, inlined (agents read it to fill `input`). */
function inputSchema(s: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const ref = typeof json.$ref === 'string' ? /^#\/\$defs\/(.+)$/.exec(json.$ref)?.[1] : undefined;
  const defs = json.$defs as Record<string, Record<string, unknown>> | undefined;
  if (!ref || !defs?.[ref] || Object.keys(defs).length !== 1) return json;
  return { $schema: json.$schema, ...defs[ref] };
}

export function proposalTools(svc: ProposalService): SeamTool[] {
  const catalog = svc.deps.catalog;
  const proposeScopes: AccessRule[] = catalog.ids().map((t) => ({ scope: `propose:${t}` }));
  if (proposeScopes.length === 0) return [];
  // The REST rules, without the human roles (MCP is the agents' door).
  const canPropose: AccessRule = { anyOf: proposeScopes };
  const canRead: AccessRule = { anyOf: [{ scope: 'read:proposals' }, ...proposeScopes] };

  const ProposeInput = ProposeBody.extend({
    idempotency_key: z
      .string()
      .regex(IDEMPOTENCY_KEY, 'printable characters, no spaces, up to 200')
      .describe(
        'unique per proposal; send the same key when retrying the same call, and seam returns the proposal ' +
          'it already made instead of making a second one (REST’s Idempotency-Key header)',
      ),
  });

  return [
    defineTool({
      name: 'list_proposal_types',
      title: 'List proposal types',
      description:
        'The changes an agent may propose, per system: what each does, the record it targets, whether it can be ' +
        'reversed, and its `input` as JSON Schema. Proposing a type needs the scope propose:<id>.',
      annotations: { ...READ_ONLY, title: 'List proposal types' },
      input: z.object({}).strict(),
      access: () => canRead,
      run: async () => ({
        items: catalog.all().map((e) => ({
          id: e.def.id,
          system: e.system,
          title: e.def.title,
          description: e.def.description,
          resource: e.def.resource,
          scope: `propose:${e.def.id}`,
          reversible: e.def.reversal.kind === 'reversible',
          irreversibleReason: e.def.reversal.kind === 'irreversible' ? e.def.reversal.reason : null,
          inputSchema: inputSchema(e.def.input),
        })),
      }),
    }),
    defineTool({
      name: 'propose_change',
      title: 'Propose a change (humans review and carry it out)',
      description:
        'PROPOSES a change to one record of the legacy system; it does NOT make the change. seam never writes ' +
        'to the legacy system for you: the proposal is checked against the record as it is now, routed by ' +
        'policy to people who approve or reject it, and an operator carries an approved one out by hand; ' +
        'seam then verifies the result against the system of record. Follow it with proposal_status. ' +
        '`reason` is shown to the people who review it. Needs propose:<type> (list_proposal_types).',
      annotations: {
        title: 'Propose a change (humans review and carry it out)',
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
      input: ProposeInput,
      access: () => canPropose,
      async run(a, call) {
        const { idempotency_key: key, ...body } = a;
        const p = call.principal;
        const r = await svc.propose({ kind: p.kind, id: p.id, name: p.name, scopes: p.scopes }, body, key);
        call.touch(`proposals/${r.proposal.id}`, r.proposal.subject);
        return { created: r.created, proposal: r.proposal };
      },
    }),
    defineTool({
      name: 'proposal_status',
      title: 'Check a proposal',
      description:
        'One of this agent’s proposals by id or reference (P-1042): its state (pending_approval, queued, ' +
        'claimed, executed, verified, mismatch, failed, rejected, expired), approvals, deadlines, and the ' +
        'verification against the system of record.',
      annotations: { ...READ_ONLY, title: 'Check a proposal' },
      input: Id.strict(),
      access: () => canRead,
      async run(a, call) {
        const p = await svc.get(a.id, call.principal);
        call.touch(`proposals/${p.id}`);
        return { ...p };
      },
    }),
  ];
}
