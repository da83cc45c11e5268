/**
 * The resources ACME Next serves to agents: the same three as ACME ERP (2009), with the same record
 * schemas, read from the new JSON API instead of SOAP. The schemas are deliberately a copy of the
 * ERP adapter's, not an import: this adapter must stand alone once the ERP adapter is retired, and
 * test/adapter.contract.test.ts fails if the two ever serve a resource with different schemas.
 */
import { z } from 'zod';
import { NormaliseError, blankToNull, code, integer, text, trimmed } from '../../src/adapter/normalise.ts';
import { defineResource, type LegacyCaller, type PageRequest } from '../../src/adapter/resource.ts';
import type { ApiAccount, ApiItem, ApiOrder, ApiPage } from './api.ts';
import { MAX_PAGE_SIZE } from './http.ts';

const money = z.string().regex(/^-?\d+\.\d{2}$/, 'a decimal string with 2 places');
const isoUtc = z.iso.datetime();
const isoDate = z.iso.date();
const currency = z.string().regex(/^[A-Z]{3}$/);

// Records (what agents see; unchanged by the swap) ------------------------------------------

export const Account = z
  .object({
    accountNumber: z.string().regex(/^\d{6}$/),
    name: z.string().min(1).max(40),
    status: z.enum(['ACTIVE', 'HOLD', 'CLOSED']),
    creditLimit: money,
    balance: money,
    currency,
    email: z.email().nullable(),
    phone: z.string().max(20).nullable(),
    openedOn: isoDate.nullable(),
    updatedAt: isoUtc,
  })
  .strict()
  .meta({ id: 'Account' });
export type Account = z.infer<typeof Account>;

export const Item = z
  .object({
    sku: z.string().regex(/^[A-Z0-9-]{1,12}$/),
    description: z.string().max(30),
    unitCost: money,
    onHand: z.number().int(),
    reorderPoint: z.number().int().nonnegative(),
    warehouse: z.enum(['LONDON', 'LEEDS', 'BRISTOL']),
    status: z.enum(['ACTIVE', 'DISCONTINUED']),
    updatedAt: isoUtc,
  })
  .strict()
  .meta({ id: 'Item' });
export type Item = z.infer<typeof Item>;

export const OrderLine = z
  .object({
    line: z.number().int().positive(),
    sku: z.string().min(1).max(12),
    quantity: z.number().int(),
    unitPrice: money,
    amount: money,
  })
  .strict();

export const Order = z
  .object({
    orderNumber: z.string().regex(/^\d{1,8}$/),
    accountNumber: z.string().regex(/^\d{6}$/),
    orderedOn: isoDate,
    status: z.enum(['OPEN', 'SHIPPED', 'INVOICED', 'CANCELLED']),
    currency,
    total: money,
    lines: z.array(OrderLine),
    updatedAt: isoUtc,
  })
  .strict()
  .meta({ id: 'Order' });
export type Order = z.infer<typeof Order>;

// Normalisation: the API's JSON to records ---------------------------------------------------

type Raw = Record<string, unknown>;

function obj(value: unknown, field: string): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new NormaliseError(field, `expected an object, got ${value === null ? 'null' : typeof value}`);
  return value as Raw;
}

