/**
 * Helpers for the normalisation every legacy adapter does: trim fixed-width padding, read padded
 * and signed decimal text without ever going through a float, turn local legacy timestamps into
 * ISO 8601 UTC, map single-letter codes to readable enums, and make "one or many" XML lists arrays.
 *
 * Each helper throws a NormaliseError naming the field on input it cannot read, so a bad legacy
 * value is reported, not guessed at.
 */

export class NormaliseError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'NormaliseError';
  }
}

/** The text of an XML value as node-soap hands it over (string, number, or `{ $value }`). */
export function text(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && '$value' in value)
    return text((value as { $value: unknown }).$value, field);
  throw new NormaliseError(field, `expected text, got ${typeof value}`);
}

/** Trim fixed-width padding. */
export function trimmed(value: unknown, field: string): string {
  return text(value, field).trim();
}

/** Trimmed text, or null when the legacy field is blank (legacy systems pad instead of null). */
export function blankToNull(value: unknown, field: string): string | null {
  const t = trimmed(value, field);
  return t === '' ? null : t;
}

/**
 * Decimal text as a canonical decimal string with `scale` places: `0000015000.00` → `15000.00`,
 * `1234.50-` (trailing sign, COBOL style) → `-1234.50`, `  12.5` → `12.50`. Never a float.
 */
export function decimalString(value: unknown, field: string, scale = 2): string {
  let t = trimmed(value, field).replace(/\s+/g, '');
  let negative = false;
  if (/[-+]$/.test(t)) {
    negative = t.endsWith('-');
    t = t.slice(0, -1);
  } else if (/^[-+]/.test(t)) {
    negative = t.startsWith('-');
    t = t.slice(1);
  }
  const m = /^(\d*)(?:\.(\d*))?$/.exec(t);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new NormaliseError(field, `not a decimal: "${t}"`);
  const whole = (m[1] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const frac = m[2] ?? '';
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale)))
    throw new NormaliseError(field, `more than ${scale} decimal places: "${t}"`);
  const fixed = scale > 0 ? `${whole}.${frac.slice(0, scale).padEnd(scale, '0')}` : whole;
  const isZero = !/[1-9]/.test(fixed);
  return negative && !isZero ? `-${fixed}` : fixed;
}

/** Integer text (padded, maybe signed) as a safe integer. */
export function integer(value: unknown, field: string): number {
  const t = trimmed(value, field).replace(/\s+/g, '');
  const m = /^([-+]?)(\d+)([-+]?)$/.exec(t);
  if (!m || (m[1] && m[3])) throw new NormaliseError(field, `not an integer: "${t}"`);
  const n = Number(m[2]) * (m[1] === '-' || m[3] === '-' ? -1 : 1);
  if (!Number.isSafeInteger(n)) throw new NormaliseError(field, `out of range: "${t}"`);
  return n === 0 ? 0 : n;
}

/** Map a legacy code to a readable value; an unknown code is an error, not a guess. */
export function code<const T extends string>(value: unknown, field: string, map: Record<string, T>): T {
  const t = trimmed(value, field);
  const v = Object.prototype.hasOwnProperty.call(map, t) ? map[t] : undefined;
  if (v === undefined) throw new NormaliseError(field, `unknown code "${t}"`);
  return v;
}

function checkDate(y: number, mo: number, d: number, field: string, raw: string): string {
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d)
    throw new NormaliseError(field, `not a calendar date: "${raw}"`);
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * A legacy date as `YYYY-MM-DD`. `format` is one of `YYYYMMDD`, `DD.MM.YYYY`, `DD/MM/YYYY`.
 * Blank and all-zero dates (the legacy "no date") give null.
 */
