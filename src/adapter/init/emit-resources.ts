/** The generated `resources.ts`: one resource per recognised entity, with fetch code and a field mapping. */
import { objectFields, type Param, type ReadOperation, type ResourcePlan } from './operations.ts';
import { propAccess, propKey } from './zod-emit.ts';
import type { SchemaSet, Shape } from './xsd.ts';

/** Top-level record fields that usually hold personal data; the human confirms. */
const PERSONAL =
  /e-?mail|phone|mobile|fax|birth|dob|ssn|social.?sec|passport|iban|bank.?account|tax.?id|salary|street|address|post.?code|zip/i;

export interface ResourceNames {
  plan: ResourcePlan;
  /** Wire schema identifier of the record (`CustomerSoap`). */
  wire: string;
  /** Record schema identifier (`Customer`). */
  record: string;
  /** Exported constant of the resource (`customers`). */
  constName: string;
}

export function emitResources(
  resources: ResourceNames[],
  schemas: SchemaSet,
  contractImport: string,
  title: string,
): string {
  const wires = resources.map((r) => r.wire);
  const records = resources.map((r) => r.record);
  const usesPages = resources.some((r) => r.plan.list);
  const usesList = resources.some((r) => r.plan.list && !r.plan.list.record.encoded);
  const usesEncoded = resources.some((r) => r.plan.list?.record.encoded);
  const out: string[] = [];
  out.push(`/**
 * The resources of ${title}, as \`seam adapter init\` recognised them from the WSDL's read operations.
 *
 * TODO for each resource (search for TODO):
 * - map the SOAP fields to the record agents see (the \`to<Entity>\` functions and ./records.ts):
 *   rename to readable names, drop what agents need not see, map legacy codes to readable enums;
 * - confirm the key field, the personal fields (\`sensitive\`) and the filterable fields;
 * - check the arguments passed to each operation, and how pages are asked for.
 */`);
  out.push(
    `import { defineResource${usesPages ? ', type PageRequest' : ''}, type LegacyCaller } from '${contractImport}';`,
  );
  if (usesList || usesEncoded) out.push(`import { soap } from './xsd.ts';`);
  out.push(`import { ${[...new Set(records)].join(', ')} } from './records.ts';`);
  out.push(`import { ${[...new Set(wires)].join(', ')} } from './schemas.ts';`);
  out.push(`
/** Walk node-soap's result down to the record; undefined when a step is missing. */
function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}`);
  for (const r of resources) out.push(resource(r, schemas));
  out.push(
    `\n/** Every resource of this adapter. */\nexport const resources = [${resources.map((r) => r.constName).join(', ')}];`,
  );
  return out.join('\n');
}