/** Integer cents (a JSON number) as a decimal string with 2 places: 1500000 → "15000.00". */
export function centsToDecimal(value: unknown, field: string): string {
  if (typeof value !== 'number')
    throw new NormaliseError(field, `expected integer cents, got ${typeof value}`);
  const n = integer(value, field);
  const abs = BigInt(Math.abs(n));
  const s = `${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
  return n < 0 ? `-${s}` : s;
}

/** A decimal string as the API writes it ("176.86"); refuses floats and more than 2 places. */
function decimal2(value: unknown, field: string): string {
  const t = typeof value === 'string' ? value.trim() : '';
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) throw new NormaliseError(field, `expected a decimal string, got ${JSON.stringify(value)}`);
  const whole = m[2]!.replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? '').padEnd(2, '0');
  return m[1] && /[1-9]/.test(whole + frac) ? `-${whole}.${frac}` : `${whole}.${frac}`;
}

/** An ISO 8601 instant as UTC `YYYY-MM-DDTHH:MM:SSZ` (milliseconds kept only when not zero). */
export function isoInstant(value: unknown, field: string): string {
  const t = text(value, field);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(t))
    throw new NormaliseError(field, `expected an ISO 8601 instant, got "${t}"`);
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) throw new NormaliseError(field, `not an instant: "${t}"`);
  return d.toISOString().replace('.000Z', 'Z');
}

function isoDay(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  const t = text(value, field);
  const d = new Date(`${t}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(t) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t)
    throw new NormaliseError(field, `expected YYYY-MM-DD, got "${t}"`);
  return t;
}

const ACCOUNT_STATUS = { active: 'ACTIVE', on_hold: 'HOLD', closed: 'CLOSED' } as const;
const ORDER_STATUS = {
  open: 'OPEN',
  shipped: 'SHIPPED',
  invoiced: 'INVOICED',
  cancelled: 'CANCELLED',
} as const;
const SITES = { LON: 'LONDON', LDS: 'LEEDS', BRS: 'BRISTOL' } as const;

export function normaliseAccount(raw: unknown): Account {
  const r = obj(raw, 'account') as Partial<Record<keyof ApiAccount, unknown>>;
  const limit = obj(r.creditLimit, 'creditLimit');
  const balance = obj(r.balance, 'balance');
  const contact = obj(r.contact ?? {}, 'contact');
  return {
    accountNumber: trimmed(r.id, 'id'),
    name: trimmed(r.displayName, 'displayName'),
    status: code(r.status, 'status', ACCOUNT_STATUS),
    creditLimit: centsToDecimal(limit.amountCents, 'creditLimit.amountCents'),
    balance: centsToDecimal(balance.amountCents, 'balance.amountCents'),
    currency: trimmed(limit.currency, 'creditLimit.currency').toUpperCase(),
    email: blankToNull(contact.email, 'contact.email')?.toLowerCase() ?? null,
    phone: blankToNull(contact.phone, 'contact.phone'),
    openedOn: isoDay(r.openedOn, 'openedOn'),
    updatedAt: isoInstant(r.updatedAt, 'updatedAt'),
  };
}

export function normaliseItem(raw: unknown): Item {
  const r = obj(raw, 'item') as Partial<Record<keyof ApiItem, unknown>>;
  const stock = obj(r.stock, 'stock');
  if (typeof r.discontinued !== 'boolean') throw new NormaliseError('discontinued', 'expected a boolean');
  return {
    sku: trimmed(r.sku, 'sku').toUpperCase(),
    description: trimmed(r.name, 'name'),
    unitCost: decimal2(r.unitCost, 'unitCost'),
    onHand: integer(stock.onHand, 'stock.onHand'),
    reorderPoint: integer(stock.reorderPoint, 'stock.reorderPoint'),
    warehouse: code(r.site, 'site', SITES),
    status: r.discontinued ? 'DISCONTINUED' : 'ACTIVE',
    updatedAt: isoInstant(r.updatedAt, 'updatedAt'),
  };
}

export function normaliseOrder(raw: unknown): Order {
  const r = obj(raw, 'order') as Partial<Record<keyof ApiOrder, unknown>>;
  if (!Array.isArray(r.lines)) throw new NormaliseError('lines', 'expected an array');
  return {
    orderNumber: trimmed(r.id, 'id'),
    accountNumber: trimmed(r.accountId, 'accountId'),
    orderedOn: isoDay(r.orderDate, 'orderDate') ?? '',
    status: code(r.status, 'status', ORDER_STATUS),
    currency: trimmed(r.currency, 'currency').toUpperCase(),
    total: centsToDecimal(r.totalCents, 'totalCents'),
    lines: r.lines.map((l: unknown, i) => {
      const x = obj(l, `lines[${i}]`);
      return {
        line: integer(x.lineNo, 'lineNo'),
        sku: trimmed(x.sku, 'sku'),
        quantity: integer(x.qty, 'qty'),
        unitPrice: centsToDecimal(x.unitPriceCents, 'unitPriceCents'),
        amount: centsToDecimal(x.amountCents, 'amountCents'),
      };
    }),
    updatedAt: isoInstant(r.updatedAt, 'updatedAt'),
  };
}

