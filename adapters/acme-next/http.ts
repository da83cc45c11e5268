/**
 * How seam reaches ACME Next, the JSON-over-HTTP system that replaces ACME ERP (2009): its
 * operations (named after the business operation, so provenance and metrics read the same as
 * before the swap), its error codes, and the limits it can take.
 *
 * The API (v2): JSON in and out, camelCase, ISO 8601 dates and instants, money as integer cents
 * (accounts, orders) or decimal strings (item costs), errors as
 * `{ "error": { "code": "ACCOUNT_NOT_FOUND", "message": "..." } }` with a matching HTTP status.
 * Lists are keyset-paged: `?limit=&pageToken=&updatedSince=` → `{ "data": [...], "nextPageToken" }`.
 */
import type { HttpErrorInfo, HttpSettings } from '../../src/adapter/http.ts';
import type { LegacyLimits } from '../../src/adapter/resource.ts';

/** Largest page the API serves (it answers 422 VALIDATION_FAILED above). */
export const MAX_PAGE_SIZE = 200;

function legacyCode(e: HttpErrorInfo): string | undefined {
  const code = (e.body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' && /^[A-Z][A-Z_]{1,40}$/.test(code) ? code : undefined;
}

export const limits: LegacyLimits = {
  // A cloud service: 50-150 ms when well; 3 s means something is wrong on its side.
  timeoutMs: 3_000,
  // Its published fair-use limit is 20 concurrent requests per client; keep headroom.
  maxConcurrency: 16,
  queueSize: 200,
  // Published rate limit 300 requests/s per client (429 RATE_LIMITED above).
  callsPerSecond: 200,
  // No batch runs, no maintenance windows: deployments are rolling.
  maintenanceWindows: [],
  timezone: 'UTC',
  // A page of 200 accounts is ~80 KB.
  maxResponseBytes: 4 * 1024 * 1024,
  cacheTtlMs: 2_000,
  retry: { retries: 2, minDelayMs: 100, maxDelayMs: 1_000, budgetRatio: 0.1, minPerSecond: 1 },
  breaker: {
    errorThresholdPercentage: 50,
    volumeThreshold: 20,
    rollingWindowMs: 10_000,
    resetTimeoutMs: 10_000,
  },
};

export const httpSettings: HttpSettings = {
  auth: { kind: 'bearer' },
  operations: {
    GetAccount: { kind: 'read', method: 'GET', path: '/v2/accounts/{accountId}' },
    ListAccounts: { kind: 'read', method: 'GET', path: '/v2/accounts' },
    GetItem: { kind: 'read', method: 'GET', path: '/v2/items/{sku}' },
    ListItems: { kind: 'read', method: 'GET', path: '/v2/items' },
    GetOrder: { kind: 'read', method: 'GET', path: '/v2/orders/{orderId}' },
    SetCreditLimit: { kind: 'write', method: 'PUT', path: '/v2/accounts/{accountId}/credit-limit' },
    SetAccountStatus: { kind: 'write', method: 'PATCH', path: '/v2/accounts/{accountId}' },
    IssueCredit: { kind: 'write', method: 'POST', path: '/v2/accounts/{accountId}/credit-notes' },
    AdjustStock: { kind: 'write', method: 'POST', path: '/v2/items/{sku}/stock-adjustments' },
  },
  faults: {
    legacyCode,
    codes: {
      ACCOUNT_NOT_FOUND: { kind: 'not_found', title: 'account not found' },
      ITEM_NOT_FOUND: { kind: 'not_found', title: 'item not found' },
      ORDER_NOT_FOUND: { kind: 'not_found', title: 'order not found' },
      VALIDATION_FAILED: { kind: 'bad_request', title: 'invalid argument' },
      UNAUTHENTICATED: { kind: 'auth', title: 'token missing or not valid' },
      FORBIDDEN: { kind: 'auth', title: 'token lacks the permission' },
      RATE_LIMITED: { kind: 'busy', title: 'rate limit reached' },
      UNAVAILABLE: { kind: 'busy', title: 'service temporarily unavailable' },
    },
  },
  limits,
};
