/**
 * The SOAP transport: one node-soap client per system, built from the adapter's local WSDL, that
 * makes exactly one HTTP exchange per `call()` (./exchange.ts: per-call deadline, response size cap)
 * and turns whatever node-soap or the exchange throws into a LegacyError by named codes.
 *
 * The guard (./guard.ts) adds everything else (bulkhead, rate limit, breaker, coalescing, cache,
 * retries, maintenance windows).
 */
import soap from 'soap';
import type { FaultRules, LegacyFaultInfo, SoapSettings } from '../adapter/resource.ts';
import { LEGACY_ERROR, LegacyError } from './errors.ts';
import { createExchanger, type Exchanger } from './exchange.ts';

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
  ctx: { system: string; operation: string; faults: FaultRules },
): LegacyError {
  // Timeouts, size caps and network failures come from the exchange already classified.
  if (err instanceof LegacyError) return err;
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
    Fault?: { faultstring?: unknown };
    response?: { status?: unknown };
  } | null;
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

/** The call option that tells the HTTP client which operation it is sending (error messages). */
const OPERATION = 'seamOperation';

interface SoapHttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, unknown>;
  data: string;
  config: { headers: Record<string, unknown> };
}

/**
 * node-soap's HTTP client with the exchange (./exchange.ts) in place of axios: node-soap still builds
 * the request (SOAPAction, content type, security headers) and reads the answer; one exchange sends
 * it with the per-call deadline and size cap.
 */
class ExchangeHttpClient extends soap.HttpClient {
  constructor(
    private readonly exchanger: Exchanger,
    private readonly system: string,
  ) {
    super({});
  }

  override request(
    rurl: string,
    data: unknown,
    callback: (error: unknown, res?: unknown, body?: unknown) => unknown,
    exheaders?: Record<string, unknown>,
    exoptions?: Record<string, unknown>,
  ): never {
    const { [OPERATION]: named, ...rest } = exoptions ?? {};
    const operation = typeof named === 'string' ? named : 'WSDL';
    const built = this.buildRequest(rurl, data, exheaders, rest) as {
      url: string;
      method: string;
      headers: Record<string, string | number>;
      data?: string | Buffer;
    };
    const sent = this.exchanger
      .send(
        {
          url: built.url,
          method: built.method,
          headers: built.headers,
          ...(built.data !== undefined ? { body: built.data } : {}),
        },
        { system: this.system, operation },
      )
      .then((r) => {
        const bad = (message: string) =>
          new LegacyError({ system: this.system, operation, kind: LEGACY_ERROR.badResponse, message });
        if (r.status >= 300 && r.status < 400)
          throw bad(
            `${operation}: HTTP ${r.status} redirect${r.headers.location ? ` to ${r.headers.location}` : ''}, not followed`,
          );
        // node-soap reads an empty body as an answer with nothing in it.
        if (r.text.trim() === '') throw bad(`${operation}: HTTP ${r.status} with an empty body`);
        const res: SoapHttpResponse = {
          status: r.status,
          statusText: '',
          headers: r.headers,
          data: r.text,
          config: { headers: built.headers },
        };
        res.data = this.handleResponse(undefined as never, res as never, r.text) as string;
        return res;
      });
    sent.then(
      (res) => callback(null, res, res.data),
      (err: unknown) => callback(err),
    );
    // node-soap returns this promise from the call and never reads it; the callback carries the answer.
    return sent.catch(() => undefined) as never;
  }
}

type AsyncMethod = (args: unknown, options?: Record<string, unknown>) => Promise<[unknown, ...unknown[]]>;

export function createSoapTransport(o: SoapTransportOptions): Transport & { close(): void } {
  const exchanger = createExchanger(o);
  let client: Promise<soap.Client> | undefined;
  const getClient = () =>
    (client ??= soap
      .createClientAsync(o.settings.wsdl, {
        endpoint: o.endpoint,
        disableCache: false,
        customDeserializer: EXACT_TEXT,
        httpClient: new ExchangeHttpClient(exchanger, o.system),
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
      const [result] = await method.call(c, args, { [OPERATION]: operation });
      return result;
    } catch (err) {
      throw classifySoapError(err, {
        system: o.system,
        operation,
        faults: o.settings.faults,
      });
    }
  };
  return Object.assign(transport, {
    close() {
      exchanger.close();
    },
  });
}
