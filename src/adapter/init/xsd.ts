/**
 * XML Schema → a small shape model the code generator turns into zod. Covers what legacy WSDLs
 * use: named and anonymous complex types, sequence/all/choice, element refs and groups,
 * complexContent extension (inheritance) and restriction (incl. SOAP-encoded arrays),
 * simpleContent, enumerations, lists and unions, minOccurs/maxOccurs and nillable.
 */
import type { SchemaSource } from './load.ts';
import { documentation, kid, kids, NS, qkey, qname, WsdlError, type QName, type XmlNode } from './xml.ts';

export type Scalar =
  'string' | 'decimal' | 'integer' | 'number' | 'boolean' | 'date' | 'dateTime' | 'time' | 'binary' | 'any';

export type Shape =
  | { kind: 'scalar'; scalar: Scalar; xsdType: string }
  | { kind: 'enum'; values: string[]; named?: string }
  | { kind: 'ref'; key: string }
  | { kind: 'object'; type: ObjectType }
  | { kind: 'encodedArray'; item: Shape }
  | { kind: 'simpleContent'; value: Shape; attributes: Field[] };

export interface Field {
  name: string;
  shape: Shape;
  min: number;
  /** Infinity for maxOccurs="unbounded". */
  max: number;
  nillable: boolean;
  doc?: string;
}

export interface ObjectType {
  /** Key of the named base type this one extends. */
  base?: string;
  /** Own elements (those of the base not repeated). */
  fields: Field[];
  /** Own attributes (node-soap puts them under `attributes`). */
  attributes: Field[];
  /** Declared xs:any: content the generator cannot type. */
  open: boolean;
}

export interface NamedType {
  key: string;
  /** The XSD local name. */
  name: string;
  shape: Shape;
  doc?: string;
}

interface Decl {
  node: XmlNode;
  where: string;
  tns: string;
}

const BUILTIN: Record<string, Scalar> = {
  decimal: 'decimal',
  integer: 'integer',
  int: 'integer',
  long: 'integer',
  short: 'integer',
  byte: 'integer',
  nonNegativeInteger: 'integer',
  positiveInteger: 'integer',
  nonPositiveInteger: 'integer',
  negativeInteger: 'integer',
  unsignedLong: 'integer',
  unsignedInt: 'integer',
  unsignedShort: 'integer',
  unsignedByte: 'integer',
  float: 'number',
  double: 'number',
  boolean: 'boolean',
  date: 'date',
  dateTime: 'dateTime',
  time: 'time',
  base64Binary: 'binary',
  hexBinary: 'binary',
  anyType: 'any',
  anySimpleType: 'any',
};

/** Every global declaration of every schema, by `{namespace}name`. */
export class SchemaSet {
  private readonly types = new Map<string, Decl>();
  private readonly elements = new Map<string, Decl>();
  private readonly groups = new Map<string, Decl>();
  private readonly attributeGroups = new Map<string, Decl>();
  private readonly resolved = new Map<string, NamedType>();
  private readonly resolving = new Set<string>();

  constructor(schemas: SchemaSource[]) {
    for (const s of schemas) {
      for (const child of s.node.children) {
        if (child.ns !== NS.xsd) continue;
        const nodes = child.name === 'redefine' ? child.children.filter((c) => c.ns === NS.xsd) : [child];
        for (const n of nodes) {
          const name = n.attrs.name;
          if (!name) continue;
          const key = qkey({ ns: s.targetNamespace, name });
          const decl = { node: n, where: s.where, tns: s.targetNamespace };
          if (n.name === 'complexType' || n.name === 'simpleType') this.types.set(key, decl);
          else if (n.name === 'element') this.elements.set(key, decl);
          else if (n.name === 'group') this.groups.set(key, decl);
          else if (n.name === 'attributeGroup') this.attributeGroups.set(key, decl);
        }
      }
    }
  }

  /** Named types resolved so far (those reachable from what was asked), in resolution order. */
  namedTypes(): NamedType[] {
    return [...this.resolved.values()];
  }

  named(key: string): NamedType | undefined {
    return this.resolved.get(key);
  }

  /** The shape of a global element (document/literal message parts). */
  element(q: QName, where: string): Field {
    const decl = this.elements.get(qkey(q));
    if (!decl)
      throw new WsdlError(where, `element "${q.name}" (namespace "${q.ns}") is not defined in any schema`);
    return this.elementField(decl.node, { ...decl, wrapperName: q.name });
  }

  /** The shape of a named type (rpc message parts). */
  typeShape(q: QName, where: string): Shape {
    return this.typeRef(q, where);
  }

