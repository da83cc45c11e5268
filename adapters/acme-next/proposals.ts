/**
 * The writes agents may propose against ACME Next: the same four proposal types as before the swap
 * (same ids, input schemas, impact, expected state, dependencies and reversal), so an agent's
 * proposals read the same. What changed is how a person carries them out: in ACME Next's web app
 * instead of the ERP's green screens, and, in gated-write, the JSON call seam would make.
 *
 * Web app: Customers › <account> (tabs Overview, Credit, Status), Billing › Credit notes,
 * Inventory › <SKU> › Adjust stock. Every save shows a toast with the change id (e.g. `chg_8f2k…`).
 */
import { z } from 'zod';
import { decimal, defineProposalType } from '../../src/adapter/proposal-type.ts';
import { accounts, items, type Account, type Item } from './resources.ts';

/** Stock is valued in the company's base currency (unit costs are kept in GBP). */
export const BASE_CURRENCY = 'GBP';

/** The service account seam would act as in gated-write (the audit log in ACME Next shows it). */
const SEAM_CLIENT = 'seam-gated-write';

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

/** "12,345.60": how amounts are written for people (approvers read the impact summary). */
export function money(v: string): string {
  const [int, frac] = decimal.format(v).replace('-', '').split('.');
  return `${v.trim().startsWith('-') && !decimal.eq(v, 0) ? '-' : ''}${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}
const signed = (v: string) => (decimal.cmp(v, 0) >= 0 ? `+${money(v)}` : money(v));

/** A decimal string as integer cents for the API ("2500.5" → 250050). */
function cents(v: string): number {
  const [int, frac = ''] = decimal.format(v).replace('-', '').split('.');
  const n = Number(int) * 100 + Number(frac.padEnd(2, '0'));
  return v.trim().startsWith('-') ? -n : n;
}

// Same words as before the swap: agents may act on them.
const openAccount = (a: Account) => (a.status === 'CLOSED' ? ['the account is CLOSED in the ERP'] : []);

const findAccount = (a: Account) => ({
  screen: 'Customers › Search',
  text: `Search for ${a.accountNumber} and open it. Check the header reads "${a.name}", status ${a.status}, credit limit ${money(a.creditLimit)} ${a.currency}. If anything differs, stop and release the proposal in seam.`,
});

/** Change ids (`chg_…`) or document numbers from the API's answer to a write. */
function writeReference(result: unknown, operation: string): string {
  const r = result as { id?: unknown; changeId?: unknown } | undefined;
  const ref = typeof r?.id === 'string' ? r.id : typeof r?.changeId === 'string' ? r.changeId : '';
  return ref || `${operation} done`;
}

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
      screen: 'Customers › Account › Credit',
      text: `Click "Edit limit". Enter ${i.creditLimit} (was ${a.creditLimit}) and, as the reason, "{proposal}".`,
    },
    { screen: 'Customers › Account › Credit', text: 'Click Save. Note the change id shown in the toast.' },
  ],
  reversal: {
    kind: 'reversible',
    input: (i, before) => ({ accountNumber: i.accountNumber, creditLimit: before.creditLimit }),
  },
  write: {
    operation: 'SetCreditLimit',
    args: (i, a) => ({
      accountId: i.accountNumber,
      amountCents: cents(i.creditLimit),
      currency: a.currency,
      reason: 'seam gated-write',
      requestedBy: SEAM_CLIENT,
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
      screen: 'Customers › Account › Status',
      text: `Choose "${i.status === 'HOLD' ? 'Put on hold' : 'Release hold'}". As the reason, enter "{proposal}".`,
    },
    {
      screen: 'Customers › Account › Status',
      text: 'Click Confirm. Note the change id shown in the toast.',
    },
  ],
  reversal: {
    kind: 'reversible',
    input: (i, before) => ({ accountNumber: i.accountNumber, status: before.status }),
  },
  write: {
    operation: 'SetAccountStatus',
    args: (i) => ({
      accountId: i.accountNumber,
      status: i.status === 'HOLD' ? 'on_hold' : 'active',
      reason: 'seam gated-write',
      requestedBy: SEAM_CLIENT,
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
      screen: 'Billing › Credit notes › New',
      text: `Customer ${a.accountNumber}, amount ${i.amount} ${a.currency}, memo "${i.memo}", external reference "{proposal}". Click "Post credit note".`,
    },
    {
      screen: 'Customers › Account › Overview',
      text: `The balance should now read ${money(decimal.sub(a.balance, i.amount))} ${a.currency}. Note the credit note number (CN-…).`,
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
      accountId: i.accountNumber,
      amountCents: cents(i.amount),
      currency: i.currency,
      memo: i.memo,
      requestedBy: SEAM_CLIENT,
    }),
    reference: (r) => writeReference(r, 'IssueCredit'),
  },
});

// ---- adjust-stock -----------------------------------------------------------------------------

/** Reason codes agents send (kept from the ERP), and the reasons ACME Next names them by. */
export const STOCK_REASONS = {
  CC: 'cycle count correction',
  DM: 'damaged',
  RT: 'customer return to stock',
  WO: 'write-off',
  FD: 'found in warehouse',
  RV: 'reversal of an earlier adjustment',
} as const;
const API_REASONS = {
  CC: 'cycle_count',
  DM: 'damaged',
  RT: 'customer_return',
  WO: 'write_off',
  FD: 'found',
  RV: 'reversal',
} as const satisfies Record<keyof typeof STOCK_REASONS, string>;

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
      screen: 'Inventory › Search',
      text: `Search for ${it.sku} and open it. Check it reads "${it.description}", site ${it.warehouse}, on hand ${it.onHand}. If it differs, stop and release the proposal in seam.`,
    },
    {
      screen: 'Inventory › Item › Adjust stock',
      text: `Quantity ${i.quantity > 0 ? '+' : ''}${i.quantity}, reason "${STOCK_REASONS[i.reasonCode]}", reference "{proposal}". Click "Post adjustment".`,
    },
    {
      screen: 'Inventory › Item',
      text: `On hand should show ${it.onHand + i.quantity}. Note the adjustment id (ADJ-…).`,
    },
  ],
  reversal: {
    kind: 'reversible',
    input: (i) => ({ sku: i.sku, quantity: -i.quantity, reasonCode: 'RV' }),
  },
  write: {
    operation: 'AdjustStock',
    args: (i) => ({
      sku: i.sku,
      quantity: i.quantity,
      reason: API_REASONS[i.reasonCode],
      requestedBy: SEAM_CLIENT,
    }),
    reference: (r) => writeReference(r, 'AdjustStock'),
  },
});

export const proposalTypes = [setCreditLimit, setAccountStatus, issueCredit, adjustStock];
