/**
 * Recognise the read operations of a service and group them into resources: which operation
 * fetches one record (and by which key), which fetches a list, and where the record sits inside
 * the SOAP answer.
 */
import type { Operation, ServiceDescription } from './wsdl.ts';
import type { Field, SchemaSet, Shape } from './xsd.ts';

/**
 * Operation names that read: a verb as its own word (`GetCustomer`, `getBook`, `get_part`,
 * `LIST_ITEMS`), not a prefix (`Settle`, `Listen`). Anything else (Set, Update, Adjust...) is a write.
 */
export const READ_VERB =
  /^(?:(?:[gG]et|[lL]ist|[fF]ind|[sS]earch|[qQ]uery|[rR]ead|[fF]etch|[lL]ookup|[rR]etrieve|[sS]elect|[lL]oad|[bB]rowse|[vV]iew)(?=[A-Z0-9_]|$)|(?:GET|LIST|FIND|SEARCH|QUERY|READ|FETCH|LOOKUP|RETRIEVE|SELECT|LOAD|BROWSE|VIEW)(?=_|$))/;
/** Names of identifying fields and parameters: `id`, `customerId`, `accountNo`, `part_number`, `sku` (not `paid`). */
const KEY_NAME =
  /^(?:id|code|key|number|no|isbn|sku|ean|uuid|guid)$|^(?:ID|Id|Code|Key|Number|No|ISBN|SKU|EAN|UUID|GUID)$|[a-z0-9](?:Id|ID|No|Nr|Num|Number|Code|Key)$|_(?:id|no|nr|num|number|code|key|ID|NO|NR|NUM|NUMBER|CODE|KEY)$/;
const PAGE_NUMBER = /^(page|pagenumber|pageno|pageindex|offset|skip|start|startindex|first|from)$/i;
const PAGE_SIZE = /^(pagesize|limit|max|maxresults|maxrecords|count|size|top|rows|fetchsize|batchsize)$/i;
const CURSOR = /^(cursor|token|continuation|continuationtoken|nexttoken|pagetoken|resumptiontoken|after)$/i;
const CHANGED_SINCE = /^(changed|modified|updated|lastchange|lastmodified|since)(since|after|from)?$/i;

export interface Param {
  name: string;
  shape: Shape;
  required: boolean;
  repeated: boolean;
}

export interface RecordLocation {
  /** Keys from the SOAP result to the record (get) or the list of records (list). */
  path: string[];
  /** The record's shape. */
  shape: Shape;
  /** Name for the record type: the XSD type name when named. */
  typeName: string | undefined;
  /** The list is a SOAP-encoded array (items under one child) rather than repeated elements. */
  encoded: boolean;
}

export interface ReadOperation {
  op: Operation;
  kind: 'get' | 'list';
  params: Param[];
  record: RecordLocation;
  /** get: the parameter carrying the record's key. */
  keyParam?: Param;
  paging: { pageNumber?: string; pageSize?: string; cursor?: string; changedSince?: string };
}

export interface ResourcePlan {
  /** Agent-facing name: plural, lower-case, kebab (`customers`). */
  name: string;
  /** Singular PascalCase name for schemas (`Customer`). */
  entity: string;
  get?: ReadOperation;
  list?: ReadOperation;
  /** Further read operations for the same records (e.g. a second search). */
  others: ReadOperation[];
  recordShape: Shape;
  /** Field of the record holding its key, when it could be matched. */
  keyField?: string;
}

export interface OperationSummary {
  name: string;
  read: boolean;
  /** Why a read-looking operation was not turned into a resource. */
  skipped?: string;
}

/** Resource names are URL path segments: short, and clear of the names seam's own routes use. */
const MAX_RESOURCE_NAME = 41;