  private typeRef(q: QName, where: string): Shape {
    if (q.ns === NS.xsd || q.ns === NS.soapenc || q.ns === NS.soapenc12) {
      if (q.ns !== NS.xsd && q.name === 'Array') return { kind: 'encodedArray', item: scalar('anyType') };
      return scalar(q.name);
    }
    let key = qkey(q);
    let decl = this.types.get(key);
    if (!decl && q.ns === '') {
      // In a chameleon include, unprefixed references mean the includer's namespace.
      const candidates = [...this.types.entries()].filter(([, d]) => d.node.attrs.name === q.name);
      if (candidates.length === 1) [key, decl] = candidates[0]!;
    }
    if (!decl)
      throw new WsdlError(where, `type "${q.name}" (namespace "${q.ns}") is not defined in any schema`);
    if (decl.node.name === 'simpleType') {
      const shape = this.simpleType(decl.node, decl);
      return shape.kind === 'enum' ? { ...shape, named: q.name } : shape;
    }
    this.resolveNamed(key, q.name, decl, () => this.complexType(decl.node, decl));
    return { kind: 'ref', key };
  }

  private resolveNamed(key: string, name: string, decl: Decl, build: () => Shape): void {
    if (this.resolved.has(key) || this.resolving.has(key)) return;
    this.resolving.add(key);
    const shape = build();
    this.resolving.delete(key);
    const t: NamedType = { key, name, shape };
    const doc = documentation(decl.node);
    if (doc) t.doc = doc;
    this.resolved.set(key, t);
  }

  private elementField(node: XmlNode, ctx: Decl & { wrapperName?: string }): Field {
    const { where } = ctx;
    if (node.attrs.ref) {
      const q = qname(node, node.attrs.ref, where);
      const decl = this.elements.get(qkey(q));
      if (!decl) throw new WsdlError(where, `element ref "${q.name}" is not defined in any schema`);
      const f = this.elementField(decl.node, decl);
      return { ...f, ...occurs(node, where) };
    }
    const name = node.attrs.name;
    if (!name) throw new WsdlError(where, '<xs:element> without a name or ref');
    let shape: Shape;
    if (node.attrs.type) shape = this.typeRef(qname(node, node.attrs.type, where), where);
    else {
      const ct = kid(node, NS.xsd, 'complexType');
      const st = kid(node, NS.xsd, 'simpleType');
      if (ct) {
        // A global element's anonymous type (the wrapper of document/literal) becomes a named type.
        if (ctx.wrapperName && node === this.elements.get(qkey({ ns: ctx.tns, name }))?.node) {
          const key = `element:${qkey({ ns: ctx.tns, name })}`;
          this.resolveNamed(key, name, { node, where, tns: ctx.tns }, () => this.complexType(ct, ctx));
          shape = { kind: 'ref', key };
        } else shape = this.complexType(ct, ctx);
      } else if (st) shape = this.simpleType(st, ctx);
      else shape = scalar('anyType');
    }
    const f: Field = { name, shape, ...occurs(node, where), nillable: node.attrs.nillable === 'true' };
    const doc = documentation(node);
    if (doc) f.doc = doc;
    return f;
  }

  private complexType(node: XmlNode, ctx: Decl): Shape {
    const { where } = ctx;
    const obj: ObjectType = { fields: [], attributes: [], open: false };
    const cc = kid(node, NS.xsd, 'complexContent');
    const sc = kid(node, NS.xsd, 'simpleContent');
    if (sc) {
      const ext = kid(sc, NS.xsd, 'extension') ?? kid(sc, NS.xsd, 'restriction');
      if (!ext?.attrs.base)
        throw new WsdlError(where, 'simpleContent without an extension or restriction base');
      let value = this.typeRef(qname(ext, ext.attrs.base, where), where);
      if (ext.name === 'restriction') {
        const en = enumeration(ext);
        if (en) value = en;
      }
      if (value.kind === 'simpleContent') value = value.value;
      this.attributes(ext, ctx, obj);
      return { kind: 'simpleContent', value, attributes: obj.attributes };
    }
    let content = node;
    if (cc) {
      const ext = kid(cc, NS.xsd, 'extension');
      const res = kid(cc, NS.xsd, 'restriction');
      const d = ext ?? res;
      if (!d?.attrs.base)
        throw new WsdlError(where, 'complexContent without an extension or restriction base');
      const base = qname(d, d.attrs.base, where);
      if (res && (base.ns === NS.soapenc || base.ns === NS.soapenc12) && base.name === 'Array')
        return this.encodedArray(res, ctx);
      if (ext && !(base.ns === NS.xsd && base.name === 'anyType')) {
        const b = this.typeRef(base, where);
        if (b.kind === 'ref') obj.base = b.key;
        else if (b.kind === 'encodedArray') return b;
      }
      content = d;
    }
    for (const child of content.children) {
      if (child.ns !== NS.xsd) continue;
      if (['sequence', 'all', 'choice', 'group', 'element', 'any'].includes(child.name))
        this.particle(child, ctx, obj, false);
    }
    this.attributes(content, ctx, obj);
    return { kind: 'object', type: obj };
  }

