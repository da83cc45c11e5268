/**
 * The simulator's own copy of the ERP's data, in the box's raw legacy shape (padded strings,
 * single-letter codes, decimal text), loaded from fixtures/acme-erp/seed/. Tests change it through
 * the helpers below to make the legacy system "change" under seam.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toLegacyTimestamp } from '../../../src/adapter/normalise.ts';

export const SEED_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../fixtures/acme-erp/seed',
);

/** The box keeps local time. */
export const BOX_TIME_ZONE = 'Europe/London';

export interface RawAccount {
  ACCT_NO: string;
  ACCT_NAME: string;
  ACCT_STAT: string;
  CR_LIMIT: string;
  CUR_BAL: string;
  CURR_CD: string;
  EMAIL_ADDR: string;
  PHONE_NO: string;
  OPEN_DT: string;
  LAST_UPD: string;
}

export interface RawItem {
  ITEM_SKU: string;
  ITEM_DESC: string;
  UNIT_COST: string;
  QTY_ON_HAND: string;
  REORDER_PT: string;
  WHSE_CD: string;
  ITEM_STAT: string;
  LAST_UPD: string;
}

export interface RawOrderLine {
  LINE_NO: string;
  ITEM_SKU: string;
  QTY: string;
  UNIT_PRICE: string;
  LINE_AMT: string;
}

export interface RawOrder {
  ORD_NO: string;
  ACCT_NO: string;
  ORD_DT: string;
  ORD_STAT: string;
  CURR_CD: string;
  ORD_TOTAL: string;
  LINES: RawOrderLine[];
  LAST_UPD: string;
}

export class LegacyData {
  readonly accounts = new Map<string, RawAccount>();
  readonly items = new Map<string, RawItem>();
  readonly orders = new Map<string, RawOrder>();

  constructor(seedDir: string = SEED_DIR) {
    const read = <T>(name: string) => JSON.parse(fs.readFileSync(path.join(seedDir, name), 'utf8')) as T[];
    for (const a of read<RawAccount>('accounts.json')) this.accounts.set(a.ACCT_NO, a);
    for (const i of read<RawItem>('items.json')) this.items.set(i.ITEM_SKU.trim(), i);
    for (const o of read<RawOrder>('orders.json')) this.orders.set(o.ORD_NO.trim(), o);
  }

  /** The box's clock, as it writes LAST_UPD. */
  now(): string {
    return toLegacyTimestamp(new Date(), BOX_TIME_ZONE);
  }

  /** Change an account as a clerk at a green screen would (stamps LAST_UPD). */
  updateAccount(acctNo: string, patch: Partial<RawAccount>): RawAccount {
    const a = this.accounts.get(acctNo);
    if (!a) throw new Error(`no account ${acctNo}`);
    Object.assign(a, patch, { LAST_UPD: patch.LAST_UPD ?? this.now() });
    return a;
  }

  updateItem(sku: string, patch: Partial<RawItem>): RawItem {
    const i = this.items.get(sku.trim());
    if (!i) throw new Error(`no item ${sku}`);
    Object.assign(i, patch, { LAST_UPD: patch.LAST_UPD ?? this.now() });
    return i;
  }
}
