/**
 * Money arithmetic on decimal strings ("1234.50"), exact: values are scaled to integer millionths
 * in a BigInt, never a float. Adapters use it to compute a proposal's impact; policy uses it to
 * compare impacts with thresholds.
 */

/** Internal precision: 6 decimal places covers unit costs priced to 4 places times quantities. */
const SCALE = 6;
const ONE = 10n ** BigInt(SCALE);
const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

export type DecimalInput = string | number | bigint;

export function isDecimal(v: unknown): v is string {
  return typeof v === 'string' && DECIMAL.test(v.trim());
}

/** Parse to scaled units; rejects anything that is not a plain decimal (no exponents, no commas). */
function toUnits(v: DecimalInput): bigint {
  if (typeof v === 'bigint') return v * ONE;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`Not an exact integer: ${v}; pass decimals as strings`);
    return BigInt(v) * ONE;
  }
  const m = DECIMAL.exec(v.trim());
  if (!m) throw new Error(`Not a decimal: ${JSON.stringify(v)}`);
  const frac = (m[3] ?? '').padEnd(SCALE, '0');
  // Digits past our precision are rounded half away from zero.
  let units = BigInt(m[2]!) * ONE + BigInt(frac.slice(0, SCALE) || '0');
  if (frac.length > SCALE && Number(frac[SCALE]) >= 5) units += 1n;
  return m[1] === '-' ? -units : units;
}

function roundDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= (d < 0n ? -d : d)) return n < 0n !== d < 0n ? q - 1n : q + 1n;
  return q;
}

function fromUnits(u: bigint, places: number): string {
  const scaled = roundDiv(u, 10n ** BigInt(SCALE - places));
  const neg = scaled < 0n;
  const abs = (neg ? -scaled : scaled).toString().padStart(places + 1, '0');
  const int = abs.slice(0, abs.length - places);
  const frac = places > 0 ? '.' + abs.slice(abs.length - places) : '';
  return (neg ? '-' : '') + int + frac;
}

export const decimal = {
  add: (a: DecimalInput, b: DecimalInput, places = 2) => fromUnits(toUnits(a) + toUnits(b), places),
  sub: (a: DecimalInput, b: DecimalInput, places = 2) => fromUnits(toUnits(a) - toUnits(b), places),
  mul: (a: DecimalInput, b: DecimalInput, places = 2) =>
    fromUnits(roundDiv(toUnits(a) * toUnits(b), ONE), places),
  neg: (a: DecimalInput, places = 2) => fromUnits(-toUnits(a), places),
  abs: (a: DecimalInput, places = 2) => {
    const u = toUnits(a);
    return fromUnits(u < 0n ? -u : u, places);
  },
  /** -1, 0 or 1. */
  cmp: (a: DecimalInput, b: DecimalInput): -1 | 0 | 1 => {
    const d = toUnits(a) - toUnits(b);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  },
  eq: (a: DecimalInput, b: DecimalInput) => toUnits(a) === toUnits(b),
  /** Normalise to a fixed number of places ("5000" → "5000.00"). */
  format: (a: DecimalInput, places = 2) => fromUnits(toUnits(a), places),
};
