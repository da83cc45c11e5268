/**
 * The read facade over HTTP: `GET /v1/systems`, and for every resource of every loaded adapter
 * `GET /v1/<resource>` (filters, cursor pagination, capped `limit`) and `GET /v1/<resource>/:id`
 * (`?consistency=live` reads through to the legacy system). Scope `read:<resource>` per resource;
 * sensitive fields are redacted for callers without `pii:<field>`.
 */
import { z } from 'zod';
import type { ResourceHandle, Systems } from '../adapter/registry.ts';
import { ScopeDocument } from '../adapter/scope.ts';
import { redactRecord } from '../access/redact.ts';
import type { AccessRule, Principal } from '../access/types.ts';
import type { AppContext } from '../context.ts';
import type { Api } from '../http/route.ts';
import { readOne, readPage, type RecordEnvelope } from './read.ts';

/** Page size when the caller does not say. */
export const DEFAULT_LIMIT = 50;

const Problem = z
  .object({ type: z.string(), title: z.string(), status: z.number(), code: z.string() })
  .loose();

/** A record id as agents send it (REST path, MCP `get_record`). */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\x21-\x7e]+$/, 'printable characters, no spaces');

function envelopeSchema(h: ResourceHandle) {
  return z.object({
    system: z.string(),
    resource: z.literal(h.def.name),
    id: z.string(),
    version: z.number().int().nullable(),
    data: h.def.schema,
    source: z.enum(['store', 'live']).describe('store: seam’s copy; live: read from the legacy system now'),
    origin: z.enum(['feed', 'soap', 'api']).describe('how seam learned this copy'),
    as_of: z.iso.datetime().describe('when the legacy system said this was true'),
    stale: z.boolean(),
    stale_reason: z.enum(['age', 'maintenance']).optional(),
  });
}

function redact(e: RecordEnvelope, h: ResourceHandle, principal: Principal | undefined): RecordEnvelope {
  return { ...e, data: redactRecord(e.data, h.def.sensitive, principal) };
}

const errors = {
  400: { description: 'Bad request', schema: Problem },
  401: { description: 'No valid key', schema: Problem },
  403: { description: 'The key lacks the scope', schema: Problem },
  404: { description: 'No such record (`legacy_code` when the legacy system said so)', schema: Problem },
  502: { description: 'The legacy system answered with something unusable', schema: Problem },
  503: {
    description: 'The legacy system is paused, busy, overloaded or in maintenance (Retry-After)',
    schema: Problem,
  },
  504: { description: 'The legacy system did not answer in time', schema: Problem },
};

/** The list query of one resource (REST `GET /v1/<resource>`, MCP `search_records`). */
export function listQuerySchema(h: ResourceHandle, maxLimit: number) {
  const filterShape = Object.fromEntries(
    h.def.filterable.map((f) => [f, z.string().max(200).optional().describe(`exact match on ${f}`)]),
  );
  return z
    .object({
      limit: z.coerce.number().int().min(1).max(maxLimit).default(DEFAULT_LIMIT),
      cursor: z.string().max(512).optional(),
      consistency: z
        .literal('store')
        .optional()
        .describe('lists are always served from the store (polls and batch drops keep it fresh)'),
      ...filterShape,
    })
    .strict();
}

/** The query of a single read (REST `GET /v1/<resource>/:id`, MCP `get_record`). */
export const ReadQuery = z.object({ consistency: z.enum(['store', 'live']).default('store') }).strict();

