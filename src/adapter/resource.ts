/**
 * The read half of the adapter contract (owned by the legacy/read-facade area): how seam reaches a
 * legacy system (SOAP settings and the limits that protect it) and which resources it serves, each
 * with its zod record schema, its sensitive fields, and how to fetch it live and normalise it.
 *
 * Everything here is declared by `adapters/<system>/`; `src/legacy/` enforces the limits and
 * `src/records/` serves the resources. docs/adapters.md walks through it with an example.
 */
import type { z } from 'zod';

/** What an operation does to the legacy system. Only `read` operations are ever called by seam. */
export type OperationKind = 'read' | 'write';

/** How a legacy error code is answered over HTTP (the code itself is kept as `legacy_code`). */
export type FaultKind =
  /** The thing asked for does not exist (404). */
  | 'not_found'
  /** The legacy system rejected the arguments (400). */
  | 'bad_request'
  /** The legacy system is busy or in a batch run: retryable (503 with Retry-After). */
  | 'busy'
  /** The legacy system refused our credentials (502: an operator must fix the configuration). */
  | 'auth'
  /** Anything else the legacy system reports about itself (502). */
  | 'internal';

/** A SOAP Fault as node-soap reports it, reduced to the parts an adapter may inspect. */
export interface LegacyFaultInfo {
  faultcode?: string;
  faultstring?: string;
  /** The parsed `<detail>` element (shape depends on the system). */
  detail?: unknown;
}

export interface FaultRules {
  /** Pull the system's own error code out of a Fault (e.g. `E0101`); undefined when it has none. */
  legacyCode(fault: LegacyFaultInfo): string | undefined;
  /** What each known legacy code means. Unknown codes are treated as `internal`. */
  codes: Record<string, { kind: FaultKind; title: string }>;
}

/**
 * Limits that protect a legacy box that cannot take agent load. Every call seam makes goes through
 * all of them (src/legacy/guard.ts). Operators may override some with SEAM_LEGACY_* settings.
 */
export interface LegacyLimits {
  /** Per-call deadline; a call that takes longer is abandoned and answered 504. */
  timeoutMs: number;
  /** Calls in flight at the legacy box at once (its worker slots, minus headroom). */
  maxConcurrency: number;
  /** Calls allowed to wait for a slot; beyond that callers get 503 with Retry-After at once. */
  queueSize: number;
  /** Calls started per second, whatever the concurrency. */
  callsPerSecond: number;
  /**
   * node-cron expressions (5 fields: minute hour day month weekday); every minute an expression
   * matches lies inside a maintenance window, during which seam does not call the box and serves
   * stored data marked stale. E.g. `* 1-2 * * *` is 01:00 to 02:59 every night.
   */
  maintenanceWindows: string[];
  /** IANA time zone the maintenance windows are written in (the box's local time). */
  timezone: string;
  /** Largest response body accepted; larger ones are refused unread (502). */
  maxResponseBytes: number;
  /** How long a successful read answer is reused for identical reads. 0 disables the cache. */
  cacheTtlMs: number;
  /** Retries for read operations only, with jittered exponential backoff. */
  retry: {
    /** Retries after the first attempt (so attempts = retries + 1). */
    retries: number;
    /** First backoff; doubled each retry, then jittered. */
    minDelayMs: number;
    maxDelayMs: number;
    /**
     * Retry budget: retries may add at most this fraction of first attempts (token bucket), so a
     * failing box sees a bounded trickle of retries, never a storm.
     */
    budgetRatio: number;
    /** Retries always allowed per second even with an empty budget (low-traffic systems). */
    minPerSecond: number;
  };
  /** Circuit breaker (opossum): stop calling a failing box, probe it again after a pause. */
  breaker: {
    /** Open when this percentage of calls in the rolling window failed... */
    errorThresholdPercentage: number;
    /** ...and at least this many calls were made in the window. */
    volumeThreshold: number;
    /** Rolling window length. */
    rollingWindowMs: number;
    /** How long the breaker stays open before letting one probe call through. */
    resetTimeoutMs: number;
  };
}

export interface SoapAuth {
  /** `wsse`: WS-Security UsernameToken; `basic`: HTTP Basic; `none`. Credentials come from config. */
  kind: 'none' | 'basic' | 'wsse';
}

