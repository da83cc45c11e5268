/**
 * `seam adapter init`: read a WSDL and write a starting adapter folder that type-checks, with TODOs
 * where a human decides (field mapping, key, personal data, scope, faults, limits).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADAPTERS_DIR, RESERVED_RESOURCE_NAMES } from '../registry.ts';
import { copyDocuments, rewriteRefs } from './copy.ts';
import { indexFile, readme, recordsFile, schemasFile, soapFile } from './emit-files.ts';
import { emitResources, type ResourceNames } from './emit-resources.ts';
import { loadWsdl } from './load.ts';
import { planResources, type OperationSummary, type ResourcePlan } from './operations.ts';
import { describeService, type ServiceDescription } from './wsdl.ts';
import { SchemaSet, type Shape } from './xsd.ts';
import { WsdlError } from './xml.ts';
import { emitTypes, nameTypes, reachable, shapeExpr, type EmitContext } from './zod-emit.ts';

export { WsdlError };

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SEAM_ROOT = path.resolve(HERE, '../../..');
const CONTRACT_DIR = path.resolve(HERE, '..');
/** A system id is used in URLs, events and folder names (the registry allows up to 31 characters). */
export const SYSTEM_NAME = /^[a-z][a-z0-9-]{0,30}$/;

export interface InitOptions {
  /** Path or http(s) URL of the WSDL. */
  wsdl: string;
  /** System id: lower-case, also the folder name. */
  name: string;
  /** Folder to write; default seam's `adapters/<name>`, where the registry loads adapters from. */
  outDir?: string;
  /** Write into a folder that already has files (overwriting the generated ones). */
  force?: boolean;
}

export interface InitResult {
  outDir: string;
  files: string[];
  service: Pick<ServiceDescription, 'service' | 'port' | 'endpoint' | 'soapVersion' | 'style'> & {
    use: string;
  };
  resources: Array<{
    name: string;
    entity: string;
    key?: string;
    get?: string;
    list?: string;
    others: string[];
  }>;
  operations: OperationSummary[];
}

/** The folder exists and has files, and --force was not given. */
export class OutputExistsError extends Error {}

