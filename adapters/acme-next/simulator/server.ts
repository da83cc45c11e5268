/**
 * A stand-in for ACME Next: a real HTTP server speaking its JSON API (v2), seeded with the same data
 * as the ERP simulator (./data.ts), so seam can run against either and tests can compare them.
 *
 * Like the real service it has limited capacity (`workers` requests served at once, `queue` more
 * waiting, then 429 RATE_LIMITED), optional bearer-token auth, and error answers with codes. For
 * tests it can be made slow (`latencyMs`) or told to fail: `down` (connections reset), `hang`
 * (requests accepted, never answered), `busy` (503 UNAVAILABLE), `malformed` (truncated JSON), and
 * `failNext(n)`. It counts requests per route and records every write.
 *
 * Control over HTTP as well (a simulator in another process): GET /__sim/stats,
 * POST /__sim/mode {"mode":"hang"}, POST /__sim/latency {"ms":50}, POST /__sim/reset.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import PQueue from 'p-queue';
import type { ApiAccount, ApiError, ApiItem, ApiPage } from '../api.ts';
import { NextData } from './data.ts';

/** The API lives under this path; the adapter's operation paths (/v2/...) are relative to it. */
export const BASE_PATH = '/api';
const MAX_PAGE = 200;

export type NextFailureMode = 'normal' | 'down' | 'hang' | 'busy' | 'malformed';

export interface NextSimulatorConfig {
  host?: string;
  port?: number;
  latencyMs?: number;
  workers?: number;
  /** Requests that may wait for a worker before the service answers 429. */
  queue?: number;
  /** When set, every API request must carry `Authorization: Bearer <token>`. */
  token?: string;
  seedDir?: string;
}

export interface NextWrite {
  route: string;
  params: Record<string, string>;
  body: unknown;
  at: string;
}

export interface NextStats {
  /** Requests per route (`GET /v2/accounts/{id}`), including ones failed by a failure mode. */
  calls: Record<string, number>;
  total: number;
  writes: NextWrite[];
}

export interface NextSimulator {
  /** Base URL of the API (the adapter's endpoint). */
  url: string;
  data: NextData;
  setMode(mode: NextFailureMode): void;
  setLatency(ms: number): void;
  failNext(n: number): void;
  stats(): NextStats;
  resetStats(): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new HttpError(422, 'VALIDATION_FAILED', message);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Route {
  method: string;
  pattern: RegExp;
  label: string;
  write?: boolean;
  handle(params: string[], query: URLSearchParams, body: unknown): { status?: number; body: unknown };
}

function page<T>(
  rows: T[],
  keyOf: (r: T) => string,
  q: URLSearchParams,
  updatedAt: (r: T) => string,
): ApiPage<T> {
  const limit = Number(q.get('limit') ?? '50');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalid(`limit must be 1-${MAX_PAGE}`);
  const since = q.get('updatedSince');
  if (since !== null && Number.isNaN(Date.parse(since)))
    throw invalid('updatedSince must be an ISO 8601 instant');
  const token = q.get('pageToken');
  let after: string | undefined;
  if (token !== null) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (!after) throw invalid('pageToken is not valid');
  }
  const matching = rows
    .filter((r) => since === null || Date.parse(updatedAt(r)) >= Date.parse(since))
    .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1))
    .filter((r) => after === undefined || keyOf(r) > after);
  const data = matching.slice(0, limit);
  const more = matching.length > limit;
  return { data, nextPageToken: more ? Buffer.from(keyOf(data.at(-1)!)).toString('base64url') : null };
}

function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`${what} must be an integer`);
  return v;
}

