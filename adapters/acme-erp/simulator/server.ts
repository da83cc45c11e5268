/**
 * A stand-in for the ERP box: a real SOAP server (node-soap `soap.listen`) built from
 * wsdl/acme-erp.wsdl and seeded from fixtures/acme-erp/seed/, that behaves like an old box:
 *
 * - slow: every call takes `latencyMs` (settable at runtime);
 * - few worker slots: `workers` calls are served at once, up to `boxQueue` more wait, and beyond that
 *   the box answers Fault E0900 SYSTEM BUSY;
 * - Faults with legacy codes for unknown ids and bad arguments (see services.ts);
 * - failure modes settable at runtime: `down` (connections are reset), `hang` (calls are accepted
 *   and never answered, holding their worker), `malformed` (truncated XML), `busy` (every call gets
 *   E0900), and `failNext(n)` for the next n calls only;
 * - it counts calls per operation and the most calls it had in flight at once, and records every
 *   write-operation call, so tests and benchmarks can assert what the box saw.
 *
 * Control over HTTP too (for a simulator in another process): GET /__sim/stats,
 * POST /__sim/mode {"mode":"hang"}, POST /__sim/latency {"ms":50}, POST /__sim/reset.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import PQueue from 'p-queue';
import soap from 'soap';
import { LegacyData } from './data.ts';
import { buildServices, ERR, fault, type SoapFault, type WriteCall } from './services.ts';

export const WSDL_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../wsdl/acme-erp.wsdl',
);
export const SOAP_PATH = '/erp/ws';

export type FailureMode = 'normal' | 'down' | 'hang' | 'malformed' | 'busy';

export interface SimulatorConfig {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  latencyMs?: number;
  workers?: number;
  /** Calls that may wait for a worker before the box answers SYSTEM BUSY. */
  boxQueue?: number;
  /** When set, every call must carry this WS-Security UsernameToken. */
  credentials?: { username: string; password: string };
  seedDir?: string;
}

export interface SimulatorStats {
  /** Calls received per operation (including ones then failed by a failure mode). */
  calls: Record<string, number>;
  total: number;
  inFlight: number;
  /** The most calls the box had open at once (being served or waiting for a worker). */
  maxInFlight: number;
  /** The most worker slots busy at once. */
  maxBusy: number;
  /** Every write-operation call, in order. */
  writes: WriteCall[];
}

export interface ErpSimulator {
  url: string;
  data: LegacyData;
  setMode(mode: FailureMode): void;
  mode(): FailureMode;
  setLatency(ms: number): void;
  /** Answer the next `n` calls with Fault E0900 SYSTEM BUSY, then behave normally. */
  failNext(n: number): void;
  /** Hold every call (in its worker slot) until resume(): lets a test line calls up deterministically. */
  pause(): void;
  resume(): void;
  stats(): SimulatorStats;
  resetStats(): void;
  close(): Promise<void>;
}

