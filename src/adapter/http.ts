/**
 * The JSON-over-HTTP transport of the adapter contract, for a system that answers JSON over HTTP
 * instead of SOAP (typically the modern system that replaces a legacy one). An adapter declares
 * `http` instead of `soap`; nothing else changes: each operation is still one named call, every
 * call passes the same guard (timeout, bulkhead, rate limit, breaker, coalescing, cache, retries,
 * maintenance windows: src/legacy/guard.ts), and resources fetch through the same LegacyCaller:
 *
 *   operations: { GetAccount: { kind: 'read', method: 'GET', path: '/v2/accounts/{accountId}' } }
 *   legacy.call('GetAccount', { accountId: '004471' })   →   GET <endpoint>/v2/accounts/004471
 *
 * The transport itself is src/legacy/http.ts.
 */
import type { FaultKind, LegacyLimits, OperationKind } from './resource.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpOperation {
  /** Only `read` operations are ever called by seam's read path (writes: gated-write only). */
  kind: OperationKind;
  method: HttpMethod;
  /**
   * Path under the endpoint, with `{name}` placeholders filled from the call's arguments
   * (URL-encoded, and taken out of them). The remaining arguments go in the query string for GET
   * and DELETE (undefined and null left out), and as the JSON body otherwise.
   */
  path: string;
}

/** An error answer (HTTP status 400 or more), reduced to what an adapter may inspect. */
export interface HttpErrorInfo {
  status: number;
  /** The parsed JSON body, when the answer had one. */
  body?: unknown;
}

export interface HttpFaultRules {
  /** The system's own error code in an error answer (e.g. `ACCOUNT_NOT_FOUND`); undefined if none. */
  legacyCode(error: HttpErrorInfo): string | undefined;
  /**
   * What each known code means. An error answer without a known code is read by its status:
   * 404 not_found; 400, 409 and 422 bad_request; 401 and 403 auth; 429 busy; 5xx with a JSON
   * error body internal, 5xx without one (a proxy's page) unavailable.
   */
  codes: Record<string, { kind: FaultKind; title: string }>;
}

export interface HttpAuth {
  /**
   * `basic`: HTTP Basic with SEAM_LEGACY_USERNAME / SEAM_LEGACY_PASSWORD; `bearer`: the password as
   * a bearer token (the username names the client only); `none`.
   */
  kind: 'none' | 'basic' | 'bearer';
}

export interface HttpSettings {
  /** Base URL the paths are appended to; SEAM_LEGACY_URL overrides it; with neither the simulator is used. */
  endpoint?: string;
  auth: HttpAuth;
  /** Every operation seam knows about, by name (the name is what provenance and metrics show). */
  operations: Record<string, HttpOperation>;
  faults: HttpFaultRules;
  limits: LegacyLimits;
}

/** The read/write kind of each operation, as the guard wants it. */
export function operationKinds(h: HttpSettings): Record<string, OperationKind> {
  return Object.fromEntries(Object.entries(h.operations).map(([name, op]) => [name, op.kind]));
}