  /** soapenc:Array restricted to an item type via wsdl:arrayType="tns:Book[]" (or a repeated element). */
  private encodedArray(res: XmlNode, ctx: Decl): Shape {
    for (const attr of kids(res, NS.xsd, 'attribute')) {
      const raw = Object.entries(attr.attrs).find(([k]) => {
        const colon = k.indexOf(':');
        return (
          colon > 0 && k.slice(colon + 1) === 'arrayType' && attr.scope.get(k.slice(0, colon)) === NS.wsdl
        );
      })?.[1];
      if (raw) {
        const itemType = raw.replace(/(\[[\d,]*\])+$/, '');
        const dims = (raw.match(/\[[\d,]*\]/g) ?? []).length;
        let item = this.typeRef(qname(attr, itemType, ctx.where), ctx.where);
        for (let i = 1; i < dims; i++) item = { kind: 'encodedArray', item };
        return { kind: 'encodedArray', item };
      }
    }
    const obj: ObjectType = { fields: [], attributes: [], open: false };
    for (const c of res.children) if (c.ns === NS.xsd) this.particle(c, ctx, obj, false);
    const only = obj.fields[0];
    if (obj.fields.length === 1 && only) return { kind: 'encodedArray', item: only.shape };
    return { kind: 'encodedArray', item: scalar('anyType') };
  }

  private particle(node: XmlNode, ctx: Decl, obj: ObjectType, optional: boolean): void {
    const { where } = ctx;
    const occ = occurs(node, where);
    const opt = optional || occ.min === 0;
    switch (node.name) {
      case 'element': {
        const f = this.elementField(node, ctx);
        if (optional) f.min = 0;
        obj.fields.push(f);
        return;
      }
      case 'sequence':
      case 'all':
        for (const c of node.children) {
          if (c.ns !== NS.xsd) continue;
          const before = obj.fields.length;
          this.particle(c, ctx, obj, opt);
          // A repeated sequence repeats each of its elements.
          if (occ.max > 1) for (const f of obj.fields.slice(before)) f.max = Infinity;
        }
        return;
      case 'choice':
        for (const c of node.children) if (c.ns === NS.xsd) this.particle(c, ctx, obj, true);
        return;
      case 'group': {
        if (!node.attrs.ref) return;
        const q = qname(node, node.attrs.ref, where);
        const decl = this.groups.get(qkey(q));
        if (!decl) throw new WsdlError(where, `group "${q.name}" is not defined in any schema`);
        for (const c of decl.node.children) if (c.ns === NS.xsd) this.particle(c, decl, obj, opt);
        return;
      }
      case 'any':
        obj.open = true;
        return;
      default:
        return;
    }
  }

  private attributes(node: XmlNode, ctx: Decl, obj: ObjectType): void {
    for (const a of node.children) {
      if (a.ns !== NS.xsd) continue;
      if (a.name === 'attributeGroup' && a.attrs.ref) {
        const q = qname(a, a.attrs.ref, ctx.where);
        const decl = this.attributeGroups.get(qkey(q));
        if (!decl) throw new WsdlError(ctx.where, `attributeGroup "${q.name}" is not defined in any schema`);
        this.attributes(decl.node, decl, obj);
        continue;
      }
      if (a.name !== 'attribute') continue;
      const name = a.attrs.name ?? (a.attrs.ref ? qname(a, a.attrs.ref, ctx.where).name : undefined);
      if (!name || a.attrs.use === 'prohibited') continue;
      let shape: Shape = scalar('string');
      if (a.attrs.type) shape = this.typeRef(qname(a, a.attrs.type, ctx.where), ctx.where);
      else {
        const st = kid(a, NS.xsd, 'simpleType');
        if (st) shape = this.simpleType(st, ctx);
      }
      obj.attributes.push({ name, shape, min: a.attrs.use === 'required' ? 1 : 0, max: 1, nillable: false });
    }
  }

  private simpleType(node: XmlNode, ctx: Decl): Shape {
    const { where } = ctx;
    const res = kid(node, NS.xsd, 'restriction');
    if (res) {
      const en = enumeration(res);
      if (en) return en;
      if (res.attrs.base) return this.typeRef(qname(res, res.attrs.base, where), where);
      const inner = kid(res, NS.xsd, 'simpleType');
      return inner ? this.simpleType(inner, ctx) : scalar('string');
    }
    // xs:list and xs:union travel as text; the human decides how to split or read them.
    return scalar('string');
  }
}

function scalar(xsdName: string): Shape {
  return { kind: 'scalar', scalar: BUILTIN[xsdName] ?? 'string', xsdType: xsdName };
}

function enumeration(res: XmlNode): Shape | undefined {
  const values = kids(res, NS.xsd, 'enumeration').map((e) => e.attrs.value ?? '');
  return values.length > 0 ? { kind: 'enum', values: [...new Set(values)] } : undefined;
}

function occurs(node: XmlNode, where: string): { min: number; max: number } {
  const min = node.attrs.minOccurs === undefined ? 1 : Number(node.attrs.minOccurs);
  const rawMax = node.attrs.maxOccurs;
  const max = rawMax === undefined ? 1 : rawMax === 'unbounded' ? Infinity : Number(rawMax);
  if (!Number.isInteger(min) || min < 0 || Number.isNaN(max))
    throw new WsdlError(
      where,
      `<xs:${node.name}> has bad minOccurs/maxOccurs "${node.attrs.minOccurs}"/"${rawMax}"`,
    );
  return { min, max };
}
