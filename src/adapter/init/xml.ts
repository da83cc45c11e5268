/**
 * A namespace-aware XML tree for reading WSDL and XSD documents, built on fast-xml-parser.
 * fast-xml-parser does the parsing; this file only turns its ordered output into nodes that know
 * their namespace URI and the prefixes in scope, because WSDL and XSD refer to each other by QName
 * (`type="tns:Customer"`) and a prefix means nothing without its declaration.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const NS = {
  wsdl: 'http://schemas.xmlsoap.org/wsdl/',
  wsdl20: 'http://www.w3.org/ns/wsdl',
  soap11: 'http://schemas.xmlsoap.org/wsdl/soap/',
  soap12: 'http://schemas.xmlsoap.org/wsdl/soap12/',
  xsd: 'http://www.w3.org/2001/XMLSchema',
  soapenc: 'http://schemas.xmlsoap.org/soap/encoding/',
  soapenc12: 'http://www.w3.org/2003/05/soap-encoding',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

export interface XmlNode {
  /** Local name, without prefix. */
  name: string;
  /** Namespace URI of the element ('' when none). */
  ns: string;
  /** Attributes as written (prefixed names kept), without namespace declarations. */
  attrs: Record<string, string>;
  /** Prefix → namespace URI in scope at this element ('' is the default namespace). */
  scope: ReadonlyMap<string, string>;
  children: XmlNode[];
  /** Concatenated text content directly inside this element, trimmed. */
  text: string;
}

export interface QName {
  ns: string;
  name: string;
}

/** Something wrong with one document: `where` names the file or URL and, when known, line and column. */
export class WsdlError extends Error {
  constructor(
    readonly where: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${where}: ${message}`, options);
  }
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
});

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Parse one document; malformed XML is reported with its line and column. */
export function parseXml(text: string, where: string): XmlNode {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    throw new WsdlError(`${where}:${line}:${col}`, `not well-formed XML: ${msg}`);
  }
  const top = parser.parse(text) as Ordered[];
  const roots = top.map((o) => build(o, new Map([['xml', NS.xml]]), where)).filter((n) => n !== undefined);
  if (roots.length !== 1) throw new WsdlError(where, 'expected exactly one root element');
  return roots[0]!;
}

function build(o: Ordered, parentScope: ReadonlyMap<string, string>, where: string): XmlNode | undefined {
  const tag = Object.keys(o).find((k) => k !== ':@');
  if (tag === undefined || tag === '#text' || tag.startsWith('?') || tag.startsWith('!')) return undefined;
  const rawAttrs = o[':@'] ?? {};
  let scope = parentScope;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      (scope as Map<string, string>).set(k === 'xmlns' ? '' : k.slice(6), v);
    } else attrs[k] = v;
  }
  const colon = tag.indexOf(':');
  const prefix = colon < 0 ? '' : tag.slice(0, colon);
  const ns = scope.get(prefix);
  if (ns === undefined && prefix !== '')
    throw new WsdlError(where, `element <${tag}> uses undeclared prefix "${prefix}"`);
  const node: XmlNode = { name: tag.slice(colon + 1), ns: ns ?? '', attrs, scope, children: [], text: '' };
  const kids = (o[tag] ?? []) as Ordered[];
  for (const k of kids) {
    if ('#text' in k) node.text += String(k['#text']);
    else {
      const child = build(k, scope, where);
      if (child) node.children.push(child);
    }
  }
  node.text = node.text.trim();
  return node;
}

/** Children in a namespace, optionally of one local name. */
export function kids(node: XmlNode, ns: string, name?: string): XmlNode[] {
  return node.children.filter((c) => c.ns === ns && (name === undefined || c.name === name));
}

export function kid(node: XmlNode, ns: string, name: string): XmlNode | undefined {
  return node.children.find((c) => c.ns === ns && c.name === name);
}

/**
 * Resolve a QName-valued attribute (`tns:Customer`) with the prefixes in scope at `node`.
 * An unprefixed value takes the default namespace, as XSD and WSDL 1.1 specify.
 */
export function qname(node: XmlNode, value: string, where: string): QName {
  const v = value.trim();
  const colon = v.indexOf(':');
  const prefix = colon < 0 ? '' : v.slice(0, colon);
  const ns = node.scope.get(prefix);
  if (ns === undefined) {
    if (prefix === '') return { ns: '', name: v };
    throw new WsdlError(where, `"${v}" on <${node.name}> uses undeclared prefix "${prefix}"`);
  }
  return { ns, name: v.slice(colon + 1) };
}

export function qkey(q: QName): string {
  return `{${q.ns}}${q.name}`;
}

/** The text of <documentation> children, collapsed to one line. */
export function documentation(node: XmlNode): string | undefined {
  const docs: string[] = [];
  const visit = (n: XmlNode) => {
    for (const c of n.children) {
      if (c.name === 'documentation' && (c.ns === NS.xsd || c.ns === NS.wsdl)) docs.push(c.text);
      else if (c.name === 'annotation' && c.ns === NS.xsd) visit(c);
    }
  };
  visit(node);
  const text = docs.join(' ').replace(/\s+/g, ' ').trim();
  return text || undefined;
}