export function legacyDate(
  value: unknown,
  field: string,
  format: 'YYYYMMDD' | 'DD.MM.YYYY' | 'DD/MM/YYYY',
): string | null {
  const t = trimmed(value, field);
  if (t === '' || /^[0./]+$/.test(t)) return null;
  const m =
    format === 'YYYYMMDD'
      ? /^(\d{4})(\d{2})(\d{2})$/.exec(t)
      : (format === 'DD.MM.YYYY' ? /^(\d{2})\.(\d{2})\.(\d{4})$/ : /^(\d{2})\/(\d{2})\/(\d{4})$/).exec(t);
  if (!m) throw new NormaliseError(field, `expected ${format}, got "${t}"`);
  const [y, mo, d] = format === 'YYYYMMDD' ? [m[1], m[2], m[3]].map(Number) : [m[3], m[2], m[1]].map(Number);
  return checkDate(y!, mo!, d!, field, t);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Offsets by time zone and UTC hour, where the offset is the same at both ends of the hour (a zone
 * never changes its offset twice within an hour, so it is then the same throughout); null where it
 * changes within the hour. Intl's formatToParts costs several µs a call, and one timestamp asks three
 * or four times.
 */
const hourOffsets = new Map<string, Map<number, number | null>>();
const HOUR_OFFSETS_MAX = 50_000;

/** Offset of `timeZone` from UTC, in minutes, at the instant `utcMs`. */
function zoneOffsetMinutes(utcMs: number, timeZone: string): number {
  let byHour = hourOffsets.get(timeZone);
  if (!byHour) hourOffsets.set(timeZone, (byHour = new Map()));
  const hour = Math.floor(utcMs / 3_600_000);
  let known = byHour.get(hour);
  if (known === undefined) {
    const start = exactOffsetMinutes(hour * 3_600_000, timeZone);
    known = start === exactOffsetMinutes(hour * 3_600_000 + 3_599_999, timeZone) ? start : null;
    if (byHour.size >= HOUR_OFFSETS_MAX) byHour.clear();
    byHour.set(hour, known);
  }
  return known ?? exactOffsetMinutes(utcMs, timeZone);
}

function exactOffsetMinutes(utcMs: number, timeZone: string): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(utcMs)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!);
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/**
 * A legacy `YYYYMMDDHHMMSS` wall-clock timestamp in the box's `timeZone` as ISO 8601 UTC.
 * In the hour a DST change repeats, the earlier instant is taken.
 */
export function legacyTimestamp(value: unknown, field: string, timeZone: string): string | null {
  const t = trimmed(value, field);
  if (t === '' || /^0+$/.test(t)) return null;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(t);
  if (!m) throw new NormaliseError(field, `expected YYYYMMDDHHMMSS, got "${t}"`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  checkDate(y, mo, d, field, t);
  if (h > 23 || mi > 59 || s > 59) throw new NormaliseError(field, `not a time of day: "${t}"`);
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // The offsets in force a day either side (wider than any zone's offset, so the instants looked at
  // are on either side of a change near this wall time); a wall time in a repeated hour matches both
  // (take the earlier), one in a skipped hour matches neither (read it with the offset before the
  // change).
  const before = wall - zoneOffsetMinutes(wall - 86_400_000, timeZone) * 60_000;
  const after = wall - zoneOffsetMinutes(wall + 86_400_000, timeZone) * 60_000;
  const fits = (utc: number) => utc + zoneOffsetMinutes(utc, timeZone) * 60_000 === wall;
  const utc = [before, after].filter(fits).sort((a, b) => a - b)[0] ?? before;
  return new Date(utc).toISOString().replace('.000Z', 'Z');
}

/** The inverse of legacyTimestamp: an instant as the box's `YYYYMMDDHHMMSS` wall-clock text. */
export function toLegacyTimestamp(instant: Date, timeZone: string): string {
  const local = instant.getTime() + zoneOffsetMinutes(instant.getTime(), timeZone) * 60_000;
  return new Date(local).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** node-soap gives one repeated element as an object and several as an array; always an array. */
export function toArray<T = unknown>(value: unknown): T[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}
