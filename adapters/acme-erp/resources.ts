/**
 * The resources ACME ERP serves to agents (accounts, items, orders): their normalised record
 * schemas, and how each is fetched over SOAP and normalised from the box's fixed-width strings.
 */
import { z } from 'zod';
import {
  blankToNull,
  code,
  decimalString,
  integer,
  legacyDate,
  legacyTimestamp,
  toArray,
  toLegacyTimestamp,
  trimmed,
} from '../../src/adapter/normalise.ts';
import { defineResource, type LegacyCaller, type PageRequest } from '../../src/adapter/resource.ts';
import { BOX_TIME_ZONE } from './soap.ts';

const money = z.string().regex(/^-?\d+\.\d{2}$/, 'a decimal string with 2 places');
const isoUtc = z.iso.datetime();
const isoDate = z.iso.date();
const currency = z.string().regex(/^[A-Z]{3}$/);

// Records ------------------------------------------------------------------------------------

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

// Normalisation: raw legacy rows (node-soap objects) to records --------------------------------

type Raw = Record<string, unknown>;

export function normaliseAccount(r: Raw): Account {
  return {
    accountNumber: trimmed(r.ACCT_NO, 'ACCT_NO'),
    name: trimmed(r.ACCT_NAME, 'ACCT_NAME'),
    status: code(r.ACCT_STAT, 'ACCT_STAT', { A: 'ACTIVE', H: 'HOLD', C: 'CLOSED' } as const),
    creditLimit: decimalString(r.CR_LIMIT, 'CR_LIMIT'),
    balance: decimalString(r.CUR_BAL, 'CUR_BAL'),
    currency: trimmed(r.CURR_CD, 'CURR_CD').toUpperCase(),
    email: blankToNull(r.EMAIL_ADDR, 'EMAIL_ADDR')?.toLowerCase() ?? null,
    phone: blankToNull(r.PHONE_NO, 'PHONE_NO'),
    openedOn: legacyDate(r.OPEN_DT, 'OPEN_DT', 'DD.MM.YYYY'),
    updatedAt: legacyTimestamp(r.LAST_UPD, 'LAST_UPD', BOX_TIME_ZONE) ?? '',
  };
}

const WAREHOUSES = { '01': 'LONDON', '02': 'LEEDS', '03': 'BRISTOL' } as const;

export function normaliseItem(r: Raw): Item {
  return {
    sku: trimmed(r.ITEM_SKU, 'ITEM_SKU').toUpperCase(),
    description: trimmed(r.ITEM_DESC, 'ITEM_DESC'),
    unitCost: decimalString(r.UNIT_COST, 'UNIT_COST'),
    onHand: integer(r.QTY_ON_HAND, 'QTY_ON_HAND'),
    reorderPoint: integer(r.REORDER_PT, 'REORDER_PT'),
    warehouse: code(r.WHSE_CD, 'WHSE_CD', WAREHOUSES),
    status: code(r.ITEM_STAT, 'ITEM_STAT', { A: 'ACTIVE', D: 'DISCONTINUED' } as const),
    updatedAt: legacyTimestamp(r.LAST_UPD, 'LAST_UPD', BOX_TIME_ZONE) ?? '',
  };
}

export function normaliseOrder(r: Raw): Order {
  const lines = (r.LINES as { LINE?: unknown } | undefined)?.LINE;
  return {
    orderNumber: trimmed(r.ORD_NO, 'ORD_NO'),
    accountNumber: trimmed(r.ACCT_NO, 'ACCT_NO'),
    orderedOn: legacyDate(r.ORD_DT, 'ORD_DT', 'YYYYMMDD') ?? '',
    status: code(r.ORD_STAT, 'ORD_STAT', { O: 'OPEN', S: 'SHIPPED', I: 'INVOICED', X: 'CANCELLED' } as const),
    currency: trimmed(r.CURR_CD, 'CURR_CD').toUpperCase(),
    total: decimalString(r.ORD_TOTAL, 'ORD_TOTAL'),
    lines: toArray<Raw>(lines).map((l) => ({
      line: integer(l.LINE_NO, 'LINE_NO'),
      sku: trimmed(l.ITEM_SKU, 'ITEM_SKU'),
      quantity: integer(l.QTY, 'QTY'),
      unitPrice: decimalString(l.UNIT_PRICE, 'UNIT_PRICE'),
      amount: decimalString(l.LINE_AMT, 'LINE_AMT'),
    })),
    updatedAt: legacyTimestamp(r.LAST_UPD, 'LAST_UPD', BOX_TIME_ZONE) ?? '',
  };
}

