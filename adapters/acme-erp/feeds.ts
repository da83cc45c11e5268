/**
 * The nightly batch drops of ACME ERP. Raw column names are the box's own field names (the same
 * as its SOAP answers), and each row is normalised by the same functions as the SOAP side
 * (resources.ts), so a record read from a file equals the record read live.
 *
 * - ACCOUNTS_YYYYMMDD.csv: full snapshot of accounts; windows-1252, CRLF, header row, quoted fields
 *   (embedded commas and newlines), trailer `TRAILER,<row count>,<sum of CUR_BAL>`; complete when
 *   `ACCOUNTS_YYYYMMDD.csv.ok` appears.
 * - STOCK_YYYYMMDD.dat: full snapshot of items, fixed width: `H` header with the business date,
 *   `D` details, `T` trailer with the record count; complete when its size has been stable.
 * - ORDERS_DELTA_YYYYMMDDHHMM.csv.gz: gzip'd UTF-8 delta of orders; OP is I, U or D; order lines
 *   travel in one LINES column as `SKU|QTY|UNIT_PRICE|LINE_AMT` joined by `;`.
 */
import { z } from 'zod';
import { defineFeed, type FeedDefinition } from '../../src/adapter/feed.ts';
import {
  NormaliseError,
  decimalString,
  integer,
  legacyDate,
  legacyTimestamp,
  trimmed,
} from '../../src/adapter/normalise.ts';
import { Account, Item, Order, normaliseAccount, normaliseItem, normaliseOrder } from './resources.ts';
import { BOX_TIME_ZONE } from './soap.ts';

/** A zod row schema over raw string columns that normalises with `fn`; its errors name the field. */
function normalised<T>(columns: readonly string[], fn: (raw: Record<string, string>) => T) {
  return z
    .object(Object.fromEntries(columns.map((c) => [c, z.string()])) as Record<string, z.ZodString>)
    .transform((raw, ctx) => {
      try {
        return fn(raw as Record<string, string>);
      } catch (err) {
        if (!(err instanceof NormaliseError)) throw err;
        ctx.addIssue({ code: 'custom', path: [err.field], message: err.message });
        return z.NEVER;
      }
    });
}

/**
 * legacyTimestamp, memoised per box-local day: a million rows must not each pay for an Intl time
 * zone lookup (nor for a regular expression and a dozen strings). A day's offset is taken from
 * legacyTimestamp itself at its first and last second and at the edges of the ±3 h window
 * legacyTimestamp looks at; a day where they differ (a DST change) is memoised per hour the same
 * way, and an hour where they differ is not cached. The first row of each day or hour is answered
 * by legacyTimestamp itself (so a bad date fails with its message), so every answer equals
 * legacyTimestamp's.
 */
const dayOffsets = new Map<number, number | null>();
const hourOffsets = new Map<number, number | null>();
const MEMO_LIMIT = 100_000;

/** `YYYYMMDDHHMMSS` of a wall-clock instant held as UTC milliseconds. */
const wallText = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);

/** The offset legacyTimestamp applies at each wall-clock time, when it is the same for all; else null. */
function sameOffset(walls: number[], field: string): number | null {
  let off: number | undefined;
  for (const w of walls) {
    const iso = legacyTimestamp(wallText(w), field, BOX_TIME_ZONE);
    const o = iso === null ? NaN : w - Date.parse(iso);
    if (Number.isNaN(o) || (off !== undefined && o !== off)) return null;
    off = o;
  }
  return off ?? null;
}

function remember<K, V>(memo: Map<K, V>, key: K, value: V): void {
  if (memo.size > MEMO_LIMIT) memo.clear();
  memo.set(key, value);
}

const HOUR = 3_600_000;

/** The number written by the `len` ASCII digits of `t` at `at` (already checked to be digits). */
function digitsAt(t: string, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) v = v * 10 + t.charCodeAt(i) - 48;
  return v;
}