export interface SoapSettings {
  /** Absolute path (or URL) of the WSDL; imported XSDs are resolved relative to it. */
  wsdl: string;
  /** Default endpoint; SEAM_LEGACY_URL overrides it, and with neither the simulator is used. */
  endpoint?: string;
  auth: SoapAuth;
  /**
   * The SOAP version the binding speaks: '1.2' sends SOAP 1.2 envelopes (application/soap+xml);
   * node-soap does not take it from the WSDL. Default '1.1'.
   */
  soapVersion?: '1.1' | '1.2';
  /** Every operation of the WSDL seam knows about, and whether it reads or writes. */
  operations: Record<string, OperationKind>;
  faults: FaultRules;
  limits: LegacyLimits;
}

/** How an adapter's fetch functions reach the legacy system: one guarded call per operation. */
export interface LegacyCaller {
  /**
   * Call a read operation with its (unvalidated) arguments and get node-soap's parsed result.
   * Timeouts, bulkhead, rate limit, breaker, coalescing, cache and retries all apply; failures
   * arrive as LegacyError (src/legacy/errors.ts). Write operations are refused.
   */
  call(operation: string, args: Record<string, unknown>): Promise<unknown>;
}

/** One page of a resource read live. */
export interface LegacyPage {
  /** Normalised records, not yet validated: seam validates each against the resource schema. */
  records: unknown[];
  /** Opaque continuation for the next page; absent on the last page. */
  next?: string;
}

export interface PageRequest {
  /** The `next` of the previous page; absent for the first page. */
  cursor?: string;
  pageSize: number;
  /** Only records changed at or after this instant (for polls). */
  changedSince?: Date;
}

/** A resource agents read (e.g. `accounts`). R is the normalised record type. */
export interface ResourceDefinition<R extends Record<string, unknown> = Record<string, unknown>> {
  /** Plural, lower-case, URL-safe: `/v1/<name>`, scope `read:<name>`. Unique across adapters. */
  name: string;
  /** Singular, used in event types: `<system>.<entity>.updated`. */
  entity: string;
  /** Field of the record holding its key (the legacy key, normalised, e.g. `accountNumber`). */
  key: keyof R & string;
  /** The normalised record. A record that fails it never reaches an agent. */
  schema: z.ZodType<R>;
  /** Personal data: masked unless the caller holds `pii:<field>` (src/access/redact.ts). */
  sensitive: readonly (keyof R & string)[];
  /** Top-level fields agents may filter lists on (`?status=HOLD`); exact match on their JSON value. */
  filterable: readonly (keyof R & string)[];
  /** Stored copies older than this are answered with `stale: true` (default: 26 hours). */
  staleAfterSeconds?: number;
  /**
   * A key that exists in the system (and its simulator's data), e.g. `004471`: used in examples and
   * by the adapter contract test (test/adapter.contract.test.ts) for resources it cannot list.
   */
  exampleKey?: string;
  /** Normalise a key given by an agent into the legacy form (e.g. `4471` → `004471`). */
  normaliseKey?(key: string): string;
  /** Fetch and normalise one record; return undefined if the system says it does not exist. */
  fetchOne(legacy: LegacyCaller, key: string): Promise<unknown>;
  /** Fetch and normalise one page (needed for polls); absent when the system cannot list. */
  fetchPage?(legacy: LegacyCaller, page: PageRequest): Promise<LegacyPage>;
  /**
   * Scheduled poll through a changed-since listing, keeping the store fresh between batch drops.
   * Needs fetchPage. `cron` is a node-cron expression (6 fields allowed: seconds first).
   */
  poll?: { cron: string; pageSize: number };
}

/** Erase the record type for code that handles every resource alike. */
export type AnyResource = ResourceDefinition<Record<string, unknown>>;

/** Identity helper that keeps the record type of one resource while checking it. */
export function defineResource<R extends Record<string, unknown>>(r: ResourceDefinition<R>): AnyResource {
  return r as unknown as AnyResource;
}

/** A loopback stand-in for the legacy system, started when no endpoint is configured (demo, tests). */
export interface Simulator {
  /** Endpoint URL to call. */
  url: string;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  /** Added to every call, like an old box's think time. */
  latencyMs: number;
  /** Worker slots the box has. */
  workers: number;
}

export type SimulatorFactory = (opts: SimulatorOptions) => Promise<Simulator>;
