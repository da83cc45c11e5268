/**
 * The writes agents may propose against ACME ERP (2009), and how a person carries each out in the
 * ERP's own screens. Operators work in the green-screen client:
 *
 *   CM01 Customer Inquiry            CM02 Customer Credit Maintenance   CM05 Customer Status / Hold
 *   AR40 Credit Note Entry           AR41 Credit Note Posting
 *   IC01 Item Inquiry                IC20 Stock Adjustment
 *
 * Function keys as on every ERP screen: F5 Inquire, F6 Change, F10 Save/Post, F12 Back. The status
 * line at the bottom shows the transaction number after a save (`TXN nnnnnnnn`).
 */
import { z } from 'zod';
import { decimal, defineProposalType } from '../../src/adapter/proposal-type.ts';
import { accounts, items, type Account, type Item } from './resources.ts';

/** Stock is valued in the company's base currency (the ERP keeps unit costs in GBP). */
export const BASE_CURRENCY = 'GBP';

/** The ERP user id seam would write as in gated-write (audit in the ERP shows it). */
const SEAM_USER = 'SEAMGW';

const accountNumber = z
  .string()
  .trim()
  .regex(/^\d{1,6}$/, 'an account number of up to 6 digits, e.g. 004471')
  .transform((k) => accounts.normaliseKey!(k));

const sku = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{1,12}$/, 'a SKU of up to 12 letters, digits or dashes, e.g. BEA-1727')
  .transform((k) => items.normaliseKey!(k));

/** A positive amount with at most 2 decimals, as a string (never a float); normalised to 2 places. */
const amount = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,10}(\.\d{1,2})?$/, `${what} as a decimal string with at most 2 places, e.g. "2500.00"`)
    .transform((v) => decimal.format(v));