function resource(r: ResourceNames, schemas: SchemaSet): string {
  const { plan, wire, record } = r;
  const fields = objectFields(plan.recordShape, schemas) ?? [];
  const entityCamel = plan.entity[0]!.toLowerCase() + plan.entity.slice(1);
  const keyField =
    plan.keyField ?? fields.find((f) => f.min > 0 && isScalar(f.shape))?.name ?? fields[0]?.name;
  const sensitive = fields.filter((f) => PERSONAL.test(f.name)).map((f) => f.name);
  const filterable = fields
    .filter(
      (f) =>
        f.max === 1 &&
        (f.shape.kind === 'enum' || (f.shape.kind === 'scalar' && f.shape.scalar === 'boolean')),
    )
    .map((f) => f.name);
  const ops = [plan.get, plan.list, ...plan.others].filter((o): o is ReadOperation => o !== undefined);
  const mapper = `to${plan.entity}`;
  const lines: string[] = [];
  lines.push(
    `\n// ${plan.name}: ${ops.map((o) => `${o.op.name} (${o.kind === 'get' ? `one, by ${o.keyParam!.name}` : 'list'})`).join(', ')}`,
  );
  lines.push(
    `/** TODO: map the SOAP fields of a ${plan.entity} to the record agents see (and adjust ./records.ts). */`,
  );
  lines.push(`export function ${mapper}(raw: ${wire}): ${record} {`);
  if (fields.length === 0) lines.push(`  return raw;`);
  else {
    lines.push('  return {');
    for (const f of fields) lines.push(`    ${propKey(f.name)}: raw${propAccess(f.name)},`);
    lines.push('  };');
  }
  lines.push('}');

  // Fetch helpers live outside the definition so their types are checked against the contract.
  const fetchOne = plan.get
    ? fetchOneByGet(plan.get, wire, mapper)
    : fetchOneByList(plan.list!, wire, mapper, keyField);
  lines.push(
    `\nasync function fetch${plan.entity}(legacy: LegacyCaller, key: string): Promise<${record} | undefined> {\n${fetchOne}\n}`,
  );
  if (plan.list) {
    const body = fetchPage(plan.list, wire, mapper);
    const pageParam = /\bpage\.[a-z]/i.test(body) ? 'page' : '_page';
    lines.push(
      `\nasync function fetch${plan.entity}Page(legacy: LegacyCaller, ${pageParam}: PageRequest): Promise<{ records: ${record}[]; next?: string }> {\n${body}\n}`,
    );
  }

  const def: string[] = [];
  def.push(`name: '${plan.name}',`);
  def.push(`entity: '${entityCamel}',`);
  if (!plan.keyField)
    def.push(`// TODO: no field matched the key parameter; confirm which field identifies a ${plan.entity}.`);
  def.push(`key: ${JSON.stringify(keyField ?? 'TODO')},`);
  def.push(`schema: ${record},`);
  def.push(`// TODO: confirm: personal data, masked unless the caller holds pii:<field>.`);
  def.push(`sensitive: [${sensitive.map((s) => JSON.stringify(s)).join(', ')}],`);
  def.push(`filterable: [${filterable.map((s) => JSON.stringify(s)).join(', ')}],`);
  def.push(`fetchOne: fetch${plan.entity},`);
  if (plan.list) def.push(`fetchPage: fetch${plan.entity}Page,`);
  if (plan.list?.paging.changedSince)
    def.push(
      `// Keeps the store fresh through ${plan.list.op.name}(${plan.list.paging.changedSince}). TODO: pick a schedule the box can bear.\npoll: { cron: '*/15 * * * *', pageSize: 100 },`,
    );
  lines.push(`\nexport const ${r.constName} = defineResource<${record}>({\n${def.join('\n')}\n});`);
  return lines.join('\n');
}

function isScalar(s: Shape): boolean {
  return s.kind === 'scalar' || s.kind === 'enum';
}

function keyArg(p: Param): string {
  if (p.shape.kind === 'scalar' && (p.shape.scalar === 'integer' || p.shape.scalar === 'number'))
    return 'Number(key)';
  return 'key';
}

/** A value for a required parameter the generator does not understand, marked for the human. */
function placeholder(p: Param): string {
  if (p.repeated) return '[] /* TODO */';
  if (p.shape.kind === 'scalar') {
    if (p.shape.scalar === 'integer' || p.shape.scalar === 'number') return '0 /* TODO */';
    if (p.shape.scalar === 'boolean') return 'false /* TODO */';
  }
  if (p.shape.kind === 'enum') return `${JSON.stringify(p.shape.values[0])} /* TODO */`;
  if (p.shape.kind === 'scalar') return "'' /* TODO */";
  return '{} /* TODO */';
}

function argsFor(op: ReadOperation, fill: (p: Param) => string | undefined): string {
  const parts: string[] = [];
  for (const p of op.params) {
    const v = fill(p);
    if (v !== undefined) parts.push(v.startsWith('...') ? v : `${propKey(p.name)}: ${v}`);
    else if (p.required) parts.push(`${propKey(p.name)}: ${placeholder(p)}`);
  }
  return `{ ${parts.join(', ')} }`;
}

