/**
 * Exact decimal totals for control records. Amounts are summed as scaled BigInts, never as floats:
 * a trailer total of 1,000,000 balances must match to the cent or the file is refused.
 */

/** Digits after the point we keep; legacy amounts carry at most this many. */
const SCALE = 8;
const FACTOR = 10n ** BigInt(SCALE);
// A sign may lead or trail (COBOL extracts write `250.75-`), not both.
const DECIMAL = /^\s*([+-])?(\d+)(?:\.(\d+))?([+-])?\s*$/;

/** Parse "-1234.50" into units of 10^-8; undefined when it is not a plain decimal. */
export function parseDecimal(text: string): bigint | undefined {
  const m = DECIMAL.exec(text);
  if (!m || (m[1] && m[4])) return undefined;
  const frac = m[3] ?? '';
  if (frac.length > SCALE) return undefined;
  const units = BigInt(m[2]!) * FACTOR + BigInt(frac.padEnd(SCALE, '0') || '0');
  return m[1] === '-' || m[4] === '-' ? -units : units;
}

/** Format scaled units back as a decimal with at least `minDigits` after the point. */
export function formatDecimal(units: bigint, minDigits = 2): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const whole = abs / FACTOR;
  let frac = (abs % FACTOR).toString().padStart(SCALE, '0').replace(/0+$/, '');
  if (frac.length < minDigits) frac = frac.padEnd(minDigits, '0');
  return `${neg ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}