/** "12,345.60" as the ERP prints amounts. */
export function money(v: string): string {
  const [int, frac] = decimal.format(v).replace('-', '').split('.');
  return `${v.trim().startsWith('-') && !decimal.eq(v, 0) ? '-' : ''}${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}
const signed = (v: string) => (decimal.cmp(v, 0) >= 0 ? `+${money(v)}` : money(v));

const openAccount = (a: Account) => (a.status === 'CLOSED' ? ['the account is CLOSED in the ERP'] : []);

const findAccount = (a: Account) => ({
  screen: 'CM01 Customer Inquiry',
  text: `Type account ${a.accountNumber} in ACCT NO and press F5. Check the name reads "${a.name}", the status ${a.status}, the credit limit ${money(a.creditLimit)} ${a.currency}. If anything differs, stop: press F12 and release the proposal in seam.`,
});

// ---- set-credit-limit ------------------------------------------------------------------------

const SetCreditLimitInput = z
  .object({ accountNumber, creditLimit: amount('the new credit limit') })
  .strict()
  .meta({ id: 'SetCreditLimitInput' });

export const setCreditLimit = defineProposalType<z.output<typeof SetCreditLimitInput>, Account>({
  id: 'set-credit-limit',
  title: "Set an account's credit limit",
  description:
    'Raise or lower how much a customer may owe. Impact: the change in limit, in the account currency.',
  resource: 'accounts',
  input: SetCreditLimitInput,
  example: { accountNumber: '4471', creditLimit: '17000' },
  targetKey: (i) => i.accountNumber,
  check: (_i, a) => openAccount(a),
  impact: (i, a) => {
    const change = decimal.sub(i.creditLimit, a.creditLimit);
    return {
      amount: change,
      currency: a.currency,
      summary: `Credit limit of ${a.accountNumber} ${a.name}: ${money(a.creditLimit)} → ${money(i.creditLimit)} ${a.currency} (${signed(change)})`,
    };
  },
  expected: (i) => ({ creditLimit: i.creditLimit }),
  dependsOn: ['creditLimit', 'status', 'currency'],
  instructions: (i, a) => [
    findAccount(a),
    {
      screen: 'CM02 Customer Credit Maintenance',
      text: `Press F6 (Change). In CR LIMIT type ${i.creditLimit} (was ${a.creditLimit}). In REASON type "{proposal}".`,
    },
    {
      screen: 'CM02 Customer Credit Maintenance',
      text: 'Press F10 to save. Note the TXN number shown on the status line.',
    },
  ],
  reversal: {
    kind: 'reversible',
    input: (i, before) => ({ accountNumber: i.accountNumber, creditLimit: before.creditLimit }),
  },
  write: {
    operation: 'SetCreditLimit',
    args: (i) => ({
      ACCT_NO: i.accountNumber,
      NEW_LIMIT: i.creditLimit,
      REASON: 'seam gated-write',
      USER_ID: SEAM_USER,
    }),
    reference: (r) => writeReference(r, 'SetCreditLimit'),
  },
});

// ---- set-account-status (hold / release) -----------------------------------------------------

const SetAccountStatusInput = z
  .object({
    accountNumber,
    status: z.enum(['HOLD', 'ACTIVE']).describe('HOLD blocks new orders; ACTIVE releases a hold'),
  })
  .strict()
  .meta({ id: 'SetAccountStatusInput' });

/** Credit a customer still has (limit minus balance, not below zero): what a hold blocks or a release frees. */
const available = (a: Account) => {
  const left = decimal.sub(a.creditLimit, a.balance);
  return decimal.cmp(left, 0) > 0 ? left : '0.00';
};

export const setAccountStatus = defineProposalType<z.output<typeof SetAccountStatusInput>, Account>({
  id: 'set-account-status',
  title: 'Put an account on hold, or release it',
  description:
    'HOLD stops new orders for the account; ACTIVE releases the hold. Impact: the available credit (limit minus balance) the change blocks or frees.',
  resource: 'accounts',
  input: SetAccountStatusInput,
  example: { accountNumber: '004471', status: 'HOLD' },
  targetKey: (i) => i.accountNumber,
  check: (_i, a) => openAccount(a),
  impact: (i, a) => {
    const free = available(a);
    const hold = i.status === 'HOLD';
    return {
      amount: hold ? decimal.neg(free) : free,
      currency: a.currency,
      summary: `Account ${a.accountNumber} ${a.name}: ${a.status} → ${i.status}; ${hold ? 'blocks' : 'frees'} ${money(free)} ${a.currency} of available credit`,
    };
  },
  expected: (i) => ({ status: i.status }),
  dependsOn: ['status'],
  instructions: (i, a) => [
    findAccount(a),
    {
      screen: 'CM05 Customer Status / Hold',
      text: `Press F6 (Change). Set ACCT STAT to ${i.status === 'HOLD' ? 'H (on hold)' : 'A (active)'}. In HOLD REASON type "{proposal}".`,
    },
    {
      screen: 'CM05 Customer Status / Hold',
      text: `Press F10 to save; confirm the prompt "${i.status === 'HOLD' ? 'PLACE ACCOUNT ON HOLD? Y/N' : 'RELEASE HOLD? Y/N'}" with Y. Note the TXN number shown on the status line.`,
    },
  ],
  reversal: {
    kind: 'reversible',
    input: (i, before) => ({ accountNumber: i.accountNumber, status: before.status }),
  },
  write: {
    operation: 'SetAccountStatus',
    args: (i) => ({
      ACCT_NO: i.accountNumber,
      NEW_STAT: i.status === 'HOLD' ? 'H' : 'A',
      REASON: 'seam gated-write',
      USER_ID: SEAM_USER,
    }),
    reference: (r) => writeReference(r, 'SetAccountStatus'),
  },
});

// ---- issue-credit -----------------------------------------------------------------------------

const IssueCreditInput = z
  .object({
    accountNumber,
    amount: amount('the credit amount'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code, the account currency'),
    memo: z.string().trim().min(1).max(30).describe('printed on the credit note (30 characters)'),
  })
  .strict()
  .refine((i) => decimal.cmp(i.amount, 0) > 0, { path: ['amount'], message: 'must be more than 0' })
  .meta({ id: 'IssueCreditInput' });

export const issueCredit = defineProposalType<z.output<typeof IssueCreditInput>, Account>({
  id: 'issue-credit',
  title: 'Issue a credit note to an account',
  description:
    'Credit a customer (a refund, a goodwill gesture, a pricing correction). Irreversible once posted.',
  resource: 'accounts',
  input: IssueCreditInput,
  example: { accountNumber: '004471', amount: '120.00', currency: 'GBP', memo: 'Goodwill: late delivery' },
  targetKey: (i) => i.accountNumber,
  check: (i, a) => [
    ...openAccount(a),
    ...(i.currency !== a.currency ? [`the account is kept in ${a.currency}, not ${i.currency}`] : []),
  ],
  impact: (i, a) => ({
    amount: decimal.neg(i.amount),
    currency: a.currency,
    summary: `Credit note of ${money(i.amount)} ${a.currency} to ${a.accountNumber} ${a.name}: balance ${money(a.balance)} → ${money(decimal.sub(a.balance, i.amount))}`,
  }),
  expected: (i, a) => ({ balance: decimal.sub(a.balance, i.amount) }),
  dependsOn: ['balance', 'status', 'currency'],
  instructions: (i, a) => [
    findAccount(a),
    {
      screen: 'AR40 Credit Note Entry',
      text: `Type account ${a.accountNumber}, DOC TYPE CN, AMOUNT ${i.amount}, CURR ${a.currency}. In MEMO type "${i.memo}". In EXT REF type "{proposal}". Press F10 to save the entry.`,
    },
    {
      screen: 'AR41 Credit Note Posting',
      text: `Select the entry for ${a.accountNumber} (${money(i.amount)} ${a.currency}) with X and press F10 to post. Note the credit note number (CNnnnnnn) shown on the status line.`,
    },
    {
      screen: 'CM01 Customer Inquiry',
      text: `Press F5 on account ${a.accountNumber}: the balance should now read ${money(decimal.sub(a.balance, i.amount))} ${a.currency}.`,
    },
  ],
  reversal: {
    kind: 'irreversible',
    reason:
      'A posted credit note cannot be withdrawn in the ERP. Undoing it takes a debit note raised by Accounts Receivable, and the customer must be told.',
  },
  write: {
    operation: 'IssueCredit',
    args: (i) => ({
      ACCT_NO: i.accountNumber,
      AMOUNT: i.amount,
      CURR_CD: i.currency,
      REASON: i.memo,
      USER_ID: SEAM_USER,
    }),
    reference: (r) => writeReference(r, 'IssueCredit'),
  },
});

// ---- adjust-stock -----------------------------------------------------------------------------

/** Reason codes of screen IC20. */
export const STOCK_REASONS = {
  CC: 'cycle count correction',
  DM: 'damaged',
  RT: 'customer return to stock',
  WO: 'write-off',
  FD: 'found in warehouse',
  RV: 'reversal of an earlier adjustment',
} as const;

const AdjustStockInput = z
  .object({
    sku,
    quantity: z
      .number()
      .int()
      .min(-100_000)
      .max(100_000)
      .refine((q) => q !== 0, 'must not be 0')
      .describe('units to add (positive) or remove (negative)'),
    reasonCode: z.enum(
      Object.keys(STOCK_REASONS) as [keyof typeof STOCK_REASONS, ...(keyof typeof STOCK_REASONS)[]],
    ),
  })
  .strict()
  .meta({ id: 'AdjustStockInput' });

export const adjustStock = defineProposalType<z.output<typeof AdjustStockInput>, Item>({
  id: 'adjust-stock',
  title: "Adjust an item's stock on hand",
  description: 'Add or remove units (counts, damage, returns, write-offs). Impact: quantity times unit cost.',
  resource: 'items',
  input: AdjustStockInput,
  example: { sku: 'BRA-7223', quantity: 20, reasonCode: 'RT' },
  targetKey: (i) => i.sku,
  check: (i, it) => [
    ...(it.onHand + i.quantity < 0 ? [`it would take stock below zero (on hand ${it.onHand})`] : []),
    ...(it.status === 'DISCONTINUED' && i.quantity > 0
      ? ['the item is DISCONTINUED: stock cannot be added']
      : []),
  ],
  impact: (i, it) => {
    const value = decimal.mul(it.unitCost, i.quantity);
    return {
      amount: value,
      currency: BASE_CURRENCY,
      summary: `${it.sku} ${it.description} (${it.warehouse}): on hand ${it.onHand} → ${it.onHand + i.quantity} (${i.quantity > 0 ? '+' : ''}${i.quantity} × ${money(it.unitCost)} = ${signed(value)} ${BASE_CURRENCY}), ${STOCK_REASONS[i.reasonCode]}`,
    };
  },
  expected: (i, it) => ({ onHand: it.onHand + i.quantity }),
  dependsOn: ['onHand', 'status'],
  instructions: (i, it) => [
    {
      screen: 'IC01 Item Inquiry',
      text: `Type ${it.sku} in ITEM and press F5. Check the description reads "${it.description}", warehouse ${it.warehouse}, ON HAND ${it.onHand}. If it differs, stop: press F12 and release the proposal in seam.`,
    },
    {
      screen: 'IC20 Stock Adjustment',
      text: `Type ITEM ${it.sku}, WHSE ${it.warehouse}, ADJ QTY ${i.quantity > 0 ? '+' : ''}${i.quantity}, REASON CD ${i.reasonCode} (${STOCK_REASONS[i.reasonCode]}). In REF type "{proposal}".`,
    },
    {
      screen: 'IC20 Stock Adjustment',
      text: `Press F10 to post. ON HAND should show ${it.onHand + i.quantity}. Note the adjustment number (ADJnnnnnn) on the status line.`,
    },
  ],
  reversal: {
    kind: 'reversible',
    input: (i) => ({ sku: i.sku, quantity: -i.quantity, reasonCode: 'RV' }),
  },
  write: {
    operation: 'AdjustStock',
    args: (i) => ({
      ITEM_SKU: i.sku,
      QTY_DELTA: String(i.quantity),
      REASON_CD: i.reasonCode,
      USER_ID: SEAM_USER,
    }),
    reference: (r) => writeReference(r, 'AdjustStock'),
  },
});

/** The ERP answers writes with RESULT_CD 00 and, for documents, a REF_NO. */
function writeReference(result: unknown, operation: string): string {
  const r = (result as { RESULT?: { RESULT_CD?: unknown; REF_NO?: unknown } } | undefined)?.RESULT;
  const ref = typeof r?.REF_NO === 'string' ? r.REF_NO.trim() : '';
  return ref || `${operation} RESULT ${String(r?.RESULT_CD ?? '?')}`;
}

export const proposalTypes = [setCreditLimit, setAccountStatus, issueCredit, adjustStock];
