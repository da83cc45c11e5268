/**
 * Shadow mode's evidence over HTTP, for the people deciding a cut-over (admins, auditors) and for
 * agents or scripts holding `read:shadow`: every recorded difference, and counts per resource and
 * field. Answers whether or not shadow mode runs now (the evidence outlives it).
 */
import { z } from 'zod';
import type { AccessRule } from '../access/types.ts';
import type { AppContext } from '../context.ts';
import type { Api } from '../http/route.ts';
import { listDiffs, ShadowDiff, ShadowSummary, summary } from './repo.ts';

const access: AccessRule = { anyOf: [{ scope: 'read:shadow' }, { roles: ['admin', 'auditor'] }] };

const DiffQuery = z
  .object({
    resource: z.string().max(64).optional(),
    field: z.string().max(64).optional(),
    kind: z.enum(['field', 'missing', 'extra', 'invalid', 'error']).optional(),
    key: z.string().max(64).optional(),
    state: z
      .enum(['open', 'resolved', 'all'])
      .default('open')
      .describe('open: still shown by the latest comparison of the record'),
    cursor: z.coerce
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: 'nextCursor of the previous page' }),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

const Problem = z
  .object({ type: z.string(), title: z.string(), status: z.number(), code: z.string() })
  .loose();

export function shadowRoutes(api: Api, ctx: AppContext): void {
  api.add({
    method: 'get',
    path: '/v1/shadow/diffs',
    summary: 'Differences between the legacy system and its replacement (shadow mode)',
    description:
      'Every distinct difference shadow mode found, newest first: a field whose value differs, a record ' +
      'missing on one side, a record the replacement could not give. Values of sensitive fields are hashes.',
    tags: ['shadow'],
    access,
    query: DiffQuery,
    responses: {
      200: {
        description: 'A page of differences',
        schema: z
          .object({ items: z.array(ShadowDiff), nextCursor: z.number().int().nullable() })
          .meta({ id: 'ShadowDiffPage' }),
      },
      400: { description: 'Bad query', schema: Problem },
      401: { description: 'No valid key or session', schema: Problem },
      403: { description: 'Lacks read:shadow, admin or auditor', schema: Problem },
    },
    handler: ({ query }) => listDiffs(ctx.store, query),
  });

  api.add({
    method: 'get',
    path: '/v1/shadow/summary',
    summary: 'Shadow mode at a glance: comparisons and differences per resource and field',
    tags: ['shadow'],
    access,
    responses: {
      200: {
        description: 'Counts per resource and per field',
        schema: ShadowSummary.extend({
          shadow: z
            .object({
              adapter: z.string(),
              title: z.string(),
              resources: z.array(z.string()),
              endpoint: z.enum(['configured', 'simulator', 'none']),
            })
            .nullable()
            .describe('the shadow running now; null when shadow mode is off'),
        }),
      },
      401: { description: 'No valid key or session', schema: Problem },
      403: { description: 'Lacks read:shadow, admin or auditor', schema: Problem },
    },
    handler: async () => {
      const s = ctx.services.shadow;
      return {
        shadow: s
          ? { adapter: s.adapter, title: s.title, resources: s.resources, endpoint: s.endpoint }
          : null,
        ...(await summary(ctx.store)),
      };
    },
  });
}
