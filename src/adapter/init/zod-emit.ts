/**
 * Shapes → zod source text, in two flavours:
 * - `wire`: what node-soap hands back, read leniently and normalised on the way in (decimals to
 *   strings, dates to ISO strings, single elements to arrays, `$value` wrappers unwrapped) through
 *   the helpers of the generated `xsd.ts`;
 * - `record`: the plain normalised record agents see (no transforms), for validation and OpenAPI.
 * The output type of a wire schema equals its record schema's type, so records can be built from
 * parsed wire values field by field.
 */
import type { Field, NamedType, Scalar, SchemaSet, Shape } from './xsd.ts';
import { pascal } from './operations.ts';

export type Flavour = 'wire' | 'record';

export interface EmittedTypes {
  /** Source of the declarations, dependency-ordered. */
  code: string;
  /** XSD key → identifier, for the types emitted. */
  names: Map<string, string>;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function propKey(name: string): string {
  return IDENT.test(name) ? name : JSON.stringify(name);
}

export function propAccess(name: string): string {
  return IDENT.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** Identifiers for every named type reachable from `roots`, unique and not clashing with `taken`. */
export function nameTypes(
  schemas: SchemaSet,
  roots: Shape[],
  suffix: string,
  taken: Set<string>,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const key of reachable(schemas, roots)) {
    const t = schemas.named(key)!;
    const base = pascal(t.name) + suffix;
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    names.set(key, name);
  }
  return names;
}

/** Keys of named types reachable from `roots`, each after the types it needs (bases, fields). */
export function reachable(schemas: SchemaSet, roots: Shape[]): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visitShape = (s: Shape): void => {
    switch (s.kind) {
      case 'ref':
        visitKey(s.key);
        return;
      case 'object':
        if (s.type.base) visitKey(s.type.base);
        for (const f of [...s.type.fields, ...s.type.attributes]) visitShape(f.shape);
        return;
      case 'encodedArray':
        visitShape(s.item);
        return;
      case 'simpleContent':
        visitShape(s.value);
        for (const f of s.attributes) visitShape(f.shape);
        return;
      default:
        return;
    }
  };
  const visitKey = (key: string): void => {
    if (state.has(key)) return;
    const t = schemas.named(key);
    if (!t) return;
    state.set(key, 'visiting');
    visitShape(t.shape);
    state.set(key, 'done');
    order.push(key);
  };
  for (const r of roots) visitShape(r);
  return order;
}

/** Declarations of the named types, one `export const` each. */
export function emitTypes(schemas: SchemaSet, names: Map<string, string>, flavour: Flavour): string {
  const emitted = new Set<string>();
  const out: string[] = [];
  for (const [key, ident] of names) {
    const t = schemas.named(key)!;
    const ctx: Ctx = { schemas, names, flavour, emitted };
    const doc = t.doc ? `/** ${escapeComment(t.doc)} */\n` : '';
    out.push(`${doc}export const ${ident} = ${declaration(t, ctx)};`);
    out.push(`export type ${ident} = z.output<typeof ${ident}>;`);
    emitted.add(key);
  }
  return out.join('\n');
}

interface Ctx {
  schemas: SchemaSet;
  names: Map<string, string>;
  flavour: Flavour;
  /** Types already declared: a reference to any other one is a cycle and goes through a getter. */
  emitted: Set<string>;
}

function declaration(t: NamedType, ctx: Ctx): string {
  const s = t.shape;
  if (s.kind === 'object' && s.type.base && ctx.names.has(s.type.base)) {
    return `${ctx.names.get(s.type.base)!}.extend(${objectLiteral(s.type.fields, s.type.attributes, s.type.open, ctx)})`;
  }
  return shapeExpr(s, ctx);
}

