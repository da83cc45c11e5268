/**
 * The simulator's own data, in ACME Next's API shape, seeded from the same fixtures as the ERP
 * simulator (fixtures/acme-erp/seed/) the way the data migration converts them: the same accounts,
 * items and orders exist in both systems, with the same values. Tests change it through the helpers
 * below to make the system "change" under seam, as a person in ACME Next's web app would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  blankToNull,
  decimalString,
  integer,
  legacyDate,
  legacyTimestamp,
  trimmed,
} from '../../../src/adapter/normalise.ts';
import type { ApiAccount, ApiItem, ApiOrder } from '../api.ts';

export const SEED_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../fixtures/acme-erp/seed',
);

/** The ERP kept local UK time; the migration converted every timestamp to UTC. */
const ERP_TIME_ZONE = 'Europe/London';

type Raw = Record<string, string>;

const cents = (v: string, field: string): number => {
  const d = decimalString(v, field);
  const neg = d.startsWith('-');
  const [int, frac] = d.replace('-', '').split('.');
  const n = Number(int) * 100 + Number(frac);
  return neg ? -n : n;
};
const instant = (v: string) => new Date(legacyTimestamp(v, 'LAST_UPD', ERP_TIME_ZONE)!).toISOString();
const ACCOUNT_STATUS = { A: 'active', H: 'on_hold', C: 'closed' } as const;
const ORDER_STATUS = { O: 'open', S: 'shipped', I: 'invoiced', X: 'cancelled' } as const;
const SITES = { '01': 'LON', '02': 'LDS', '03': 'BRS' } as const;

export function migrateAccount(r: Raw): ApiAccount {
  const currency = trimmed(r.CURR_CD, 'CURR_CD').toUpperCase();
  return {
    id: trimmed(r.ACCT_NO, 'ACCT_NO'),
    displayName: trimmed(r.ACCT_NAME, 'ACCT_NAME'),
    status: ACCOUNT_STATUS[trimmed(r.ACCT_STAT, 'ACCT_STAT') as keyof typeof ACCOUNT_STATUS],
    creditLimit: { amountCents: cents(r.CR_LIMIT!, 'CR_LIMIT'), currency },
    balance: { amountCents: cents(r.CUR_BAL!, 'CUR_BAL'), currency },
    contact: { email: blankToNull(r.EMAIL_ADDR, 'EMAIL_ADDR'), phone: blankToNull(r.PHONE_NO, 'PHONE_NO') },
    openedOn: legacyDate(r.OPEN_DT, 'OPEN_DT', 'DD.MM.YYYY'),
    updatedAt: instant(r.LAST_UPD!),
  };
}

export function migrateItem(r: Raw): ApiItem {
  return {
    sku: trimmed(r.ITEM_SKU, 'ITEM_SKU'),
    name: trimmed(r.ITEM_DESC, 'ITEM_DESC'),
    unitCost: decimalString(r.UNIT_COST, 'UNIT_COST'),
    stock: {
      onHand: integer(r.QTY_ON_HAND, 'QTY_ON_HAND'),
      reorderPoint: integer(r.REORDER_PT, 'REORDER_PT'),
    },
    site: SITES[trimmed(r.WHSE_CD, 'WHSE_CD') as keyof typeof SITES],
    discontinued: trimmed(r.ITEM_STAT, 'ITEM_STAT') === 'D',
    updatedAt: instant(r.LAST_UPD!),
  };
}

export function migrateOrder(r: Raw & { LINES: Raw[] }): ApiOrder {
  return {
    id: trimmed(r.ORD_NO, 'ORD_NO'),
    accountId: trimmed(r.ACCT_NO, 'ACCT_NO'),
    orderDate: legacyDate(r.ORD_DT, 'ORD_DT', 'YYYYMMDD')!,
    status: ORDER_STATUS[trimmed(r.ORD_STAT, 'ORD_STAT') as keyof typeof ORDER_STATUS],
    currency: trimmed(r.CURR_CD, 'CURR_CD').toUpperCase(),
    totalCents: cents(r.ORD_TOTAL!, 'ORD_TOTAL'),
    lines: r.LINES.map((l) => ({
      lineNo: integer(l.LINE_NO, 'LINE_NO'),
      sku: trimmed(l.ITEM_SKU, 'ITEM_SKU'),
      qty: integer(l.QTY, 'QTY'),
      unitPriceCents: cents(l.UNIT_PRICE!, 'UNIT_PRICE'),
      amountCents: cents(l.LINE_AMT!, 'LINE_AMT'),
    })),
    updatedAt: instant(r.LAST_UPD!),
  };
}

/** A partial change of an account as the web app makes it (nested objects merged one level deep). */
export type AccountPatch = Partial<Omit<ApiAccount, 'creditLimit' | 'balance' | 'contact'>> & {
  creditLimit?: Partial<ApiAccount['creditLimit']>;
  balance?: Partial<ApiAccount['balance']>;
  contact?: Partial<ApiAccount['contact']>;
};
export type ItemPatch = Partial<Omit<ApiItem, 'stock'>> & { stock?: Partial<ApiItem['stock']> };

export class NextData {
  readonly accounts = new Map<string, ApiAccount>();
  readonly items = new Map<string, ApiItem>();
  readonly orders = new Map<string, ApiOrder>();

  constructor(seedDir: string = SEED_DIR) {
    const read = <T>(name: string) => JSON.parse(fs.readFileSync(path.join(seedDir, name), 'utf8')) as T[];
    for (const a of read<Raw>('accounts.json').map(migrateAccount)) this.accounts.set(a.id, a);
    for (const i of read<Raw>('items.json').map(migrateItem)) this.items.set(i.sku, i);
    for (const o of read<Raw & { LINES: Raw[] }>('orders.json').map(migrateOrder)) this.orders.set(o.id, o);
  }

  /** Change an account as a person in the web app would (stamps updatedAt). */
  updateAccount(id: string, patch: AccountPatch): ApiAccount {
    const a = this.accounts.get(id);
    if (!a) throw new Error(`no account ${id}`);
    const { creditLimit, balance, contact, ...top } = patch;
    Object.assign(a, top, {
      creditLimit: { ...a.creditLimit, ...creditLimit },
      balance: { ...a.balance, ...balance },
      contact: { ...a.contact, ...contact },
      updatedAt: patch.updatedAt ?? new Date().toISOString(),
    });
    return a;
  }

  updateItem(sku: string, patch: ItemPatch): ApiItem {
    const i = this.items.get(sku);
    if (!i) throw new Error(`no item ${sku}`);
    const { stock, ...top } = patch;
    Object.assign(i, top, {
      stock: { ...i.stock, ...stock },
      updatedAt: patch.updatedAt ?? new Date().toISOString(),
    });
    return i;
  }
}
