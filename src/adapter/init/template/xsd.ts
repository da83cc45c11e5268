/**
 * XSD types as seam reads them from node-soap, written by `seam adapter init` (copied verbatim).
 *
 * `soap.*` read what node-soap hands back, leniently, and normalise it: decimals become decimal
 * strings (never floats), dates `YYYY-MM-DD`, date-times ISO 8601 UTC, a single repeated element
 * becomes a one-item array, and the `{ $value, attributes }` wrapper node-soap makes for elements
 * that carry attributes (`xsi:type` in rpc/encoded answers) is unwrapped. `Decimal`, `IsoDate` and
 * `IsoDateTime` are the plain record types those produce.
 *
 * node-soap turns xs:decimal into a JavaScript number and dates into Date objects unless told
 * otherwise. seam's SOAP transport tells it (`customDeserializer` in src/legacy/soap.ts), so the
 * legacy text arrives exactly (a float cannot hold every decimal); numbers and Dates from other
 * callers are accepted here too.
 */
import { z } from 'zod';

/** A decimal number as text: optional minus, digits, optional fraction (`-1234.50`). */
export const Decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal number such as 1234.50');
/** A calendar date, `YYYY-MM-DD`. */
export const IsoDate = z.iso.date();
/** An instant, ISO 8601 in UTC (`2024-01-31T08:00:00.000Z`). */
export const IsoDateTime = z.iso.datetime();

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function isNil(attrs: unknown): boolean {
  if (!isObj(attrs)) return false;
  return Object.entries(attrs).some(([k, v]) => /(^|:)nil$/.test(k) && (v === 'true' || v === '1'));
}

/** The text of an element node-soap wrapped as `{ $value, attributes }`; null for xsi:nil. */
function unwrap(v: unknown): unknown {
  if (!isObj(v)) return v;
  if ('$value' in v) return v.$value;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'attributes') return isNil(v.attributes) ? null : undefined;
  return v;
}

function text(v: unknown): unknown {
  const u = unwrap(v);
  return typeof u === 'number' || typeof u === 'bigint' ? String(u) : u;
}

/** Legacy texts without an offset are taken as UTC; say so in the adapter if the box uses local time. */
function instant(v: unknown): unknown {
  const u = unwrap(v);
  if (u instanceof Date) return Number.isNaN(u.getTime()) ? u : u.toISOString();
  if (typeof u !== 'string') return u;
  const s = u.trim();
  const withZone = /([Zz]|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}Z`;
  const d = new Date(withZone);
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
}

function calendarDate(v: unknown): unknown {
  const u = unwrap(v);
  if (u instanceof Date) return Number.isNaN(u.getTime()) ? u : u.toISOString().slice(0, 10);
  if (typeof u !== 'string') return u;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(u.trim());
  return m ? m[1] : u;
}

function decimalText(v: unknown): unknown {
  const u = unwrap(v);
  if (typeof u === 'number') return Number.isFinite(u) ? canonicalDecimal(String(u)) : u;
  if (typeof u !== 'string') return u;
  return canonicalDecimal(u.trim());
}

function canonicalDecimal(s: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === '' && !m[3])) {
    // Exponent form from a float (1e-7) is expanded; anything else fails validation as it is.
    const n = Number(s);
    if (/e/i.test(s) && Number.isFinite(n)) return n.toFixed(20).replace(/\.?0+$/, '');
    return s;
  }
  const sign = m[1] === '-' ? '-' : '';
  const int = (m[2] || '0').replace(/^0+(?=\d)/, '');
  const frac = m[3] ? `.${m[3]}` : '';
  return `${sign}${int}${frac}`;
}

function integer(v: unknown): unknown {
  const u = unwrap(v);
  if (typeof u === 'string' && /^\s*[+-]?\d+\s*$/.test(u)) return Number(u);
  return u;
}

function num(v: unknown): unknown {
  const u = unwrap(v);
  if (typeof u === 'string' && u.trim() !== '' && Number.isFinite(Number(u))) return Number(u);
  return u;
}

function bool(v: unknown): unknown {
  const u = unwrap(v);
  if (typeof u === 'string') {
    const t = u.trim().toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
  }
  if (u === 1 || u === 0) return u === 1;
  return u;
}

/** Zero, one or many elements of a repeated element, always as an array. */
function many(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

/** A SOAP-encoded array: a wrapper whose children (any name, often `item`) are the items. */
function encodedItems(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return [];
  if (Array.isArray(v)) return v;
  if (!isObj(v)) return v;
  const children = Object.entries(v).filter(([k]) => k !== 'attributes' && k !== '$value');
  if (children.length === 0) return [];
  if (children.length === 1) return many(children[0]![1]);
  return children.flatMap(([, c]) => (Array.isArray(c) ? c : [c]));
}

export const soap = {
  string: () => z.preprocess(text, z.string()),
  decimal: () => z.preprocess(decimalText, Decimal),
  integer: () => z.preprocess(integer, z.number().int()),
  number: () => z.preprocess(num, z.number()),
  boolean: () => z.preprocess(bool, z.boolean()),
  date: () => z.preprocess(calendarDate, IsoDate),
  dateTime: () => z.preprocess(instant, IsoDateTime),
  time: () => z.preprocess(text, z.string()),
  binary: () => z.preprocess(text, z.string()),
  any: () => z.unknown(),
  enumeration: <const T extends readonly [string, ...string[]]>(values: T) =>
    z.preprocess(text, z.enum(values)),
  /** A repeated element (maxOccurs > 1): absent means empty. */
  list: <T extends z.ZodType>(item: T) => z.preprocess(many, z.array(item)),
  /** A soapenc:Array. */
  encodedArray: <T extends z.ZodType>(item: T) => z.preprocess(encodedItems, z.array(item)),
  /** A nillable element: xsi:nil (which node-soap drops) reads as null. */
  nillable: <T extends z.ZodType>(inner: T) =>
    z.preprocess((v) => (v === undefined ? null : unwrap(v) === null ? null : v), inner.nullable()),
  /** An element with text and attributes (xs:simpleContent). */
  simpleContent: <V extends z.ZodType, A extends z.ZodType>(value: V, attributes: A) =>
    z.preprocess(
      (v) => (isObj(v) && ('$value' in v || 'attributes' in v) ? v : { $value: v }),
      z.object({ $value: value, attributes: attributes.optional() }),
    ),
};