export function planResources(
  service: ServiceDescription,
  schemas: SchemaSet,
  where: string,
  naming: { system: string; reserved: readonly string[] },
): { resources: ResourcePlan[]; operations: OperationSummary[] } {
  const summaries: OperationSummary[] = [];
  const reads: ReadOperation[] = [];
  for (const op of service.operations) {
    if (!READ_VERB.test(op.name)) {
      summaries.push({ name: op.name, read: false });
      continue;
    }
    const params = inputParams(op, schemas, where);
    const output = outputFields(op, schemas, where);
    const record = locateRecord(output, schemas);
    if (!record) {
      summaries.push({
        name: op.name,
        read: true,
        skipped: 'its answer holds no record (no complex type found)',
      });
      continue;
    }
    const kind = record.list ? 'list' : 'get';
    const r: ReadOperation = { op, kind, params, record: record.loc, paging: paging(params) };
    if (kind === 'get') {
      const key = keyParam(params);
      if (!key) {
        summaries.push({
          name: op.name,
          read: true,
          skipped: 'returns one record but takes no key parameter',
        });
        continue;
      }
      r.keyParam = key;
    }
    summaries.push({ name: op.name, read: true });
    reads.push(r);
  }

  const byEntity = new Map<string, ResourcePlan>();
  for (const r of reads) {
    const field = r.record.path.at(-1);
    const named = r.record.typeName ?? (field && !WRAPPER_NAME.test(field) ? singular(field) : undefined);
    const entity = pascal(named ?? entityFromOperation(r.op.name));
    const groupKey = r.record.shape.kind === 'ref' ? r.record.shape.key : entity;
    let plan = byEntity.get(groupKey);
    if (!plan) {
      plan = { name: resourceName(entity), entity, others: [], recordShape: r.record.shape };
      byEntity.set(groupKey, plan);
    }
    if (r.kind === 'get' && !plan.get) plan.get = r;
    else if (r.kind === 'list' && !plan.list) plan.list = r;
    else plan.others.push(r);
  }
  const resources = [...byEntity.values()];
  // Entities name generated functions and schemas: keep them unique too.
  const entities = new Set<string>();
  for (const p of resources) {
    let entity = p.entity;
    for (let i = 2; entities.has(entity); i++) entity = `${p.entity}${i}`;
    entities.add(entity);
    p.entity = entity;
  }
  // Two different types may still produce the same name (Customer in two namespaces): keep names unique.
  const used = new Set<string>();
  for (const p of resources) {
    let base = naming.reserved.includes(p.name) ? `${naming.system}-${p.name}` : p.name;
    base = base.slice(0, MAX_RESOURCE_NAME - 3).replace(/-+$/, '');
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    p.name = name;
    const key = p.get?.keyParam?.name;
    const fields = recordFields(p.recordShape, schemas);
    const match = key ? fields.find((f) => norm(f.name) === norm(key)) : undefined;
    const byName = fields.find((f) => norm(f.name) === norm(`${p.entity}id`) || norm(f.name) === 'id');
    const field = match ?? byName ?? fields.find((f) => f.min > 0 && f.max === 1 && KEY_NAME.test(f.name));
    if (field) p.keyField = field.name;
  }
  return { resources, operations: summaries };
}

/** The request's parameters: the wrapper element's children (document) or the message parts (rpc). */
function inputParams(op: Operation, schemas: SchemaSet, where: string): Param[] {
  const parts = op.input ?? [];
  if (op.style === 'document') {
    const part = parts[0];
    if (!part) return [];
    if (!part.element) return [partParam(part.name, schemas.typeShape(part.type!, where))];
    const el = schemas.element(part.element, where);
    const fields = objectFields(el.shape, schemas);
    if (fields)
      return fields.map((f) => ({ name: f.name, shape: f.shape, required: f.min > 0, repeated: f.max > 1 }));
    return [{ name: el.name, shape: el.shape, required: true, repeated: false }];
  }
  return parts.map((p) =>
    partParam(p.name, p.type ? schemas.typeShape(p.type, where) : schemas.element(p.element!, where).shape),
  );
}

function partParam(name: string, shape: Shape): Param {
  return { name, shape, required: true, repeated: false };
}

/** The fields of what node-soap returns for the operation (the object it resolves with). */
function outputFields(op: Operation, schemas: SchemaSet, where: string): Field[] {
  const parts = op.output ?? [];
  if (op.style === 'document') {
    const part = parts[0];
    if (!part) return [];
    if (!part.element)
      return [
        { name: part.name, shape: schemas.typeShape(part.type!, where), min: 1, max: 1, nillable: false },
      ];
    const el = schemas.element(part.element, where);
    return objectFields(el.shape, schemas) ?? [];
  }
  return parts.map((p) => ({
    name: p.name,
    shape: p.type ? schemas.typeShape(p.type, where) : schemas.element(p.element!, where).shape,
    min: 1,
    max: 1,
    nillable: false,
  }));
}

/** All fields of an object shape, base types' first (inheritance flattened). */
export function objectFields(shape: Shape, schemas: SchemaSet): Field[] | undefined {
  if (shape.kind === 'ref') {
    const t = schemas.named(shape.key);
    return t ? objectFields(t.shape, schemas) : undefined;
  }
  if (shape.kind !== 'object') return undefined;
  const own = shape.type.fields;
  if (!shape.type.base) return own;
  return [...(objectFields({ kind: 'ref', key: shape.type.base }, schemas) ?? []), ...own];
}

function recordFields(shape: Shape, schemas: SchemaSet): Field[] {
  return objectFields(shape, schemas) ?? [];
}

function isObject(shape: Shape, schemas: SchemaSet): boolean {
  return objectFields(shape, schemas) !== undefined;
}

function typeNameOf(shape: Shape, schemas: SchemaSet): string | undefined {
  if (shape.kind !== 'ref') return undefined;
  const t = schemas.named(shape.key);
  return t && !shape.key.startsWith('element:') ? t.name : undefined;
}