/** A zod expression for a shape. */
export function shapeExpr(s: Shape, ctx: Ctx): string {
  const wire = ctx.flavour === 'wire';
  switch (s.kind) {
    case 'scalar':
      return wire ? `soap.${s.scalar}()` : RECORD_SCALAR[s.scalar];
    case 'enum': {
      const values = `[${s.values.map((v) => JSON.stringify(v)).join(', ')}]`;
      return wire ? `soap.enumeration(${values})` : `z.enum(${values})`;
    }
    case 'ref': {
      const ident = ctx.names.get(s.key);
      if (!ident) return 'z.unknown()';
      return ident;
    }
    case 'object': {
      const body = objectLiteral(s.type.fields, s.type.attributes, s.type.open, ctx);
      // An anonymous type extending a named one extends the base's schema.
      const base = s.type.base ? ctx.names.get(s.type.base) : undefined;
      return base ? `${base}.extend(${body})` : `z.object(${body})`;
    }
    case 'encodedArray':
      return wire ? `soap.encodedArray(${shapeExpr(s.item, ctx)})` : `z.array(${shapeExpr(s.item, ctx)})`;
    case 'simpleContent': {
      const value = shapeExpr(s.value, ctx);
      const attrs = attributesExpr(s.attributes, ctx);
      return wire
        ? `soap.simpleContent(${value}, ${attrs})`
        : `z.object({ $value: ${value}, attributes: ${attrs}.optional() })`;
    }
  }
}

const RECORD_SCALAR: Record<Scalar, string> = {
  string: 'z.string()',
  decimal: 'Decimal',
  integer: 'z.number().int()',
  number: 'z.number()',
  boolean: 'z.boolean()',
  date: 'IsoDate',
  dateTime: 'IsoDateTime',
  time: 'z.string()',
  binary: 'z.string()',
  any: 'z.unknown()',
};

function attributesExpr(attrs: Field[], ctx: Ctx): string {
  const body = attrs.map((a) => `${propKey(a.name)}: ${fieldExpr(a, ctx)}`).join(', ');
  return `z.object({ ${body} })`;
}

/** The `{ ... }` shape literal of an object's own fields. */
function objectLiteral(fields: Field[], attrs: Field[], open: boolean, ctx: Ctx): string {
  const lines: string[] = [];
  for (const f of fields) {
    const doc = f.doc ? `/** ${escapeComment(f.doc)} */\n` : '';
    const expr = fieldExpr(f, ctx);
    if (refersToPending(f.shape, ctx)) {
      // A type that (indirectly) contains itself: zod reads it through a getter.
      lines.push(`${doc}get ${propKey(f.name)}() { return ${expr}; },`);
    } else lines.push(`${doc}${propKey(f.name)}: ${expr},`);
  }
  if (attrs.length > 0) lines.push(`attributes: ${attributesExpr(attrs, ctx)}.optional(),`);
  if (open)
    lines.push(
      '// TODO: the schema allows any further elements here (xs:any); they are not typed and are dropped.',
    );
  return lines.length ? `{\n${lines.join('\n')}\n}` : '{}';
}

function refersToPending(s: Shape, ctx: Ctx): boolean {
  switch (s.kind) {
    case 'ref':
      return ctx.names.has(s.key) && !ctx.emitted.has(s.key);
    case 'encodedArray':
      return refersToPending(s.item, ctx);
    case 'object':
      return [...s.type.fields, ...s.type.attributes].some((f) => refersToPending(f.shape, ctx));
    default:
      return false;
  }
}

/** A field's expression with its cardinality: lists, optional and nillable elements. */
export function fieldExpr(f: Field, ctx: Ctx): string {
  const wire = ctx.flavour === 'wire';
  const inner = shapeExpr(f.shape, ctx);
  if (f.max > 1) return wire ? `soap.list(${inner})` : `z.array(${inner})`;
  let expr = inner;
  if (f.nillable) expr = wire ? `soap.nillable(${expr})` : `${expr}.nullable()`;
  if (f.min === 0) expr = `${expr}.optional()`;
  return expr;
}

function escapeComment(s: string): string {
  return s.replace(/\*\//g, '* /');
}

export type { Ctx as EmitContext };