function buildRoutes(data: NextData): Route[] {
  const account = (id: string): ApiAccount => {
    if (!/^\d{6}$/.test(id)) throw invalid('account id must be 6 digits');
    const a = data.accounts.get(id);
    if (!a) throw new HttpError(404, 'ACCOUNT_NOT_FOUND', `account ${id} not found`);
    return a;
  };
  const item = (sku: string): ApiItem => {
    if (!/^[A-Za-z0-9-]{1,12}$/.test(sku)) throw invalid('sku must be 1-12 letters, digits or dashes');
    const i = data.items.get(sku.toUpperCase());
    if (!i) throw new HttpError(404, 'ITEM_NOT_FOUND', `item ${sku} not found`);
    return i;
  };
  let changeNo = 0;
  let creditNo = 7000;
  let adjustmentNo = 0;
  const changeId = () => `chg_${String(++changeNo).padStart(6, '0')}`;
  const obj = (b: unknown) => (typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : {});

  return [
    {
      method: 'GET',
      pattern: /^\/v2\/accounts\/([^/]+)$/,
      label: 'GET /v2/accounts/{id}',
      handle: ([id]) => ({ body: account(id!) }),
    },
    {
      method: 'GET',
      pattern: /^\/v2\/accounts$/,
      label: 'GET /v2/accounts',
      handle: (_p, q) => ({
        body: page(
          [...data.accounts.values()],
          (a) => a.id,
          q,
          (a) => a.updatedAt,
        ),
      }),
    },
    {
      method: 'GET',
      pattern: /^\/v2\/items\/([^/]+)$/,
      label: 'GET /v2/items/{sku}',
      handle: ([sku]) => ({ body: item(sku!) }),
    },
    {
      method: 'GET',
      pattern: /^\/v2\/items$/,
      label: 'GET /v2/items',
      handle: (_p, q) => ({
        body: page(
          [...data.items.values()],
          (i) => i.sku,
          q,
          (i) => i.updatedAt,
        ),
      }),
    },
    {
      method: 'GET',
      pattern: /^\/v2\/orders\/([^/]+)$/,
      label: 'GET /v2/orders/{id}',
      handle: ([id]) => {
        if (!/^\d{1,8}$/.test(id!)) throw invalid('order id must be numeric');
        const o = data.orders.get(id!.replace(/^0+(?=\d)/, ''));
        if (!o) throw new HttpError(404, 'ORDER_NOT_FOUND', `order ${id} not found`);
        return { body: o };
      },
    },
    {
      method: 'PUT',
      pattern: /^\/v2\/accounts\/([^/]+)\/credit-limit$/,
      label: 'PUT /v2/accounts/{id}/credit-limit',
      write: true,
      handle: ([id], _q, body) => {
        const a = account(id!);
        const b = obj(body);
        const amountCents = int(b.amountCents, 'amountCents');
        if (amountCents < 0) throw invalid('amountCents must not be negative');
        if (b.currency !== a.creditLimit.currency)
          throw invalid(`the account is kept in ${a.creditLimit.currency}`);
        data.updateAccount(a.id, { creditLimit: { amountCents } });
        return { body: { changeId: changeId(), account: a } };
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/v2\/accounts\/([^/]+)$/,
      label: 'PATCH /v2/accounts/{id}',
      write: true,
      handle: ([id], _q, body) => {
        const a = account(id!);
        const status = obj(body).status;
        if (status !== 'active' && status !== 'on_hold' && status !== 'closed')
          throw invalid('status must be active, on_hold or closed');
        data.updateAccount(a.id, { status });
        return { body: { changeId: changeId(), account: a } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/v2\/accounts\/([^/]+)\/credit-notes$/,
      label: 'POST /v2/accounts/{id}/credit-notes',
      write: true,
      handle: ([id], _q, body) => {
        const a = account(id!);
        const b = obj(body);
        const amountCents = int(b.amountCents, 'amountCents');
        if (amountCents <= 0) throw invalid('amountCents must be more than 0');
        if (b.currency !== a.balance.currency) throw invalid(`the account is kept in ${a.balance.currency}`);
        data.updateAccount(a.id, { balance: { amountCents: a.balance.amountCents - amountCents } });
        return {
          status: 201,
          body: { id: `CN-${String(++creditNo).padStart(6, '0')}`, accountId: a.id, amountCents },
        };
      },
    },
    {
      method: 'POST',
      pattern: /^\/v2\/items\/([^/]+)\/stock-adjustments$/,
      label: 'POST /v2/items/{sku}/stock-adjustments',
      write: true,
      handle: ([sku], _q, body) => {
        const i = item(sku!);
        const b = obj(body);
        const quantity = int(b.quantity, 'quantity');
        if (quantity === 0) throw invalid('quantity must not be 0');
        const reasons = ['cycle_count', 'damaged', 'customer_return', 'write_off', 'found', 'reversal'];
        if (!reasons.includes(String(b.reason))) throw invalid(`reason must be one of ${reasons.join(', ')}`);
        data.updateItem(i.sku, { stock: { onHand: i.stock.onHand + quantity } });
        return {
          status: 201,
          body: { id: `ADJ-${String(++adjustmentNo).padStart(6, '0')}`, sku: i.sku, quantity },
        };
      },
    },
  ];
}

export async function startNextSimulator(cfg: NextSimulatorConfig = {}): Promise<NextSimulator> {
  const data = new NextData(cfg.seedDir);
  const routes = buildRoutes(data);
  let mode: NextFailureMode = 'normal';
  let latencyMs = cfg.latencyMs ?? 0;
  let failCount = 0;
  const workers = new PQueue({ concurrency: cfg.workers ?? 16 });
  const queueMax = cfg.queue ?? 256;
  const fresh = (): NextStats => ({ calls: {}, total: 0, writes: [] });
  let stats = fresh();

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendError = (res: http.ServerResponse, status: number, code: string, message: string) =>
    send(res, status, { error: { code, message } } satisfies ApiError);

  const api = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    query: URLSearchParams,
  ) => {
    const route = routes.find((r) => r.method === req.method && r.pattern.test(path));
    const label = route?.label ?? `${req.method} ${path}`;
    stats.calls[label] = (stats.calls[label] ?? 0) + 1;
    stats.total++;
    let raw = '';
    for await (const c of req) raw += String(c);
    if (mode === 'down') return void req.socket.destroy();
    if (mode === 'busy' || failCount > 0) {
      if (failCount > 0) failCount--;
      return sendError(res, 503, 'UNAVAILABLE', 'service temporarily unavailable');
    }
    if (cfg.token && req.headers.authorization !== `Bearer ${cfg.token}`)
      return sendError(res, 401, 'UNAUTHENTICATED', 'bearer token missing or not valid');
    if (workers.size >= queueMax) return sendError(res, 429, 'RATE_LIMITED', 'too many requests');
    await workers.add(async () => {
      if (mode === 'hang') return new Promise<void>((r) => res.once('close', () => r()));
      if (latencyMs > 0) await sleep(latencyMs);
      if (res.destroyed) return;
      if (mode === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"id":"0044');
      }
      if (!route) return sendError(res, 404, 'ROUTE_NOT_FOUND', `no route ${req.method} ${path}`);
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return sendError(res, 400, 'VALIDATION_FAILED', 'the body is not JSON');
      }
      try {
        const params = route.pattern
          .exec(path)!
          .slice(1)
          .map((p) => decodeURIComponent(p));
        if (route.write)
          stats.writes.push({
            route: route.label,
            params: Object.fromEntries(params.map((p, i) => [String(i), p])),
            body,
            at: new Date().toISOString(),
          });
        const out = route.handle(params, query, body);
        send(res, out.status ?? 200, out.body);
      } catch (err) {
        if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message);
        sendError(res, 500, 'INTERNAL', 'internal error');
      }
    });
  };

  const control = async (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    let raw = '';
    for await (const c of req) raw += String(c);
    const json = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    if (path === '/__sim/stats') return send(res, 200, sim.stats());
    if (path === '/__sim/reset') sim.resetStats();
    else if (path === '/__sim/mode') sim.setMode(json.mode as NextFailureMode);
    else if (path === '/__sim/latency') sim.setLatency(Number(json.ms));
    else if (path === '/__sim/fail-next') sim.failNext(Number(json.n));
    else return send(res, 404, {});
    send(res, 200, { ok: true });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const done = (p: Promise<void>) =>
      p.catch(() => {
        if (!res.headersSent) sendError(res, 400, 'VALIDATION_FAILED', 'bad request');
      });
    if (url.pathname.startsWith('/__sim/')) return void done(control(req, res, url.pathname));
    if (!url.pathname.startsWith(`${BASE_PATH}/`)) return sendError(res, 404, 'ROUTE_NOT_FOUND', 'not found');
    void done(api(req, res, url.pathname.slice(BASE_PATH.length), url.searchParams));
  });
  server.keepAliveTimeout = 30_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port ?? 0, cfg.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;

  const sim: NextSimulator = {
    url: `http://${addr.address}:${addr.port}${BASE_PATH}`,
    data,
    setMode(m) {
      if (!['normal', 'down', 'hang', 'busy', 'malformed'].includes(m)) throw new Error(`unknown mode ${m}`);
      mode = m;
    },
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    failNext(n) {
      failCount = n;
    },
    stats: () => structuredClone(stats),
    resetStats() {
      stats = fresh();
    },
    async close() {
      mode = 'down';
      workers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
  return sim;
}
