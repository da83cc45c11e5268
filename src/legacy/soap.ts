/**
 * The SOAP transport: one node-soap client per system, built from the adapter's local WSDL, that
 * makes exactly one HTTP call per `call()` with the per-call timeout and response size cap, and
 * turns whatever node-soap or axios throws into a LegacyError by named codes.
 *
 * The guard (./guard.ts) adds everything else (bulkhead, rate limit, breaker, coalescing, cache,
 * retries, maintenance windows).
 */
import http from 'node:http';
import https from 'node:https';
import soap from 'soap';
import type { FaultRules, LegacyFaultInfo, SoapSettings } from '../adapter/resource.ts';
import { LEGACY_ERROR, LegacyError } from './errors.ts';

/** One legacy call as the guard sees it: operation + args in, parsed result out. */
export type Transport = (operation: string, args: Record<string, unknown>) => Promise<unknown>;

export interface SoapTransportOptions {
  system: string;
  settings: SoapSettings;
  endpoint: string;
  credentials?: { username: string; password: string };
  timeoutMs: number;
  maxResponseBytes: number;
  /** Sockets kept open to the box; the bulkhead already bounds concurrency. */
  maxSockets: number;
}

/** Network error codes that mean "the box is not there right now" (Node and axios names). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);
/** axios: the per-request `timeout` fired. */
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);
/** axios: the body broke a response rule; with `maxContentLength` set that is the size cap. */
const AXIOS_BAD_RESPONSE = 'ERR_BAD_RESPONSE';

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && '$value' in v) return str((v as { $value: unknown }).$value);
  return typeof v === 'object' ? undefined : String(v);
}

/** The SOAP Fault inside a node-soap error, when the box sent one. */
export function faultOf(err: unknown): LegacyFaultInfo | undefined {
  const f = (err as { root?: { Envelope?: { Body?: { Fault?: Record<string, unknown> } } } } | null)?.root
    ?.Envelope?.Body?.Fault;
  if (!f) return undefined;
  return { faultcode: str(f.faultcode), faultstring: str(f.faultstring), detail: f.detail };
}

/** Map anything node-soap throws to a LegacyError. */
export function classifySoapError(
  err: unknown,
  ctx: { system: string; operation: string; faults: FaultRules; timeoutMs: number; maxResponseBytes: number },
): LegacyError {
  const base = { system: ctx.system, operation: ctx.operation };
  const fault = faultOf(err);
  if (fault) {
    const legacyCode = ctx.faults.legacyCode(fault);
    const known = legacyCode ? ctx.faults.codes[legacyCode] : undefined;
    return new LegacyError({
      ...base,
      kind: LEGACY_ERROR.fault,
      faultKind: known?.kind ?? 'internal',
      ...(legacyCode ? { legacyCode } : {}),
      message: `${ctx.operation}: ${known?.title ?? fault.faultstring ?? 'SOAP Fault'}${legacyCode ? ` (${legacyCode})` : ''}`,
    });
  }
  const e = err as {
    code?: unknown;
    Fault?: { faultstring?: unknown };
    response?: { status?: unknown };
  } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && TIMEOUT_CODES.has(code))
    return new LegacyError({
      ...base,
      kind: LEGACY_ERROR.timeout,
      message: `${ctx.operation}: no answer within ${ctx.timeoutMs} ms`,
    });
  if (code && UNAVAILABLE_CODES.has(code))
    return new LegacyError({ ...base, kind: LEGACY_ERROR.unavailable, message: `${ctx.operation}: ${code}` });
  if (code === AXIOS_BAD_RESPONSE)
    return new LegacyError({
      ...base,
      kind: LEGACY_ERROR.tooLarge,
      message: `${ctx.operation}: answer larger than ${ctx.maxResponseBytes} bytes`,
    });
  // node-soap throws a Fault-shaped object (not an Error) when the answer is not XML it can parse.
  if (e?.Fault)
    return new LegacyError({
      ...base,
      kind: LEGACY_ERROR.badResponse,
      message: `${ctx.operation}: the answer is not well-formed XML`,
    });
  const status = typeof e?.response?.status === 'number' ? e.response.status : undefined;
  if (status !== undefined && status >= 500)
    return new LegacyError({
      ...base,
      kind: LEGACY_ERROR.unavailable,
      message: `${ctx.operation}: HTTP ${status} without a SOAP Fault`,
    });
  return new LegacyError({
    ...base,
    kind: LEGACY_ERROR.badResponse,
    message: `${ctx.operation}: unreadable answer${status ? ` (HTTP ${status})` : ''}`,
  });
}

/**
 * Values node-soap would turn into lossy JavaScript types, kept as the legacy system's text: a float
 * cannot hold every xs:decimal (amounts), integers past 2^53 lose digits, and `new Date()` rejects
 * dates with a zone offset (`2024-03-01+01:00`). Adapters normalise the text (docs/adapters.md).
 */
const keepText = (text: string): string => text;
const integerText = (text: string): number | string => {
  const n = Number(text);
  return Number.isSafeInteger(n) && /^[+-]?\d+$/.test(text) ? n : text;
};
const EXACT_TEXT: Record<string, (text: string) => unknown> = {
  decimal: keepText,
  date: keepText,
  dateTime: keepText,
  integer: integerText,
  long: integerText,
};

type AsyncMethod = (args: unknown, options?: Record<string, unknown>) => Promise<[unknown, ...unknown[]]>;

export function createSoapTransport(o: SoapTransportOptions): Transport & { close(): void } {
  const agentOptions = { keepAlive: true, maxSockets: o.maxSockets, maxFreeSockets: o.maxSockets };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  let client: Promise<soap.Client> | undefined;
  const getClient = () =>
    (client ??= soap
      .createClientAsync(o.settings.wsdl, {
        endpoint: o.endpoint,
        disableCache: false,
        customDeserializer: EXACT_TEXT,
        ...(o.settings.soapVersion === '1.2' ? { forceSoap12Headers: true } : {}),
      })
      .then((c) => {
        const auth = o.settings.auth.kind;
        if (auth !== 'none' && o.credentials) {
          const { username, password } = o.credentials;
          c.setSecurity(
            auth === 'wsse'
              ? new soap.WSSecurity(username, password, { passwordType: 'PasswordText', hasTimeStamp: false })
              : new soap.BasicAuthSecurity(username, password),
          );
        }
        return c;
      })
      .catch((err: unknown) => {
        client = undefined;
        throw new Error(`cannot load the WSDL of ${o.system}`, { cause: err });
      }));

  const transport = async (operation: string, args: Record<string, unknown>) => {
    const c = await getClient();
    const method = (c as unknown as Record<string, AsyncMethod | undefined>)[`${operation}Async`];
    if (typeof method !== 'function')
      throw new LegacyError({
        system: o.system,
        operation,
        kind: LEGACY_ERROR.refused,
        message: `${operation} is not an operation of the WSDL`,
      });
    try {
      const [result] = await method.call(c, args, {
        timeout: o.timeoutMs,
        maxContentLength: o.maxResponseBytes,
        httpAgent,
        httpsAgent,
      });
      return result;
    } catch (err) {
      throw classifySoapError(err, {
        system: o.system,
        operation,
        faults: o.settings.faults,
        timeoutMs: o.timeoutMs,
        maxResponseBytes: o.maxResponseBytes,
      });
    }
  };
  return Object.assign(transport, {
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
}
