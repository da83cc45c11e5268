/**
 * The JSON-over-HTTP transport (the `http` half of the adapter contract, src/adapter/http.ts): one
 * HTTP request per `call()`, with the per-call deadline and response size cap, and whatever goes
 * wrong turned into a LegacyError by named codes, exactly as the SOAP transport (./soap.ts) does,
 * so the guard (./guard.ts) treats both alike.
 */
import type { HttpErrorInfo, HttpSettings } from '../adapter/http.ts';
import type { FaultKind } from '../adapter/resource.ts';
import { LEGACY_ERROR, LegacyError } from './errors.ts';
import { createExchanger } from './exchange.ts';
import type { Transport } from './soap.ts';

export interface HttpTransportOptions {
  system: string;
  settings: HttpSettings;
  /** Base URL; operation paths are appended to it. */
  endpoint: string;
  credentials?: { username: string; password: string };
  timeoutMs: number;
  maxResponseBytes: number;
  /** Sockets kept open to the system; the bulkhead already bounds concurrency. */
  maxSockets: number;
}

/** How an error status is read when the answer names no known code. */
function kindOfStatus(status: number): FaultKind {
  if (status === 404) return 'not_found';
  if (status === 400 || status === 409 || status === 422) return 'bad_request';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || status === 503) return 'busy';
  return 'internal';
}

/** Fill `{name}` placeholders from args; what is left goes in the query (GET, DELETE) or the body. */
export function buildRequest(
  base: string,
  op: { method: string; path: string },
  args: Record<string, unknown>,
): { url: URL; body?: string } {
  const rest: Record<string, unknown> = { ...args };
  const path = op.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = rest[name];
    delete rest[name];
    if (v === undefined || v === null || v === '') throw new Error(`argument "${name}" is required`);
    return encodeURIComponent(String(v));
  });
  const url = new URL(base.replace(/\/+$/, '') + path);
  if (op.method === 'GET' || op.method === 'DELETE') {
    for (const [k, v] of Object.entries(rest))
      if (v !== undefined && v !== null)
        url.searchParams.set(k, v instanceof Date ? v.toISOString() : String(v));
    return { url };
  }
  return { url, body: JSON.stringify(rest) };
}

export function createHttpTransport(o: HttpTransportOptions): Transport & { close(): void } {
  const exchanger = createExchanger(o);
  const auth = o.settings.auth.kind;
  const authHeader =
    !o.credentials || auth === 'none'
      ? undefined
      : auth === 'basic'
        ? `Basic ${Buffer.from(`${o.credentials.username}:${o.credentials.password}`).toString('base64')}`
        : `Bearer ${o.credentials.password}`;

  const transport = async (operation: string, args: Record<string, unknown>): Promise<unknown> => {
    const base = { system: o.system, operation };
    const op = o.settings.operations[operation];
    if (!op)
      throw new LegacyError({
        ...base,
        kind: LEGACY_ERROR.refused,
        message: `${operation} is not a declared operation of ${o.system}`,
      });
    let req: { url: URL; body?: string };
    try {
      req = buildRequest(o.endpoint, op, args);
    } catch (err) {
      throw new LegacyError({
        ...base,
        kind: LEGACY_ERROR.refused,
        message: `${operation}: ${(err as Error).message}`,
      });
    }
    const { status, text } = await send(req, op.method, base);
    let json: unknown;
    let parsed = false;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
        parsed = true;
      } catch {
        // not JSON: judged below
      }
    }
    if (status >= 400) throw classifyHttpError({ status, ...(parsed ? { body: json } : {}) }, base, o);
    if (!parsed)
      throw new LegacyError({
        ...base,
        kind: LEGACY_ERROR.badResponse,
        message: `${operation}: the answer is not JSON (HTTP ${status})`,
      });
    return json;
  };

  function send(
    req: { url: URL; body?: string },
    method: string,
    caller: { system: string; operation: string },
  ): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (authHeader) headers.authorization = authHeader;
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    return exchanger.send(
      { url: req.url, method, headers, ...(req.body !== undefined ? { body: req.body } : {}) },
      caller,
    );
  }

  return Object.assign(transport, {
    close() {
      exchanger.close();
    },
  });
}

/** An error answer as a LegacyError: the system's own code when it names one, else by status. */
export function classifyHttpError(
  e: HttpErrorInfo,
  base: { system: string; operation: string },
  o: Pick<HttpTransportOptions, 'settings'>,
): LegacyError {
  const hasBody = e.body !== undefined && e.body !== null;
  // A 5xx without a JSON error body is a proxy or load balancer speaking, not the system.
  if (e.status >= 500 && e.status !== 503 && !hasBody)
    return new LegacyError({
      ...base,
      kind: LEGACY_ERROR.unavailable,
      message: `${base.operation}: HTTP ${e.status} without an error body`,
    });
  const legacyCode = hasBody ? o.settings.faults.legacyCode(e) : undefined;
  const known = legacyCode ? o.settings.faults.codes[legacyCode] : undefined;
  const kind = known?.kind ?? kindOfStatus(e.status);
  return new LegacyError({
    ...base,
    kind: LEGACY_ERROR.fault,
    faultKind: kind,
    ...(legacyCode ? { legacyCode } : {}),
    message: `${base.operation}: ${known?.title ?? `HTTP ${e.status}`}${legacyCode ? ` (${legacyCode})` : ''}`,
  });
}
