/**
 * The wire shapes of ACME Next's JSON API (v2), as its documentation gives them. The adapter reads
 * them (resources.ts) and the simulator serves them (simulator/); nothing else sees them: agents see
 * the normalised records, which are the same as before the swap.
 */

export interface ApiMoney {
  /** Integer cents (minor units), never a float. */
  amountCents: number;
  currency: string;
}

export interface ApiAccount {
  /** Six digits, zero-padded (migrated from the ERP's account numbers). */
  id: string;
  displayName: string;
  status: 'active' | 'on_hold' | 'closed';
  creditLimit: ApiMoney;
  balance: ApiMoney;
  contact: { email: string | null; phone: string | null };
  /** YYYY-MM-DD, or null when the ERP did not know it. */
  openedOn: string | null;
  /** ISO 8601 UTC with milliseconds. */
  updatedAt: string;
}

export interface ApiItem {
  sku: string;
  name: string;
  /** Decimal string with 2 places, in the company's base currency (GBP). */
  unitCost: string;
  stock: { onHand: number; reorderPoint: number };
  /** Site codes: LON London, LDS Leeds, BRS Bristol. */
  site: 'LON' | 'LDS' | 'BRS';
  discontinued: boolean;
  updatedAt: string;
}

export interface ApiOrderLine {
  lineNo: number;
  sku: string;
  qty: number;
  unitPriceCents: number;
  amountCents: number;
}

export interface ApiOrder {
  id: string;
  accountId: string;
  orderDate: string;
  status: 'open' | 'shipped' | 'invoiced' | 'cancelled';
  currency: string;
  totalCents: number;
  lines: ApiOrderLine[];
  updatedAt: string;
}

export interface ApiPage<T> {
  data: T[];
  nextPageToken: string | null;
}

export interface ApiError {
  error: { code: string; message: string };
}