function resourceRoutes(api: Api, ctx: AppContext, h: ResourceHandle): void {
  const name = h.def.name;
  const Envelope = envelopeSchema(h).meta({ id: `${pascal(h.def.entity)}Envelope` });
  const access: AccessRule = { scope: `read:${name}` };
  const ListQuery = listQuerySchema(h, ctx.config.access.maxPageSize);

  api.add({
    method: 'get',
    path: `/v1/${name}`,
    summary: `List ${name}`,
    description: `Stored ${name}, ordered by key. Filter with ${h.def.filterable.map((f) => `\`${f}\``).join(', ') || 'no fields'}; page with \`cursor\`.`,
    tags: ['records'],
    access,
    query: ListQuery,
    responses: {
      200: {
        description: 'A page of records',
        schema: z
          .object({
            system: z.string(),
            resource: z.literal(name),
            items: z.array(Envelope),
            next_cursor: z.string().nullable(),
            source: z.literal('store'),
            as_of: z.iso.datetime().nullable(),
            stale: z.boolean(),
          })
          .meta({ id: `${pascal(h.def.entity)}Page` }),
      },
      ...errors,
    },
    handler: async ({ query, principal }) => {
      const { limit, cursor, consistency: _c, ...filters } = query as z.infer<typeof ListQuery>;
      const page = await readPage(ctx.store, h, {
        filters: Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >,
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return { ...page, items: page.items.map((i) => redact(i, h, principal)) };
    },
  });

  api.add({
    method: 'get',
    path: `/v1/${name}/:id`,
    summary: `Read one ${h.def.entity}`,
    description:
      'From seam’s store when it has the record; `consistency=live` (or a record the store lacks) reads ' +
      'through to the legacy system, within its protections (timeouts, bulkhead, breaker, cache).',
    tags: ['records'],
    access,
    params: z.object({ id: Id }),
    query: ReadQuery,
    responses: { 200: { description: `The ${h.def.entity}`, schema: Envelope }, ...errors },
    handler: async ({ params, query, principal }) =>
      redact(await readOne(ctx.store, h, params.id, query.consistency), h, principal),
  });
}

function pascal(s: string): string {
  return s.replace(/(^|[-_ ])(\w)/g, (_m, _sep, c: string) => c.toUpperCase());
}

export function recordRoutes(api: Api, ctx: AppContext, systems: Systems): void {
  const handles = systems.list().flatMap((s) => s.resources);
  const SystemEntry = z
    .object({
      system: z.string(),
      title: z.string(),
      scope: ScopeDocument,
      resources: z.array(
        z.object({
          name: z.string(),
          entity: z.string(),
          key: z.string(),
          sensitive: z.array(z.string()),
          filterable: z.array(z.string()),
          live: z.boolean(),
          polled: z.boolean(),
        }),
      ),
      legacy: z.object({
        endpoint: z.enum(['configured', 'simulator', 'none']),
        breaker: z.enum(['closed', 'half_open', 'open']).nullable(),
        maintenance: z.object({ active: z.boolean(), until: z.iso.datetime().nullable() }),
      }),
    })
    .loose()
    .meta({ id: 'SystemEntry' });

  api.add({
    method: 'get',
    path: '/v1/systems',
    summary: 'The legacy systems seam wraps, with their scope documents',
    tags: ['records'],
    // Whoever may read any resource may see what the systems are and who answers for them.
    access: {
      anyOf: [
        ...handles.map((h) => ({ scope: `read:${h.def.name}` })),
        { roles: ['operator', 'approver', 'admin', 'auditor'] as const },
      ],
    },
    responses: {
      200: { description: 'Loaded systems', schema: z.object({ systems: z.array(SystemEntry) }) },
      401: errors[401],
      403: errors[403],
    },
    handler: () => ({
      systems: systems.list().map((s) => {
        const health = s.health();
        return {
          system: s.id,
          title: s.adapter.title,
          scope: s.adapter.scope,
          resources: s.resources.map((h) => ({
            name: h.def.name,
            entity: h.def.entity,
            key: h.def.key,
            sensitive: [...h.def.sensitive],
            filterable: [...h.def.filterable],
            live: s.endpoint.kind !== 'none',
            polled: Boolean(h.def.poll && h.fetchPage),
          })),
          legacy: {
            endpoint: s.endpoint.kind,
            breaker: health?.breaker ?? null,
            maintenance: {
              active: health?.maintenance.active ?? false,
              until: health?.maintenance.until?.toISOString() ?? null,
            },
          },
          ...systems.info(s),
        };
      }),
    }),
  });

  for (const h of handles) resourceRoutes(api, ctx, h);
}