export async function initAdapter(opts: InitOptions): Promise<InitResult> {
  if (!SYSTEM_NAME.test(opts.name))
    throw new RangeError(
      `--name "${opts.name}": use lower-case letters, digits and dashes, starting with a letter`,
    );
  const outDir = path.resolve(opts.outDir ?? path.join(ADAPTERS_DIR, opts.name));
  if (!opts.force && (await hasFiles(outDir)))
    throw new OutputExistsError(`${outDir} already has files; pass --force to overwrite the generated ones`);

  const loaded = await loadWsdl(opts.wsdl);
  const service = describeService(loaded);
  const schemas = new SchemaSet(loaded.schemas);
  const { resources, operations } = planResources(service, schemas, loaded.main.where, {
    system: opts.name,
    reserved: RESERVED_RESOURCE_NAMES,
  });

  const title = service.name;
  const files = new Map<string, string>();
  const wsdlFiles = copyDocuments(loaded, opts.name);
  const mainWsdl = wsdlFiles.get(loaded.main)!;
  const contractImport = importPath(outDir, CONTRACT_DIR);

  // Wire schemas for everything the read operations return; record schemas for the resources.
  const takenWire = new Set<string>(['soap', 'z']);
  const wireNames = nameTypes(
    schemas,
    resources.map((r) => r.recordShape),
    'Soap',
    takenWire,
  );
  const takenRecord = new Set<string>(['Decimal', 'IsoDate', 'IsoDateTime', 'z', 'resources']);
  const recordNames = nameTypes(
    schemas,
    resources.map((r) => r.recordShape),
    '',
    takenRecord,
  );
  const named: ResourceNames[] = [];
  const extraWire: string[] = [];
  const extraRecord: string[] = [];
  for (const plan of resources) {
    const { wire, record } = resourceSchemaNames(plan, wireNames, recordNames, takenWire, takenRecord);
    if (plan.recordShape.kind !== 'ref') {
      extraWire.push(inlineDecl(wire, plan.recordShape, schemas, wireNames, 'wire'));
      extraRecord.push(inlineDecl(record, plan.recordShape, schemas, recordNames, 'record'));
    }
    named.push({ plan, wire, record, constName: constName(plan.name) });
  }
  const recordIds = new Map(named.map((n) => [n.record, `${pascalId(opts.name)}${n.plan.entity}`]));

  const wireCode = [emitTypes(schemas, wireNames, 'wire'), ...extraWire].filter(Boolean).join('\n');
  files.set('schemas.ts', schemasFile(title, opts.wsdl, wireCode));
  let recordCode = [emitTypes(schemas, recordNames, 'record'), ...extraRecord].filter(Boolean).join('\n');
  for (const [ident, id] of recordIds)
    recordCode = recordCode.replace(
      new RegExp(`(export const ${ident} = [\\s\\S]*?);\\nexport type ${ident} =`),
      `$1.meta({ id: '${id}' });\nexport type ${ident} =`,
    );
  files.set('records.ts', recordsFile(title, recordCode));
  files.set('resources.ts', emitResources(named, schemas, `${contractImport}/resource.ts`, title));
  files.set('soap.ts', soapFile(title, opts.wsdl, service, mainWsdl, contractImport));
  files.set('index.ts', indexFile(opts.name, title, contractImport));
  files.set('xsd.ts', await readFile(path.join(HERE, 'template', 'xsd.ts'), 'utf8'));
  files.set('README.md', readme(opts, title, service, named, operations, mainWsdl));

  await mkdir(path.join(outDir, 'wsdl'), { recursive: true });
  const written: string[] = [];
  for (const [doc, file] of wsdlFiles) {
    const target = path.join(outDir, 'wsdl', file);
    await writeFile(target, rewriteRefs(doc, wsdlFiles));
    written.push(target);
  }
  for (const [file, text] of files) {
    const target = path.join(outDir, file);
    await writeFile(target, await format(text, target));
    written.push(target);
  }

  return {
    outDir,
    files: written,
    service: {
      service: service.service,
      port: service.port,
      endpoint: service.endpoint,
      soapVersion: service.soapVersion,
      style: service.style,
      use: service.operations.some((o) => o.use === 'encoded') ? 'encoded' : 'literal',
    },
    resources: named.map(({ plan }) => {
      const r: InitResult['resources'][number] = {
        name: plan.name,
        entity: plan.entity,
        others: plan.others.map((o) => o.op.name),
      };
      if (plan.keyField) r.key = plan.keyField;
      if (plan.get) r.get = plan.get.op.name;
      if (plan.list) r.list = plan.list.op.name;
      return r;
    }),
    operations,
  };
}

async function hasFiles(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch {
    return false;
  }
}

/** An import specifier from the generated folder to a seam folder. */
function importPath(from: string, to: string): string {
  const rel = path.relative(from, to).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function resourceSchemaNames(
  plan: ResourcePlan,
  wireNames: Map<string, string>,
  recordNames: Map<string, string>,
  takenWire: Set<string>,
  takenRecord: Set<string>,
): { wire: string; record: string } {
  if (plan.recordShape.kind === 'ref') {
    const wire = wireNames.get(plan.recordShape.key);
    const record = recordNames.get(plan.recordShape.key);
    if (wire && record) return { wire, record };
  }
  const unique = (base: string, taken: Set<string>) => {
    let n = base;
    for (let i = 2; taken.has(n); i++) n = `${base}${i}`;
    taken.add(n);
    return n;
  };
  return { wire: unique(`${plan.entity}Soap`, takenWire), record: unique(plan.entity, takenRecord) };
}

function inlineDecl(
  ident: string,
  shape: Shape,
  schemas: SchemaSet,
  names: Map<string, string>,
  flavour: 'wire' | 'record',
): string {
  const ctx: EmitContext = { schemas, names, flavour, emitted: new Set(reachable(schemas, [shape])) };
  return `export const ${ident} = ${shapeExpr(shape, ctx)};\nexport type ${ident} = z.output<typeof ${ident}>;`;
}

function constName(resource: string): string {
  const camel = resource.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return /^(resources|soapSettings|adapter)$/.test(camel) ? `${camel}Resource` : camel;
}

function pascalId(name: string): string {
  return name
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** Format with the project's prettier settings; without prettier installed the text stays as generated. */
async function format(text: string, file: string): Promise<string> {
  const prettier = await import('prettier').catch(() => undefined);
  if (!prettier) return text;
  const options =
    (await prettier.resolveConfig(file)) ??
    (await prettier.resolveConfig(path.join(SEAM_ROOT, 'package.json'))) ??
    {};
  return prettier.format(text, { ...options, filepath: file });
}