// Reads ---------------------------------------------------------------------------------------

/**
 * One record: the API answers 404 with a code for an unknown id, which the transport turns into a
 * `not_found` fault (404 for agents, as before the swap).
 */
async function one(legacy: LegacyCaller, op: string, args: Raw, normalise: (r: unknown) => unknown) {
  return normalise(await legacy.call(op, args));
}

async function listPage(
  legacy: LegacyCaller,
  operation: 'ListAccounts' | 'ListItems',
  normalise: (r: unknown) => unknown,
  page: PageRequest,
) {
  const res = (await legacy.call(operation, {
    limit: Math.min(page.pageSize, MAX_PAGE_SIZE),
    ...(page.cursor ? { pageToken: page.cursor } : {}),
    ...(page.changedSince ? { updatedSince: page.changedSince.toISOString() } : {}),
  })) as Partial<ApiPage<unknown>>;
  if (!Array.isArray(res.data)) throw new NormaliseError('data', 'a list answer without data[]');
  return {
    // A record that cannot be normalised is handed on as is: seam's schema check rejects it.
    records: res.data.map((r) => {
      try {
        return normalise(r);
      } catch {
        return { unreadable: true };
      }
    }),
    ...(typeof res.nextPageToken === 'string' && res.nextPageToken ? { next: res.nextPageToken } : {}),
  };
}

// Keys, staleness, filters and polls are as before the swap: agents must not see a difference.

export const accounts = defineResource<Account>({
  name: 'accounts',
  entity: 'account',
  key: 'accountNumber',
  schema: Account,
  exampleKey: '004471',
  sensitive: ['email', 'phone'],
  filterable: ['status', 'currency'],
  staleAfterSeconds: 26 * 3600,
  normaliseKey: (k) => (/^\d{1,6}$/.test(k) ? k.padStart(6, '0') : k),
  fetchOne: (legacy, key) => one(legacy, 'GetAccount', { accountId: key }, normaliseAccount),
  fetchPage: (legacy, page) => listPage(legacy, 'ListAccounts', normaliseAccount, page),
  poll: { cron: '*/5 * * * *', pageSize: MAX_PAGE_SIZE },
});

export const items = defineResource<Item>({
  name: 'items',
  entity: 'item',
  key: 'sku',
  schema: Item,
  exampleKey: 'BRA-7223',
  sensitive: [],
  filterable: ['warehouse', 'status'],
  staleAfterSeconds: 26 * 3600,
  normaliseKey: (k) => k.trim().toUpperCase(),
  fetchOne: (legacy, key) => one(legacy, 'GetItem', { sku: key }, normaliseItem),
  fetchPage: (legacy, page) => listPage(legacy, 'ListItems', normaliseItem, page),
  poll: { cron: '*/5 * * * *', pageSize: MAX_PAGE_SIZE },
});

/**
 * Orders are read one at a time, as with the ERP (which could not list them): listing and polling
 * orders would be new behaviour agents would notice (`polled`, a flood of events), so it waits until
 * after the cut-over.
 */
export const orders = defineResource<Order>({
  name: 'orders',
  entity: 'order',
  key: 'orderNumber',
  schema: Order,
  exampleKey: '100200',
  sensitive: [],
  filterable: ['accountNumber', 'status'],
  staleAfterSeconds: 3600,
  normaliseKey: (k) => k.trim().replace(/^0+(?=\d)/, ''),
  fetchOne: (legacy, key) => one(legacy, 'GetOrder', { orderId: key }, normaliseOrder),
});
