/**
 * One HTTP exchange with a legacy system, shared by both transports (SOAP ./soap.ts, JSON ./http.ts):
 * keep-alive sockets, one deadline for the whole exchange (connect, headers and body), a cap on the
 * answer's size counted after any content decoding (a small gzip cannot unpack into gigabytes), and
 * every failure as a LegacyError by named code.
 *
 * It is node's http client and nothing more on purpose: on a live read the client's own work is
 * part of every agent's latency, and a general-purpose client (axios, which node-soap uses by
 * default) spent about 0.4-0.7 ms of CPU per call building its config and wrappers. Redirects are
 * not followed (a legacy endpoint that redirects is misconfigured, and credentials must not follow
 * a redirect to another host); proxies are not used (legacy systems sit on the internal network).
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { LEGACY_ERROR, LegacyError } from './errors.ts';

export interface ExchangeRequest {
  url: string | URL;
  method: string;
  headers: Record<string, string | number>;
  body?: string | Buffer;
}

export interface ExchangeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body decoded as UTF-8. */
  text: string;
}

export interface ExchangeOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  /** Sockets kept open to the system; the guard's bulkhead already bounds concurrency. */
  maxSockets: number;
}

/** Who is calling, for the error messages. */
export interface ExchangeCaller {
  system: string;
  operation: string;
}

export interface Exchanger {
  send(req: ExchangeRequest, caller: ExchangeCaller): Promise<ExchangeResponse>;
  close(): void;
}

/** Network error codes that mean "the system is not there right now". */
export const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

export function networkError(err: NodeJS.ErrnoException, caller: ExchangeCaller): LegacyError {
  const code = err.code ?? '';
  return new LegacyError({
    ...caller,
    kind: UNAVAILABLE_CODES.has(code) || code === '' ? LEGACY_ERROR.unavailable : LEGACY_ERROR.badResponse,
    message: `${caller.operation}: ${code || 'connection failed'}`,
  });
}

/** A decoder for the answer's Content-Encoding, undefined for identity, null for one we cannot read. */
function decoderFor(
  encoding: string | undefined,
): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined | null {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === '' || e === 'identity') return undefined;
  if (e === 'gzip' || e === 'x-gzip') return zlib.createGunzip();
  if (e === 'deflate') return zlib.createInflate();
  if (e === 'br') return zlib.createBrotliDecompress();
  return null;
}

export function createExchanger(o: ExchangeOptions): Exchanger {
  const agentOptions = { keepAlive: true, maxSockets: o.maxSockets, maxFreeSockets: o.maxSockets };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);

  function send(req: ExchangeRequest, caller: ExchangeCaller): Promise<ExchangeResponse> {
    const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      let settled = false;
      let body: Readable | undefined;
      const fail = (err: LegacyError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        r.destroy();
        body?.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () =>
          fail(
            new LegacyError({
              ...caller,
              kind: LEGACY_ERROR.timeout,
              message: `${caller.operation}: no answer within ${o.timeoutMs} ms`,
            }),
          ),
        o.timeoutMs,
      );
      const tooLarge = () =>
        fail(
          new LegacyError({
            ...caller,
            kind: LEGACY_ERROR.tooLarge,
            message: `${caller.operation}: answer larger than ${o.maxResponseBytes} bytes`,
          }),
        );
      const r = (secure ? https : http).request(
        url,
        { method: req.method, headers: req.headers, agent: secure ? httpsAgent : httpAgent },
        (res) => {
          const decoder = decoderFor(res.headers['content-encoding']);
          if (decoder === null) {
            res.resume();
            return fail(
              new LegacyError({
                ...caller,
                kind: LEGACY_ERROR.badResponse,
                message: `${caller.operation}: answer in an unknown content encoding (${res.headers['content-encoding']})`,
              }),
            );
          }
          if (!decoder && Number(res.headers['content-length'] ?? 0) > o.maxResponseBytes) return tooLarge();
          body = decoder ? res.pipe(decoder) : res;
          const chunks: Buffer[] = [];
          let size = 0;
          body.on('data', (c: Buffer) => {
            size += c.length;
            if (size > o.maxResponseBytes) return tooLarge();
            chunks.push(c);
          });
          body.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'),
            });
          });
          res.on('error', (err: NodeJS.ErrnoException) => fail(networkError(err, caller)));
          decoder?.on('error', () =>
            fail(
              new LegacyError({
                ...caller,
                kind: LEGACY_ERROR.badResponse,
                message: `${caller.operation}: the answer's ${res.headers['content-encoding']} encoding is corrupt`,
              }),
            ),
          );
        },
      );
      r.on('error', (err: NodeJS.ErrnoException) => fail(networkError(err, caller)));
      r.end(req.body);
    });
  }

  return {
    send,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
