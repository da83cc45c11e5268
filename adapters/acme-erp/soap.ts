/**
 * How seam reaches ACME ERP (2009): its WSDL, its operations (reads and the writes seam never
 * calls), what its Fault codes mean, and the limits the box can take.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LegacyFaultInfo, LegacyLimits, SoapSettings } from '../../src/adapter/resource.ts';

export const WSDL_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../wsdl/acme-erp.wsdl',
);

/** The box keeps local UK time in every timestamp and in its maintenance schedule. */
export const BOX_TIME_ZONE = 'Europe/London';

/** Fault detail: <ERROR_INFO><ERR_CD>E0101</ERR_CD><ERR_MSG>...</ERR_MSG></ERROR_INFO>. */
function legacyCode(fault: LegacyFaultInfo): string | undefined {
  const info = (fault.detail as { ERROR_INFO?: { ERR_CD?: unknown } } | undefined)?.ERROR_INFO;
  const cd = info?.ERR_CD;
  if (typeof cd === 'string' && /^E\d{4}$/.test(cd.trim())) return cd.trim();
  return undefined;
}

export const limits: LegacyLimits = {
  // The box answers in 20-200 ms when well; 5 s means it is stuck on a lock.
  timeoutMs: 5_000,
  // It has 6 worker slots; leave 2 for the green-screen users and the batch.
  maxConcurrency: 4,
  queueSize: 100,
  callsPerSecond: 50,
  // Month-end close: 02:00-02:59 (UK) on the 1st, the box runs its batch and refuses calls.
  maintenanceWindows: ['* 2 1 * *'],
  timezone: BOX_TIME_ZONE,
  // The largest page (100 accounts) is ~60 KB; anything near 1 MiB is not a real answer.
  maxResponseBytes: 1024 * 1024,
  cacheTtlMs: 2_000,
  retry: { retries: 2, minDelayMs: 100, maxDelayMs: 1_000, budgetRatio: 0.1, minPerSecond: 1 },
  breaker: {
    errorThresholdPercentage: 50,
    volumeThreshold: 10,
    rollingWindowMs: 10_000,
    resetTimeoutMs: 15_000,
  },
};

export const soapSettings: SoapSettings = {
  wsdl: WSDL_PATH,
  auth: { kind: 'wsse' },
  operations: {
    GetAccount: 'read',
    ListAccounts: 'read',
    GetItem: 'read',
    ListItems: 'read',
    GetOrder: 'read',
    SetCreditLimit: 'write',
    AdjustStock: 'write',
    SetAccountStatus: 'write',
    IssueCredit: 'write',
  },
  faults: {
    legacyCode,
    codes: {
      E0101: { kind: 'not_found', title: 'account not on file' },
      E0201: { kind: 'not_found', title: 'item not on file' },
      E0301: { kind: 'not_found', title: 'order not on file' },
      E0400: { kind: 'bad_request', title: 'invalid argument' },
      E0401: { kind: 'auth', title: 'user not authorised' },
      E0900: { kind: 'busy', title: 'system busy' },
      E0910: { kind: 'busy', title: 'batch run in progress' },
    },
  },
  limits,
};
