/**
 * Plain dates in a time zone → UTC instants, with Intl only (no date library): "2026-11-17 in
 * Europe/Berlin" is [2026-11-16T23:00Z, 2026-11-17T23:00Z). Handles DST days (23 or 25 hours).
 */
const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's offset from UTC at this instant, in ms (Berlin in winter: +3_600_000). */
export function zoneOffsetMs(instant: number, tz: string): number {
  const parts = formatter(tz).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

export function isPlainDate(s: string): boolean {
  const m = PLAIN_DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

/** The first instant of a plain date in a zone. */
export function startOfDay(date: string, tz: string): Date {
  const m = PLAIN_DATE.exec(date);
  if (!m || !isPlainDate(date)) throw new RangeError(`not a date: ${date}`);
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Two passes settle the offset even when midnight sits next to a DST change.
  let t = wall - zoneOffsetMs(wall, tz);
  t = wall - zoneOffsetMs(t, tz);
  return new Date(t);
}

export function nextDay(date: string): string {
  const m = PLAIN_DATE.exec(date)!;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1)).toISOString().slice(0, 10);
}

/**
 * A `from`/`to` bound: a plain date (whole day in `tz`; `to` is inclusive) or an ISO instant.
 * Returns the instant bound: `from` → inclusive start, `to` → exclusive end.
 */
export function bound(value: string, tz: string, side: 'from' | 'to'): Date {
  if (isPlainDate(value)) return side === 'from' ? startOfDay(value, tz) : startOfDay(nextDay(value), tz);
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value))
    throw new RangeError(`not a date or ISO 8601 time: ${value}`);
  // An instant `to` is inclusive, to the millisecond.
  return side === 'from' ? d : new Date(d.getTime() + 1);
}

/** An instant as a local wall-clock time in tz, `YYYY-MM-DD HH:MM:SS` (for CSV readers). */
export function localTime(d: Date, tz: string): string {
  const off = zoneOffsetMs(d.getTime(), tz);
  return new Date(d.getTime() + off).toISOString().slice(0, 19).replace('T', ' ');
}