// Paging: the box pages by number; seam's cursor is that number as text. ----------------------

/** The box refuses pages larger than this (Fault E0400). */
export const MAX_PAGE_SIZE = 100;

async function listPage(
  legacy: LegacyCaller,
  operation: 'ListAccounts' | 'ListItems',
  listKey: 'ACCOUNTS' | 'ITEMS',
  rowKey: 'ACCOUNT' | 'ITEM',
  normalise: (r: Raw) => unknown,
  page: PageRequest,
) {
  const pageNo = page.cursor ? Number(page.cursor) : 1;
  const res = (await legacy.call(operation, {
    PAGE_NO: pageNo,
    PAGE_SIZE: Math.min(page.pageSize, MAX_PAGE_SIZE),
    ...(page.changedSince ? { CHANGED_SINCE: toLegacyTimestamp(page.changedSince, BOX_TIME_ZONE) } : {}),
  })) as Raw;
  const rows = toArray<Raw>((res[listKey] as Raw | undefined)?.[rowKey]);
  return {
    // A row that cannot be normalised is handed on as its raw form: seam's schema check rejects it.
    records: rows.map((r) => {
      try {
        return normalise(r);
      } catch {
        return { unreadable: true };
      }
    }),
    ...(trimmed(res.MORE_FLAG, 'MORE_FLAG') === 'Y' ? { next: String(pageNo + 1) } : {}),
  };
}

const one = async (
  legacy: LegacyCaller,
  op: string,
  args: Raw,
  key: string,
  normalise: (r: Raw) => unknown,
) => {
  const res = (await legacy.call(op, args)) as Raw;
  const row = res[key] as Raw | undefined;
  return row ? normalise(row) : undefined;
};

export const accounts = defineResource<Account>({
  name: 'accounts',
  entity: 'account',
  key: 'accountNumber',
  schema: Account,
  exampleKey: '004471',
  sensitive: ['email', 'phone'],
  filterable: ['status', 'currency'],
  // Refreshed nightly by the batch drop and every few minutes by the poll below.
  staleAfterSeconds: 26 * 3600,
  normaliseKey: (k) => (/^\d{1,6}$/.test(k) ? k.padStart(6, '0') : k),
  fetchOne: (legacy, key) => one(legacy, 'GetAccount', { ACCT_NO: key }, 'ACCOUNT', normaliseAccount),
  fetchPage: (legacy, page) =>
    listPage(legacy, 'ListAccounts', 'ACCOUNTS', 'ACCOUNT', normaliseAccount, page),
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
  fetchOne: (legacy, key) => one(legacy, 'GetItem', { ITEM_SKU: key }, 'ITEM', normaliseItem),
  fetchPage: (legacy, page) => listPage(legacy, 'ListItems', 'ITEMS', 'ITEM', normaliseItem, page),
  poll: { cron: '*/5 * * * *', pageSize: MAX_PAGE_SIZE },
});

export const orders = defineResource<Order>({
  name: 'orders',
  entity: 'order',
  key: 'orderNumber',
  schema: Order,
  exampleKey: '100200',
  sensitive: [],
  filterable: ['accountNumber', 'status'],
  // No listing operation: orders are read live, one at a time, and kept once read.
  staleAfterSeconds: 3600,
  normaliseKey: (k) => k.trim().replace(/^0+(?=\d)/, ''),
  fetchOne: (legacy, key) => one(legacy, 'GetOrder', { ORD_NO: key }, 'ORDER', normaliseOrder),
});