function fastTimestamp(value: string, field: string): string | null {
  const t = value.trim();
  let digits = t.length === 14;
  for (let i = 0; digits && i < 14; i++) {
    const c = t.charCodeAt(i);
    digits = c >= 48 && c <= 57;
  }
  if (!digits) return legacyTimestamp(t, field, BOX_TIME_ZONE);
  const y = digitsAt(t, 0, 4);
  const mo = digitsAt(t, 4, 2);
  const d = digitsAt(t, 6, 2);
  const h = digitsAt(t, 8, 2);
  const mi = digitsAt(t, 10, 2);
  const sec = digitsAt(t, 12, 2);
  if (h > 23 || mi > 59 || sec > 59) return legacyTimestamp(t, field, BOX_TIME_ZONE);
  const day = y * 10_000 + mo * 100 + d;
  let off = dayOffsets.get(day);
  if (off === undefined) {
    const exact = legacyTimestamp(t, field, BOX_TIME_ZONE);
    const start = Date.UTC(y, mo - 1, d);
    const end = start + 24 * HOUR - 1000;
    // Only a date legacyTimestamp has read is remembered (all zeros reads as "no date").
    if (exact !== null)
      remember(dayOffsets, day, sameOffset([start - 3 * HOUR, start, end, end + 3 * HOUR], field));
    return exact;
  }
  if (off === null) {
    const hourKey = day * 100 + h;
    off = hourOffsets.get(hourKey);
    if (off === undefined) {
      const exact = legacyTimestamp(t, field, BOX_TIME_ZONE);
      const start = Date.UTC(y, mo - 1, d, h);
      if (exact !== null) remember(hourOffsets, hourKey, sameOffset([start, start + HOUR - 1000], field));
      return exact;
    }
    if (off === null) return legacyTimestamp(t, field, BOX_TIME_ZONE);
  }
  // Most instants stay on their wall-clock day once shifted by the offset: their text is the day's
  // date and three pairs of digits, with no Date and no toISOString (a microsecond a row).
  const utcSecond = h * 3600 + mi * 60 + sec - off / 1000;
  if (y >= 1000 && utcSecond >= 0 && utcSecond < 86_400 && Number.isInteger(utcSecond)) {
    let date = dayTexts.get(day);
    if (date === undefined) {
      date = `${y}-${TWO_DIGITS[mo]}-${TWO_DIGITS[d]}`;
      remember(dayTexts, day, date);
    }
    return `${date}T${TWO_DIGITS[Math.floor(utcSecond / 3600)]}:${TWO_DIGITS[Math.floor(utcSecond / 60) % 60]}:${TWO_DIGITS[utcSecond % 60]}Z`;
  }
  return new Date(Date.UTC(y, mo - 1, d, h, mi, sec) - off).toISOString().replace('.000Z', 'Z');
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** `YYYY-MM-DD` of the days fastTimestamp has memoised. */
const dayTexts = new Map<number, string>();

/**
 * legacyDate of the accounts' opening dates, memoised by text: a million rows carry a few thousand
 * distinct dates. Only dates it read are kept (a bad one throws each time, with its message).
 */
const openedOn = new Map<string, string | null>();
function memoDate(value: string | undefined): string | null {
  const raw = value ?? '';
  let v = openedOn.get(raw);
  if (v === undefined) {
    v = legacyDate(raw, 'OPEN_DT', 'DD.MM.YYYY');
    remember(openedOn, raw, v);
  }
  return v;
}

/** normaliseAccount with the memoised timestamp and date (same result: test/adapter.erp-feeds.test.ts). */
function accountFromRow(raw: Record<string, string>) {
  // In normaliseAccount's order, so a row with several bad fields names the same one first.
  const record = normaliseAccount({ ...raw, OPEN_DT: '', LAST_UPD: '' });
  record.openedOn = memoDate(raw.OPEN_DT);
  record.updatedAt = fastTimestamp(raw.LAST_UPD ?? '', 'LAST_UPD') ?? '';
  return record;
}

export const ACCOUNT_COLUMNS = [
  'ACCT_NO',
  'ACCT_NAME',
  'ACCT_STAT',
  'CR_LIMIT',
  'CUR_BAL',
  'CURR_CD',
  'EMAIL_ADDR',
  'PHONE_NO',
  'OPEN_DT',
  'LAST_UPD',
] as const;

/** The accounts feed's declaration; the benchmark reuses it with wider keys (bench/ingest.ts). */
export const accountsFeedDefinition = {
  name: 'ACCOUNTS',
  description: 'Nightly full snapshot of customer accounts.',
  pattern: /^ACCOUNTS_(?<date>\d{8})\.csv$/,
  dateFormat: 'YYYYMMDD',
  encoding: 'windows-1252',
  format: {
    kind: 'csv',
    columns: [...ACCOUNT_COLUMNS],
    headerRow: true,
    trailerMarker: 'TRAILER',
    trailerFields: ['count', 'total'],
  },
  control: { count: 'count', sums: [{ field: 'total', of: 'CUR_BAL' }] },
  mode: { kind: 'snapshot' },
  readiness: { kind: 'doneFile', suffix: '.ok' },
  target: { resource: 'accounts', entity: 'account' },
  key: 'accountNumber',
  keyOf: (raw) => {
    const k = (raw.ACCT_NO ?? '').trim();
    return /^\d{6}$/.test(k) ? k : undefined;
  },
  row: normalised(ACCOUNT_COLUMNS, accountFromRow),
  record: Account,
  badRows: {},
  // A nightly extract that lost a fifth of the customers is a broken extract, not a business event.
  maxDeleteShare: 0.2,
} satisfies FeedDefinition;

export const accountsFeed = defineFeed(accountsFeedDefinition);

type Layout = { code: string; fields: [string, number][] };

export const STOCK_LAYOUT: { header: Layout; detail: Layout; trailer: Layout } = {
  header: {
    code: 'H',
    fields: [
      ['BUS_DATE', 8],
      ['CREATED', 14],
    ],
  },
  detail: {
    code: 'D',
    fields: [
      ['ITEM_SKU', 12],
      ['ITEM_DESC', 30],
      ['UNIT_COST', 10],
      ['QTY_ON_HAND', 7],
      ['REORDER_PT', 5],
      ['WHSE_CD', 2],
      ['ITEM_STAT', 1],
      ['LAST_UPD', 14],
    ],
  },
  trailer: { code: 'T', fields: [['REC_COUNT', 9]] },
};

export const stockFeed = defineFeed({
  name: 'STOCK',
  description: 'Nightly full snapshot of stock items (fixed width).',
  pattern: /^STOCK_(?<date>\d{8})\.dat$/,
  encoding: 'windows-1252',
  format: { kind: 'fixed', codeWidth: 1, ...STOCK_LAYOUT },
  control: { count: 'REC_COUNT', headerBusinessDate: 'BUS_DATE' },
  mode: { kind: 'snapshot' },
  readiness: { kind: 'stableSize' },
  target: { resource: 'items', entity: 'item' },
  key: 'sku',
  keyOf: (raw) => (raw.ITEM_SKU ?? '').trim().toUpperCase() || undefined,
  row: normalised(
    STOCK_LAYOUT.detail.fields.map(([n]) => n),
    normaliseItem,
  ),
  record: Item,
});

export const ORDER_COLUMNS = [
  'OP',
  'ORD_NO',
  'ACCT_NO',
  'ORD_DT',
  'ORD_STAT',
  'CURR_CD',
  'ORD_TOTAL',
  'LINES',
  'LAST_UPD',
] as const;

/** `SKU|QTY|UNIT_PRICE|LINE_AMT;...` into the SOAP shape normaliseOrder reads. */
function orderFromRow(raw: Record<string, string>) {
  const text = trimmed(raw.LINES, 'LINES');
  const lines =
    text === ''
      ? []
      : text.split(';').map((part, i) => {
          const f = part.split('|');
          if (f.length !== 4)
            throw new NormaliseError('LINES', `line ${i + 1} has ${f.length} parts, expected 4`);
          // Checked here so a bad amount names LINES, then normalised like the SOAP answer.
          decimalString(f[2], 'LINES');
          decimalString(f[3], 'LINES');
          integer(f[1], 'LINES');
          return { LINE_NO: String(i + 1), ITEM_SKU: f[0], QTY: f[1], UNIT_PRICE: f[2], LINE_AMT: f[3] };
        });
  return normaliseOrder({ ...raw, LINES: { LINE: lines } });
}

export const ordersDeltaFeed = defineFeed({
  name: 'ORDERS_DELTA',
  description: 'Intraday changes to sales orders (gzip CSV, one operation per row).',
  pattern: /^ORDERS_DELTA_(?<date>\d{12})\.csv\.gz$/,
  dateFormat: 'YYYYMMDDHHMM',
  compression: 'gzip',
  encoding: 'utf-8',
  format: {
    kind: 'csv',
    columns: [...ORDER_COLUMNS],
    headerRow: true,
    trailerMarker: 'TRAILER',
    trailerFields: ['count'],
  },
  control: { count: 'count' },
  mode: { kind: 'delta', operationColumn: 'OP', operations: { insert: ['I'], update: ['U'], delete: ['D'] } },
  readiness: { kind: 'stableSize' },
  target: { resource: 'orders', entity: 'order' },
  key: 'orderNumber',
  keyOf: (raw) => (raw.ORD_NO ?? '').trim().replace(/^0+(?=\d)/, '') || undefined,
  row: normalised(ORDER_COLUMNS, orderFromRow),
  record: Order,
  allowEmpty: true,
});

export const feeds = [accountsFeed, stockFeed, ordersDeltaFeed];