function fetchOneByGet(get: ReadOperation, wire: string, mapper: string): string {
  const args = argsFor(get, (p) => (p === get.keyParam ? keyArg(p) : undefined));
  return `  const result = await legacy.call('${get.op.name}', ${args});
  const raw = at(result, ${JSON.stringify(get.record.path)});
  if (raw === undefined || raw === null) return undefined;
  return ${mapper}(${wire}.parse(raw));`;
}

/** Arguments of a list call: for one page (`page`), or for a scan of the first one (`scan`). */
function listArgs(list: ReadOperation, mode: 'page' | 'scan'): string {
  const pg = list.paging;
  return argsFor(list, (p) => {
    if (p.name === pg.pageNumber) return 'position';
    if (p.name === pg.pageSize) return mode === 'page' ? 'page.pageSize' : String(SCAN_PAGE_SIZE);
    if (mode === 'scan') return undefined;
    if (p.name === pg.cursor) return `...(page.cursor ? { ${propKey(p.name)}: page.cursor } : {})`;
    if (p.name === pg.changedSince)
      return `...(page.changedSince ? { ${propKey(p.name)}: page.changedSince.toISOString() } : {})`;
    return undefined;
  });
}

/** Records a generated one-record lookup scans when the system has no single-record read. */
const SCAN_PAGE_SIZE = 1000;

function isOffset(param: string): boolean {
  return /offset|skip|start|first|from/i.test(param);
}

function parseList(list: ReadOperation, wire: string): string {
  const helper = list.record.encoded ? 'encodedArray' : 'list';
  return `soap.${helper}(${wire}).parse(at(result, ${JSON.stringify(list.record.path)}) ?? [])`;
}

function fetchPage(list: ReadOperation, wire: string, mapper: string): string {
  const pg = list.paging;
  const lines: string[] = [];
  if (pg.pageNumber) {
    const offset = isOffset(pg.pageNumber);
    lines.push(
      offset
        ? `  // ${pg.pageNumber} counts records: the cursor is the position of the next one.\n  const position = page.cursor ? Number(page.cursor) : 0;`
        : `  // TODO: check whether ${pg.pageNumber} counts from 1 or from 0.\n  const position = page.cursor ? Number(page.cursor) : 1;`,
    );
  } else if (!pg.cursor) {
    lines.push(
      `  // TODO: ${list.op.name} has no paging parameters the generator recognised: it is read as one page.`,
    );
  }
  if (pg.cursor)
    lines.push(
      `  // TODO: ${list.op.name} takes a continuation (${pg.cursor}); set \`next\` from where its answer carries the next one.`,
    );
  lines.push(`  const result = await legacy.call('${list.op.name}', ${listArgs(list, 'page')});`);
  lines.push(`  const records = ${parseList(list, wire)}.map(${mapper});`);
  if (pg.pageNumber) {
    const offset = isOffset(pg.pageNumber);
    lines.push(
      `  // A full page means there may be more.\n  return records.length < page.pageSize ? { records } : { records, next: String(position + ${offset ? 'records.length' : '1'}) };`,
    );
  } else lines.push('  return { records };');
  return lines.join('\n');
}

function fetchOneByList(
  list: ReadOperation,
  wire: string,
  mapper: string,
  keyField: string | undefined,
): string {
  const pg = list.paging;
  const pre = pg.pageNumber ? `  const position = ${isOffset(pg.pageNumber) ? 0 : 1};\n` : '';
  const args = listArgs(list, 'scan');
  return `  // TODO: the WSDL has no operation that reads one record, so this searches the first page of ${list.op.name}.
${pre}  const result = await legacy.call('${list.op.name}', ${args});
  const records = ${parseList(list, wire)}.map(${mapper});
  return records.find((r) => String(r${propAccess(keyField ?? 'TODO')}) === key);`;
}
