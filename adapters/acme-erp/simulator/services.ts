/**
 * The ERP's operations as the simulator implements them, over LegacyData in the raw legacy shape.
 * Errors are SOAP 1.1 Faults carrying ERROR_INFO { ERR_CD, ERR_MSG } like the real box.
 */
import type { LegacyData, RawAccount, RawItem } from './data.ts';

/** The box's error codes (same table as the adapter's fault rules). */
export const ERR = {
  accountNotFound: ['E0101', 'ACCOUNT NOT ON FILE'],
  itemNotFound: ['E0201', 'ITEM NOT ON FILE'],
  orderNotFound: ['E0301', 'ORDER NOT ON FILE'],
  badArgument: ['E0400', 'INVALID ARGUMENT'],
  notAuthorised: ['E0401', 'USER NOT AUTHORISED'],
  busy: ['E0900', 'SYSTEM BUSY - TRY LATER'],
  batchRunning: ['E0910', 'BATCH RUN IN PROGRESS'],
} as const satisfies Record<string, readonly [string, string]>;

export interface SoapFault {
  Fault: {
    faultcode: string;
    faultstring: string;
    detail: { ERROR_INFO: { ERR_CD: string; ERR_MSG: string } };
    statusCode: number;
  };
}

export function fault(err: readonly [string, string], more?: string, server = false): SoapFault {
  const msg = more ? `${err[1]}: ${more}` : err[1];
  return {
    Fault: {
      faultcode: server ? 'soap:Server' : 'soap:Client',
      faultstring: msg,
      detail: { ERROR_INFO: { ERR_CD: err[0], ERR_MSG: msg } },
      statusCode: 500,
    },
  };
}

export interface WriteCall {
  operation: string;
  args: Record<string, unknown>;
  at: string;
}

type Args = Record<string, unknown>;
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v)).trim();

const MAX_PAGE = 100;

function pageArgs(args: Args): { pageNo: number; pageSize: number; since?: string } {
  const pageNo = Number(str(args.PAGE_NO));
  const pageSize = Number(str(args.PAGE_SIZE));
  if (!Number.isInteger(pageNo) || pageNo < 1) throw fault(ERR.badArgument, 'PAGE_NO');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE)
    throw fault(ERR.badArgument, `PAGE_SIZE MUST BE 1-${MAX_PAGE}`);
  const since = str(args.CHANGED_SINCE);
  if (since && !/^\d{14}$/.test(since)) throw fault(ERR.badArgument, 'CHANGED_SINCE');
  return { pageNo, pageSize, ...(since ? { since } : {}) };
}

function page<T extends { LAST_UPD: string }>(
  rows: T[],
  a: { pageNo: number; pageSize: number; since?: string },
) {
  const matching = a.since ? rows.filter((r) => r.LAST_UPD >= a.since!) : rows;
  const start = (a.pageNo - 1) * a.pageSize;
  return {
    PAGE_NO: a.pageNo,
    MORE_FLAG: start + a.pageSize < matching.length ? 'Y' : 'N',
    TOTAL_RECS: matching.length,
    rows: matching.slice(start, start + a.pageSize),
  };
}

function acctNo(args: Args): string {
  const no = str(args.ACCT_NO);
  if (!/^\d{1,6}$/.test(no)) throw fault(ERR.badArgument, 'ACCT_NO MUST BE NUMERIC');
  return no.padStart(6, '0');
}

function legacyAmount(text: string): { cents: bigint } {
  const t = text.trim();
  const m = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) throw fault(ERR.badArgument, 'AMOUNT');
  const cents = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0') || '0');
  return { cents: m[1] ? -cents : cents };
}

