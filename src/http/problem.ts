/**
 * RFC 9457 problem details: the one error shape over HTTP. Areas throw `Problem` (or errors the
 * handler below knows by class or code); the handler never leaks a stack trace or a credential.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../log.ts';
import { isUnavailable } from '../store/types.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://seam.dev/problems/';

export interface ProblemInit {
  status: number;
  /** Stable machine code; also the last segment of `type`. */
  code: string;
  title: string;
  detail?: string;
  /** Extension members (e.g. `legacy_code`, `errors`). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class Problem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(init: ProblemInit) {
    super(init.detail ?? init.title, { cause: init.cause });
    this.name = 'Problem';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.extra = init.extra ?? {};
    this.headers = init.headers ?? {};
  }

  toJSON(instance?: string): Record<string, unknown> {
    return {
      type: TYPE_BASE + this.code,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...this.extra,
    };
  }
}

export const problems = {
  notFound: (detail: string) => new Problem({ status: 404, code: 'not_found', title: 'Not found', detail }),
  badRequest: (detail: string, extra?: Record<string, unknown>) =>
    new Problem({ status: 400, code: 'bad_request', title: 'Bad request', detail, extra }),
  unavailable: (detail: string, retryAfterSeconds = 5) =>
    new Problem({
      status: 503,
      code: 'unavailable',
      title: 'Service unavailable',
      detail,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
};

export function sendProblem(res: Response, p: Problem, instance?: string): void {
  for (const [k, v] of Object.entries(p.headers)) res.setHeader(k, v);
  res
    .status(p.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(p.toJSON(instance)));
}

export function zodProblem(err: ZodError, where: 'params' | 'query' | 'body' | 'input'): Problem {
  return new Problem({
    status: 400,
    code: 'validation_failed',
    title: 'Request validation failed',
    detail: `Invalid ${where}: ${err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    extra: {
      errors: err.issues.map((i) => ({
        in: where,
        path: i.path.join('.'),
        message: i.message,
        code: i.code,
      })),
    },
  });
}

/** body-parser error types, by name (express.json() sets `type` on its errors). */
const BODY_ERRORS: Record<string, () => Problem> = {
  'entity.too.large': () =>
    new Problem({ status: 413, code: 'payload_too_large', title: 'Request body too large' }),
  'entity.parse.failed': () =>
    new Problem({
      status: 400,
      code: 'malformed_json',
      title: 'Malformed JSON',
      detail: 'The request body is not valid JSON.',
    }),
  'encoding.unsupported': () =>
    new Problem({ status: 415, code: 'unsupported_encoding', title: 'Unsupported content encoding' }),
  'charset.unsupported': () =>
    new Problem({ status: 415, code: 'unsupported_charset', title: 'Unsupported charset' }),
  'request.aborted': () => new Problem({ status: 400, code: 'request_aborted', title: 'Request aborted' }),
  'request.size.invalid': () =>
    new Problem({ status: 400, code: 'bad_request', title: 'Request size mismatch' }),
};

/** Extra mappers areas can register (e.g. legacy faults), tried before the generic 500. */
export type ProblemMapper = (err: unknown) => Problem | undefined;

export function toProblem(err: unknown, mappers: readonly ProblemMapper[] = []): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof ZodError) return zodProblem(err, 'input');
  const bodyType = (err as { type?: unknown } | null)?.type;
  if (typeof bodyType === 'string' && BODY_ERRORS[bodyType]) return BODY_ERRORS[bodyType]();
  if (isUnavailable(err)) return problems.unavailable('The store is unreachable; try again shortly.');
  for (const m of mappers) {
    const p = m(err);
    if (p) return p;
  }
  return new Problem({
    status: 500,
    code: 'internal',
    title: 'Internal error',
    detail: 'An unexpected error occurred; it has been logged.',
  });
}

export function problemHandler(log: Logger, mappers: readonly ProblemMapper[]): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const p = toProblem(err, mappers);
    if (p.status >= 500) log.error({ err, reqId: req.id, status: p.status }, 'request failed');
    else log.debug({ code: p.code, reqId: req.id }, 'request rejected');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, p, req.originalUrl.split('?')[0]);
  };
}
