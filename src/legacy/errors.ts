/**
 * What can go wrong calling a legacy system, by name, and how each is answered over HTTP
 * (RFC 9457 problem+json). Faults keep the system's own error code as `legacy_code`.
 *
 * A LegacyError never carries the raw client error: node-soap and axios errors hold the request
 * config (with auth headers) and whole envelopes, so only a scrubbed one-line summary is kept.
 */
import type { FaultKind } from '../adapter/resource.ts';
import { Problem } from '../http/problem.ts';
import { scrubCredentials } from '../log.ts';

export const LEGACY_ERROR = {
  /** The box answered with a SOAP Fault (see `faultKind` and `legacyCode`). */
  fault: 'fault',
  /** No answer within the per-call timeout. */
  timeout: 'timeout',
  /** Connection refused or reset, or an HTTP error page instead of SOAP. */
  unavailable: 'unavailable',
  /** The circuit breaker is open: seam is not calling the box for a while. */
  circuitOpen: 'circuit_open',
  /** Every slot is busy and the waiting line is full (or the wait was too long). */
  overloaded: 'overloaded',
  /** Inside a maintenance window: seam does not call the box. */
  maintenance: 'maintenance',
  /** The answer was not well-formed SOAP. */
  badResponse: 'bad_response',
  /** The answer was larger than the system's response cap. */
  tooLarge: 'too_large',
  /** The answer parsed but the record failed its schema (or could not be normalised). */
  invalidRecord: 'invalid_record',
  /** seam was asked to call an operation it must not call (a write, or one it does not know). */
  refused: 'refused',
} as const;
export type LegacyErrorKind = (typeof LEGACY_ERROR)[keyof typeof LEGACY_ERROR];

export interface LegacyErrorInit {
  kind: LegacyErrorKind;
  system: string;
  operation: string;
  message: string;
  faultKind?: FaultKind;
  legacyCode?: string;
  /** Seconds a caller should wait before trying again (503s). */
  retryAfterSeconds?: number;
}

export class LegacyError extends Error {
  readonly kind: LegacyErrorKind;
  readonly system: string;
  readonly operation: string;
  readonly faultKind?: FaultKind;
  readonly legacyCode?: string;
  readonly retryAfterSeconds?: number;
  constructor(init: LegacyErrorInit) {
    super(scrubCredentials(init.message));
    this.name = 'LegacyError';
    this.kind = init.kind;
    this.system = init.system;
    this.operation = init.operation;
    this.faultKind = init.faultKind;
    this.legacyCode = init.legacyCode;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** Worth trying again after a short pause: the box said it is busy, or the connection failed. */
  get transient(): boolean {
    return this.kind === LEGACY_ERROR.unavailable || (this.kind === 'fault' && this.faultKind === 'busy');
  }

  /** Says something about the box's health (counts toward opening the breaker). */
  get isBoxFailure(): boolean {
    if (this.kind === 'fault') return this.faultKind === 'busy' || this.faultKind === 'internal';
    return (
      this.kind === LEGACY_ERROR.timeout ||
      this.kind === LEGACY_ERROR.unavailable ||
      this.kind === LEGACY_ERROR.badResponse ||
      this.kind === LEGACY_ERROR.tooLarge
    );
  }
}

export function isLegacyError(err: unknown): err is LegacyError {
  return err instanceof LegacyError;
}

const retry = (s: number | undefined, fallback: number) => ({
  'Retry-After': String(Math.max(1, Math.ceil(s ?? fallback))),
});

/** The HTTP answer for a LegacyError. Registered as a ProblemMapper by the legacy module. */
export function legacyProblem(err: unknown): Problem | undefined {
  if (!(err instanceof LegacyError)) return undefined;
  const base = { system: err.system, operation: err.operation };
  switch (err.kind) {
    case 'fault': {
      const extra = { ...base, legacy_code: err.legacyCode ?? null };
      switch (err.faultKind) {
        case 'not_found':
          return new Problem({
            status: 404,
            code: 'not_found',
            title: 'Not found',
            detail: err.message,
            extra,
          });
        case 'bad_request':
          return new Problem({
            status: 400,
            code: 'legacy_rejected_arguments',
            title: 'The legacy system rejected the arguments',
            detail: err.message,
            extra,
          });
        case 'busy':
          return new Problem({
            status: 503,
            code: 'legacy_busy',
            title: 'The legacy system is busy',
            detail: err.message,
            extra,
            headers: retry(err.retryAfterSeconds, 5),
          });
        case 'auth':
          return new Problem({
            status: 502,
            code: 'legacy_auth_failed',
            title: 'The legacy system refused seam’s credentials',
            detail: 'An operator must check the legacy credentials seam is configured with.',
            extra,
          });
        default:
          return new Problem({
            status: 502,
            code: 'legacy_fault',
            title: 'The legacy system reported an error',
            detail: err.message,
            extra,
          });
      }
    }
    case 'timeout':
      return new Problem({
        status: 504,
        code: 'legacy_timeout',
        title: 'The legacy system did not answer in time',
        detail: err.message,
        extra: base,
      });
    case 'unavailable':
      return new Problem({
        status: 503,
        code: 'legacy_unavailable',
        title: 'The legacy system is unreachable',
        detail: err.message,
        extra: base,
        headers: retry(err.retryAfterSeconds, 5),
      });
    case 'circuit_open':
      return new Problem({
        status: 503,
        code: 'legacy_circuit_open',
        title: 'Calls to the legacy system are paused after repeated failures',
        detail: err.message,
        extra: base,
        headers: retry(err.retryAfterSeconds, 10),
      });
    case 'overloaded':
      return new Problem({
        status: 503,
        code: 'legacy_overloaded',
        title: 'Too many calls are waiting for the legacy system',
        detail: err.message,
        extra: base,
        headers: retry(err.retryAfterSeconds, 1),
      });
    case 'maintenance':
      return new Problem({
        status: 503,
        code: 'legacy_maintenance',
        title: 'The legacy system is in a maintenance window',
        detail: err.message,
        extra: base,
        headers: retry(err.retryAfterSeconds, 60),
      });
    case 'too_large':
      return new Problem({
        status: 502,
        code: 'legacy_response_too_large',
        title: 'The legacy system sent an answer larger than allowed',
        detail: err.message,
        extra: base,
      });
    case 'invalid_record':
      return new Problem({
        status: 502,
        code: 'legacy_invalid_record',
        title: 'The legacy system sent a record that does not validate',
        detail: err.message,
        extra: base,
      });
    case 'refused':
      return new Problem({
        status: 500,
        code: 'legacy_call_refused',
        title: 'seam refused to make this legacy call',
        detail: err.message,
        extra: base,
      });
    default:
      return new Problem({
        status: 502,
        code: 'legacy_bad_response',
        title: 'The legacy system sent an answer seam cannot read',
        detail: err.message,
        extra: base,
      });
  }
}