function formatAmount(cents: bigint, width: number): string {
  const neg = cents < 0n;
  const a = neg ? -cents : cents;
  const s = `${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
  return neg ? `${s}-` : s.padStart(width, '0');
}

function parseBalance(raw: string): bigint {
  const t = raw.trim();
  const neg = t.endsWith('-');
  return legacyAmount(neg ? `-${t.slice(0, -1)}` : t).cents;
}

export function buildServices(data: LegacyData, onWrite: (w: WriteCall) => void) {
  const account = (args: Args): RawAccount => {
    const a = data.accounts.get(acctNo(args));
    if (!a) throw fault(ERR.accountNotFound, str(args.ACCT_NO));
    return a;
  };
  const item = (args: Args): RawItem => {
    const sku = str(args.ITEM_SKU);
    if (!sku || sku.length > 12) throw fault(ERR.badArgument, 'ITEM_SKU');
    const i = data.items.get(sku.toUpperCase());
    if (!i) throw fault(ERR.itemNotFound, sku);
    return i;
  };
  const recordWrite = (operation: string, args: Args) =>
    onWrite({ operation, args: { ...args }, at: new Date().toISOString() });
  const ok = (ref?: string) => ({
    RESULT: { RESULT_CD: '00', RESULT_MSG: 'DONE', ...(ref ? { REF_NO: ref } : {}) },
  });
  let creditNo = 4100;

  return {
    GetAccount: (args: Args) => ({ ACCOUNT: account(args) }),
    ListAccounts: (args: Args) => {
      const p = page([...data.accounts.values()], pageArgs(args));
      return {
        PAGE_NO: p.PAGE_NO,
        MORE_FLAG: p.MORE_FLAG,
        TOTAL_RECS: p.TOTAL_RECS,
        ACCOUNTS: { ACCOUNT: p.rows },
      };
    },
    GetItem: (args: Args) => ({ ITEM: item(args) }),
    ListItems: (args: Args) => {
      const whse = str(args.WHSE_CD);
      const rows = [...data.items.values()].filter((i) => !whse || i.WHSE_CD === whse);
      const p = page(rows, pageArgs(args));
      return {
        PAGE_NO: p.PAGE_NO,
        MORE_FLAG: p.MORE_FLAG,
        TOTAL_RECS: p.TOTAL_RECS,
        ITEMS: { ITEM: p.rows },
      };
    },
    GetOrder: (args: Args) => {
      const no = str(args.ORD_NO);
      if (!/^\d{1,8}$/.test(no)) throw fault(ERR.badArgument, 'ORD_NO MUST BE NUMERIC');
      const o = data.orders.get(no.replace(/^0+(?=\d)/, ''));
      if (!o) throw fault(ERR.orderNotFound, no);
      return { ORDER: { ...o, LINES: { LINE: o.LINES } } };
    },

    // Write operations: they work (an operator's client may call them), and every call is recorded.
    SetCreditLimit: (args: Args) => {
      recordWrite('SetCreditLimit', args);
      const a = account(args);
      const { cents } = legacyAmount(str(args.NEW_LIMIT));
      if (cents < 0n) throw fault(ERR.badArgument, 'NEW_LIMIT');
      data.updateAccount(a.ACCT_NO, { CR_LIMIT: formatAmount(cents, 13) });
      return ok();
    },
    AdjustStock: (args: Args) => {
      recordWrite('AdjustStock', args);
      const i = item(args);
      const delta = Number(str(args.QTY_DELTA));
      if (!Number.isInteger(delta)) throw fault(ERR.badArgument, 'QTY_DELTA');
      const next = Number(i.QTY_ON_HAND.trim()) + delta;
      data.updateItem(i.ITEM_SKU, { QTY_ON_HAND: String(next).padStart(7, ' ') });
      return ok();
    },
    SetAccountStatus: (args: Args) => {
      recordWrite('SetAccountStatus', args);
      const a = account(args);
      const stat = str(args.NEW_STAT);
      if (!['A', 'H', 'C'].includes(stat)) throw fault(ERR.badArgument, 'NEW_STAT MUST BE A, H OR C');
      data.updateAccount(a.ACCT_NO, { ACCT_STAT: stat });
      return ok();
    },
    IssueCredit: (args: Args) => {
      recordWrite('IssueCredit', args);
      const a = account(args);
      const { cents } = legacyAmount(str(args.AMOUNT));
      if (cents <= 0n) throw fault(ERR.badArgument, 'AMOUNT');
      if (str(args.CURR_CD) !== a.CURR_CD) throw fault(ERR.badArgument, 'CURR_CD');
      data.updateAccount(a.ACCT_NO, { CUR_BAL: formatAmount(parseBalance(a.CUR_BAL) - cents, 13) });
      return ok(`CN${String(++creditNo).padStart(6, '0')}`);
    },
  };
}

export type ErpServices = ReturnType<typeof buildServices>;
export const WRITE_OPERATIONS = ['SetCreditLimit', 'AdjustStock', 'SetAccountStatus', 'IssueCredit'] as const;
