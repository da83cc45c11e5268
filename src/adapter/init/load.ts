/**
 * Read a WSDL and every document it pulls in (wsdl:import, xsd:import, xsd:include, xsd:redefine),
 * from local files or http(s) URLs, relative locations resolved against the document that names them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { kids, NS, parseXml, WsdlError, type XmlNode } from './xml.ts';

/** Legacy boxes can be slow, but a WSDL that takes longer than this is not coming. */
const FETCH_TIMEOUT_MS = 30_000;
/** A WSDL with its schemas is rarely over a few MB; refuse runaway answers. */
const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

export interface LoadedDocument {
  /** Absolute file path or URL. */
  location: string;
  /** How the document is referred to in messages: path relative to cwd, or the URL. */
  where: string;
  kind: 'wsdl' | 'xsd';
  text: string;
  root: XmlNode;
  /** The references this document makes, as written (for rewriting when copying). */
  refs: Array<{ attr: 'location' | 'schemaLocation'; value: string; target: string }>;
}

export interface SchemaSource {
  node: XmlNode;
  where: string;
  /** The namespace its declarations belong to; differs from @targetNamespace for chameleon includes. */
  targetNamespace: string;
}

export interface LoadedWsdl {
  main: LoadedDocument;
  documents: LoadedDocument[];
  /** All wsdl:definitions roots (the main one first, then imported ones). */
  definitions: Array<{ node: XmlNode; where: string }>;
  schemas: SchemaSource[];
}

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

function toAbsolute(location: string): string {
  if (isUrl(location)) return location;
  if (location.startsWith('file:')) return fileURLToPath(location);
  return path.resolve(location);
}

function resolveRef(base: string, ref: string): string {
  if (isUrl(ref)) return ref;
  if (isUrl(base)) return new URL(ref, base).toString();
  return fileURLToPath(new URL(ref, pathToFileURL(base)));
}

function describe(location: string): string {
  if (isUrl(location)) return location;
  const rel = path.relative(process.cwd(), location);
  return rel.startsWith('..') ? location : rel;
}

async function fetchText(location: string, where: string, referrer?: string): Promise<string> {
  const via = referrer ? ` (referenced from ${referrer})` : '';
  if (isUrl(location)) {
    let res: Response;
    try {
      res = await fetch(location, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (err) {
      const reason =
        err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new WsdlError(where, `cannot fetch${via}: ${reason}`, { cause: err });
    }
    if (!res.ok) throw new WsdlError(where, `cannot fetch${via}: HTTP ${res.status} ${res.statusText}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_DOCUMENT_BYTES)
      throw new WsdlError(where, `larger than ${MAX_DOCUMENT_BYTES} bytes`);
    return body.toString('utf8');
  }
  try {
    const body = await readFile(location);
    if (body.length > MAX_DOCUMENT_BYTES)
      throw new WsdlError(where, `larger than ${MAX_DOCUMENT_BYTES} bytes`);
    return body.toString('utf8');
  } catch (err) {
    if (err instanceof WsdlError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(err);
    throw new WsdlError(where, `cannot read${via}: ${reason}`, { cause: err });
  }
}

/** Load a WSDL 1.1 document and everything it imports or includes. */
export async function loadWsdl(location: string): Promise<LoadedWsdl> {
  const seen = new Map<string, LoadedDocument>();
  const definitions: LoadedWsdl['definitions'] = [];
  const schemas: SchemaSource[] = [];
  // A schema document can be included into several namespaces (chameleon); key by both.
  const seenSchemas = new Set<string>();

  async function load(loc: string, kind: 'wsdl' | 'xsd', referrer?: string): Promise<LoadedDocument> {
    const existing = seen.get(loc);
    if (existing) return existing;
    const where = describe(loc);
    const text = await fetchText(loc, where, referrer);
    const root = parseXml(text.replace(/^\uFEFF/, ''), where);
    const doc: LoadedDocument = { location: loc, where, kind, text, root, refs: [] };
    seen.set(loc, doc);
    return doc;
  }

  async function walkSchema(
    node: XmlNode,
    doc: LoadedDocument,
    chameleonNs: string | undefined,
  ): Promise<void> {
    const tns = node.attrs.targetNamespace ?? chameleonNs ?? '';
    if (node === doc.root) {
      const once = `${doc.location}|${tns}`;
      if (seenSchemas.has(once)) return;
      seenSchemas.add(once);
    }
    schemas.push({ node, where: doc.where, targetNamespace: tns });
    for (const child of node.children) {
      if (child.ns !== NS.xsd) continue;
      if (child.name !== 'import' && child.name !== 'include' && child.name !== 'redefine') continue;
      const ref = child.attrs.schemaLocation;
      if (!ref) continue; // an import without location names a namespace defined elsewhere in the WSDL
      const target = resolveRef(doc.location, ref);
      doc.refs.push({ attr: 'schemaLocation', value: ref, target });
      const sub = await load(target, 'xsd', doc.where);
      if (sub.root.ns !== NS.xsd || sub.root.name !== 'schema')
        throw new WsdlError(sub.where, `expected an XML Schema (<xs:schema>), found <${sub.root.name}>`);
      const subTns = sub.root.attrs.targetNamespace;
      if (child.name === 'import') {
        const expected = child.attrs.namespace;
        if (expected !== undefined && subTns !== undefined && expected !== subTns)
          throw new WsdlError(
            sub.where,
            `imported for namespace "${expected}" by ${doc.where}, but its targetNamespace is "${subTns}"`,
          );
        await walkSchema(sub.root, sub, undefined);
      } else {
        if (subTns !== undefined && subTns !== tns)
          throw new WsdlError(
            sub.where,
            `included by ${doc.where} into namespace "${tns}", but its targetNamespace is "${subTns}"`,
          );
        await walkSchema(sub.root, sub, tns);
      }
    }
  }

  async function walkWsdl(doc: LoadedDocument): Promise<void> {
    const root = doc.root;
    if (root.ns === NS.wsdl20 && root.name === 'description')
      throw new WsdlError(doc.where, 'WSDL 2.0 is not supported; seam reads WSDL 1.1 (<wsdl:definitions>)');
    if (root.ns !== NS.wsdl || root.name !== 'definitions')
      throw new WsdlError(
        doc.where,
        `not a WSDL 1.1 document: root element is <${root.name}> in namespace "${root.ns}", expected <definitions> in "${NS.wsdl}"`,
      );
    if (definitions.some((d) => d.node === root)) return;
    definitions.push({ node: root, where: doc.where });
    for (const imp of kids(root, NS.wsdl, 'import')) {
      const ref = imp.attrs.location;
      if (!ref) throw new WsdlError(doc.where, '<wsdl:import> without a location');
      const target = resolveRef(doc.location, ref);
      doc.refs.push({ attr: 'location', value: ref, target });
      const sub = await load(target, 'wsdl', doc.where);
      // Some generators wsdl:import a bare schema; accept it.
      if (sub.root.ns === NS.xsd && sub.root.name === 'schema') {
        sub.kind = 'xsd';
        await walkSchema(sub.root, sub, undefined);
      } else await walkWsdl(sub);
    }
    for (const types of kids(root, NS.wsdl, 'types'))
      for (const schema of kids(types, NS.xsd, 'schema')) await walkSchema(schema, doc, undefined);
  }

  const main = await load(toAbsolute(location), 'wsdl');
  await walkWsdl(main);
  return { main, documents: [...seen.values()], definitions, schemas };
}