const MALFORMED =
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
  '<soap:Body><GetAccountResponse xmlns="http://erp.acme.example/2009"><ACCOUNT><ACCT_NO>0044';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function operationOf(req: http.IncomingMessage): string {
  const action = String(req.headers.soapaction ?? '').replace(/"/g, '');
  return action.split('/').pop() || 'unknown';
}

function usernameToken(headers: unknown): { user: string; pass: string } | undefined {
  const tok = (headers as { Security?: { UsernameToken?: Record<string, unknown> } } | undefined)?.Security
    ?.UsernameToken;
  if (!tok) return undefined;
  const val = (v: unknown) =>
    typeof v === 'object' && v !== null && '$value' in v
      ? String((v as { $value: unknown }).$value)
      : String(v ?? '');
  return { user: val(tok.Username), pass: val(tok.Password) };
}

export async function startErpSimulator(cfg: SimulatorConfig = {}): Promise<ErpSimulator> {
  const data = new LegacyData(cfg.seedDir);
  let mode: FailureMode = 'normal';
  let latencyMs = cfg.latencyMs ?? 0;
  let failCount = 0;
  let paused: { promise: Promise<void>; release: () => void } | undefined;
  const workers = new PQueue({ concurrency: cfg.workers ?? 4 });
  const boxQueue = cfg.boxQueue ?? 64;
  const fresh = (): SimulatorStats => ({
    calls: {},
    total: 0,
    inFlight: 0,
    maxInFlight: 0,
    maxBusy: 0,
    writes: [],
  });
  let stats = fresh();
  const impl = buildServices(data, (w) => stats.writes.push(w));
  // Every operation checks credentials first, like the box's front end.
  const guarded: Record<string, (args: Record<string, unknown>, cb: unknown, headers: unknown) => unknown> =
    {};
  for (const [name, fn] of Object.entries(impl)) {
    guarded[name] = (args, _cb, headers) => {
      if (cfg.credentials) {
        const t = usernameToken(headers);
        if (!t || t.user !== cfg.credentials.username || t.pass !== cfg.credentials.password)
          throw fault(ERR.notAuthorised);
      }
      return (fn as (a: Record<string, unknown>) => unknown)(args ?? {});
    };
  }

  const server = http.createServer();
  server.keepAliveTimeout = 30_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const xml = fs.readFileSync(WSDL_PATH, 'utf8');
  await new Promise<void>((resolve, reject) => {
    soap.listen(server, {
      path: SOAP_PATH,
      services: { AcmeErpService: { AcmeErpSoap: guarded } },
      xml,
      uri: WSDL_PATH,
      suppressStack: true,
      callback: (err: unknown) => (err ? reject(err as Error) : resolve()),
    });
  });

  // node-soap installed its listener; put the box's front end (modes, workers, counting) before it.
  const soapListeners = server.listeners('request') as ((
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => void)[];
  server.removeAllListeners('request');
  const toSoap = (req: http.IncomingMessage, res: http.ServerResponse) => {
    for (const l of soapListeners) l.call(server, req, res);
  };

  const sendFault = (res: http.ServerResponse, f: SoapFault) => {
    const d = f.Fault.detail.ERROR_INFO;
    res.writeHead(500, { 'Content-Type': 'text/xml; charset=utf-8' });
    res.end(
      '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
        `<soap:Body><soap:Fault><faultcode>${f.Fault.faultcode}</faultcode><faultstring>${f.Fault.faultstring}</faultstring>` +
        `<detail><ERROR_INFO xmlns="http://erp.acme.example/2009"><ERR_CD>${d.ERR_CD}</ERR_CD><ERR_MSG>${d.ERR_MSG}</ERR_MSG></ERROR_INFO></detail>` +
        '</soap:Fault></soap:Body></soap:Envelope>',
    );
  };

  const control = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    for await (const c of req) body += String(c);
    const json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const url = req.url ?? '';
    if (url === '/__sim/stats') return res.end(JSON.stringify(api.stats()));
    if (url === '/__sim/reset') api.resetStats();
    else if (url === '/__sim/mode') api.setMode(json.mode as FailureMode);
    else if (url === '/__sim/latency') api.setLatency(Number(json.ms));
    else if (url === '/__sim/fail-next') api.failNext(Number(json.n));
    else {
      res.statusCode = 404;
      return res.end('{}');
    }
    res.end(JSON.stringify({ ok: true }));
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url?.startsWith('/__sim/')) {
      control(req, res).catch(() => {
        res.statusCode = 400;
        res.end('{}');
      });
      return;
    }
    if (req.method !== 'POST') return toSoap(req, res); // ?wsdl
    const op = operationOf(req);
    stats.calls[op] = (stats.calls[op] ?? 0) + 1;
    stats.total++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stats.inFlight--;
    };
    res.on('close', finish);

    if (mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (mode === 'busy' || failCount > 0) {
      if (failCount > 0) failCount--;
      req.resume();
      return sendFault(res, fault(ERR.busy, undefined, true));
    }
    if (workers.size >= boxQueue) {
      req.resume();
      return sendFault(res, fault(ERR.busy, undefined, true));
    }
    void workers.add(async () => {
      if (res.destroyed) return;
      stats.maxBusy = Math.max(stats.maxBusy, workers.pending);
      if (paused) await paused.promise;
      if (mode === 'hang') {
        // Holds the worker until the caller gives up, like a box stuck on a lock.
        await new Promise<void>((r) => res.once('close', () => r()));
        return;
      }
      if (latencyMs > 0) await sleep(latencyMs);
      if (mode === 'malformed') {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
        res.end(MALFORMED);
        return;
      }
      await new Promise<void>((r) => {
        res.once('close', () => r());
        toSoap(req, res);
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port ?? 0, cfg.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address}:${addr.port}${SOAP_PATH}`;

  const api: ErpSimulator = {
    url,
    data,
    setMode(m) {
      if (!['normal', 'down', 'hang', 'malformed', 'busy'].includes(m)) throw new Error(`unknown mode ${m}`);
      mode = m;
    },
    mode: () => mode,
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    failNext(n) {
      failCount = n;
    },
    pause() {
      if (paused) return;
      let release!: () => void;
      const promise = new Promise<void>((r) => (release = r));
      paused = { promise, release };
    },
    resume() {
      paused?.release();
      paused = undefined;
    },
    stats: () => structuredClone(stats),
    resetStats() {
      const inFlight = stats.inFlight;
      stats = fresh();
      stats.inFlight = inFlight;
    },
    async close() {
      mode = 'down';
      api.resume();
      workers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
  return api;
}