function encodedItem(shape: Shape, schemas: SchemaSet): Shape | undefined {
  if (shape.kind === 'encodedArray') return shape.item;
  if (shape.kind === 'ref') {
    const t = schemas.named(shape.key);
    if (t?.shape.kind === 'encodedArray') return t.shape.item;
  }
  return undefined;
}

/** Element names that wrap an answer rather than name what is in it. */
const WRAPPER_NAME = /(Result|Response|Return)$|^(return|result|response|parameters)$/i;

const META = /^(total|count|more|hasmore|next|page|status|result(code)?|error|message|success)/i;

/**
 * Find the record (or list of records) in an answer: a repeated or SOAP-encoded array of objects
 * makes a list; else a single object field; else the answer itself when it has scalar fields.
 * Single-field wrappers (`GetCustomerResult`, .NET's `ArrayOfCustomer`) are looked through.
 */
function locateRecord(
  fields: Field[],
  schemas: SchemaSet,
  depth = 0,
): { loc: RecordLocation; list: boolean } | undefined {
  if (depth > 4) return undefined;
  const candidates = fields.filter((f) => !META.test(f.name) || fields.length === 1);
  for (const f of candidates) {
    const item = encodedItem(f.shape, schemas);
    if (item && isObject(item, schemas))
      return {
        list: true,
        loc: { path: [f.name], shape: item, typeName: typeNameOf(item, schemas), encoded: true },
      };
    if (f.max > 1 && isObject(f.shape, schemas))
      return {
        list: true,
        loc: { path: [f.name], shape: f.shape, typeName: typeNameOf(f.shape, schemas), encoded: false },
      };
  }
  const objects = candidates.filter((f) => f.max === 1 && isObject(f.shape, schemas));
  if (objects.length === 1) {
    const f = objects[0]!;
    const inner = objectFields(f.shape, schemas) ?? [];
    // Look through a wrapper: an object whose only real content is another object or a list
    // (`GetCustomerResult`, .NET's `ArrayOfCustomer`, `{ total, items[] }`).
    const content = inner.filter((x) => !META.test(x.name));
    const only = content.length === 1 ? content[0]! : undefined;
    if (only && (only.max > 1 || isObject(only.shape, schemas) || encodedItem(only.shape, schemas))) {
      const deeper = locateRecord(inner, schemas, depth + 1);
      if (deeper) return { list: deeper.list, loc: { ...deeper.loc, path: [f.name, ...deeper.loc.path] } };
    }
    return {
      list: false,
      loc: { path: [f.name], shape: f.shape, typeName: typeNameOf(f.shape, schemas), encoded: false },
    };
  }
  return undefined;
}

function keyParam(params: Param[]): Param | undefined {
  const scalars = params.filter((p) => !p.repeated && (p.shape.kind === 'scalar' || p.shape.kind === 'enum'));
  const required = scalars.filter((p) => p.required);
  const pool = required.length > 0 ? required : scalars;
  if (pool.length === 1) return pool[0];
  return pool.find((p) => KEY_NAME.test(p.name)) ?? pool[0];
}

function paging(params: Param[]): ReadOperation['paging'] {
  const out: ReadOperation['paging'] = {};
  for (const p of params) {
    if (!out.pageNumber && PAGE_NUMBER.test(p.name)) out.pageNumber = p.name;
    else if (!out.pageSize && PAGE_SIZE.test(p.name)) out.pageSize = p.name;
    else if (!out.cursor && CURSOR.test(p.name)) out.cursor = p.name;
    else if (!out.changedSince && CHANGED_SINCE.test(p.name)) out.changedSince = p.name;
  }
  return out;
}

function norm(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function entityFromOperation(name: string): string {
  let rest = name.replace(READ_VERB, '').replace(/^_/, '');
  rest = rest.replace(/(By[A-Z_].*|_by_.*)$/, '').replace(/(Details?|Info|List|Records?|All)$/i, '');
  return singular(rest || name);
}

export function pascal(s: string): string {
  const words = s.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return /^[0-9]/.test(joined) ? `T${joined}` : joined || 'Record';
}

function singular(s: string): string {
  if (/ies$/i.test(s)) return s.slice(0, -3) + 'y';
  if (/(ss|sh|ch|x)es$/i.test(s)) return s.slice(0, -2);
  if (/[^s]s$/i.test(s)) return s.slice(0, -1);
  return s;
}

export function resourceName(entity: string): string {
  const kebab = entity
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
  if (/[^aeiou]y$/.test(kebab)) return kebab.slice(0, -1) + 'ies';
  if (/(s|sh|ch|x|z)$/.test(kebab)) return kebab + 'es';
  return kebab + 's';
}
