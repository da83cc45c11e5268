/**
 * The read facade as MCP tools: `list_systems` (GET /v1/systems), `get_record`
 * (GET /v1/<resource>/:id) and `search_records` (GET /v1/<resource>). Same schemas, same scope
 * (`read:<resource>`), same area functions, same redaction.
 */
import { z } from 'zod';
import { redactRecord } from '../../access/redact.ts';
import type { Principal } from '../../access/types.ts';
import type { ResourceHandle, Systems } from '../../adapter/registry.ts';
import type { AppContext } from '../../context.ts';
import { problems } from '../../http/problem.ts';
import { readOne, readPage, type RecordEnvelope } from '../../records/read.ts';
import { Id, listQuerySchema, ReadQuery } from '../../records/routes.ts';
import { defineTool, READ_ONLY, type SeamTool } from '../tool.ts';

function redact(e: RecordEnvelope, h: ResourceHandle, principal: Principal): RecordEnvelope {
  return { ...e, data: redactRecord(e.data, h.def.sensitive, principal) };
}

/** The GET /v1/systems entry of each system. */
function describeSystems(systems: Systems) {
  return systems.list().map((s) => {
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
  });
}

export function recordTools(ctx: AppContext, systems: Systems): SeamTool[] {
  const handles = systems.list().flatMap((s) => s.resources);
  const [first, ...others] = handles.map((h) => h.def.name);
  if (first === undefined) return [];
  const maxLimit = ctx.config.access.maxPageSize;
  const handle = (name: string): ResourceHandle => {
    const h = systems.resource(name);
    if (!h) throw problems.notFound(`No resource ${name}.`);
    return h;
  };
  const Resource = z.enum([first, ...others]).describe('the resource, as list_systems names it');

  // One search tool over every resource: limit and cursor from the REST list query, and each
  // resource's filters (the REST query of that resource then validates the call strictly).
  const lists = new Map(handles.map((h) => [h.def.name, listQuerySchema(h, maxLimit)]));
  const firstList = lists.get(first)!;
  const filterOwners = new Map<string, string[]>();
  for (const h of handles)
    for (const f of h.def.filterable) filterOwners.set(f, [...(filterOwners.get(f) ?? []), h.def.name]);
  const filterShape = Object.fromEntries(
    [...filterOwners].map(([f, owners]) => [
      f,
      (lists.get(owners[0]!)!.shape as Record<string, z.ZodType>)[f]!.describe(
        `exact match on ${f} (${owners.join(', ')})`,
      ),
    ]),
  );
  const SearchInput = z
    .object({
      resource: Resource,
      limit: firstList.shape.limit,
      cursor: firstList.shape.cursor.describe('next_cursor of the previous page'),
      ...filterShape,
    })
    .strict();

  const readAny = { anyOf: handles.map((h) => ({ scope: `read:${h.def.name}` })) };

  return [
    defineTool({
      name: 'list_systems',
      title: 'List systems and resources',
      description:
        'The legacy systems seam wraps: each system’s scope document (system of record, read and write scope, ' +
        'who is paged), its resources (key, filterable fields, fields that are personal data), the legacy ' +
        'endpoint’s health, and seam’s mode. Start here to learn what get_record and search_records can read.',
      annotations: { ...READ_ONLY, title: 'List systems and resources' },
      input: z.object({}).strict(),
      access: () => readAny,
      run: async () => ({ systems: describeSystems(systems) }),
    }),
    defineTool({
      name: 'get_record',
      title: 'Get one record',
      description:
        'One record by id, from seam’s store (with source, as_of and stale saying how fresh it is). ' +
        '`consistency: "live"` (or a record the store lacks) reads the legacy system now, within its ' +
        'protections. Personal-data fields are redacted unless the key holds pii:<field>. Needs read:<resource>.',
      annotations: { ...READ_ONLY, title: 'Get one record' },
      input: z.object({ resource: Resource, id: Id, consistency: ReadQuery.shape.consistency }).strict(),
      access: (a) => ({ scope: `read:${a.resource}` }),
      async run(a, call) {
        const h = handle(a.resource);
        const e = await readOne(ctx.store, h, a.id, a.consistency);
        call.touch(`${h.def.name}/${e.id}`);
        return { ...redact(e, h, call.principal) };
      },
    }),
    defineTool({
      name: 'search_records',
      title: 'Search records',
      description:
        'Stored records of one resource, ordered by key, filtered by exact match on its filterable fields ' +
        '(list_systems names them). Page with `cursor` (next_cursor of the previous page; null on the last). ' +
        `At most ${maxLimit} per page. Personal-data fields are redacted unless the key holds pii:<field>. ` +
        'Needs read:<resource>.',
      annotations: { ...READ_ONLY, title: 'Search records' },
      input: SearchInput,
      access: (a) => ({ scope: `read:${a.resource}` }),
      pageSize: (a) => a.limit,
      async run(a, call) {
        const { resource, ...rest } = a;
        const h = handle(resource);
        const q = lists.get(resource)!.parse(rest);
        const { limit, cursor, consistency: _c, ...filters } = q;
        const page = await readPage(ctx.store, h, {
          filters: Object.fromEntries(
            Object.entries(filters).filter((e): e is [string, string] => typeof e[1] === 'string'),
          ),
          limit,
          ...(cursor !== undefined ? { cursor } : {}),
        });
        return { ...page, items: page.items.map((i) => redact(i, h, call.principal)) };
      },
    }),
  ];
}
