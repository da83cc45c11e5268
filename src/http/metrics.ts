/** Prometheus metrics (prom-client). One registry per service instance so tests stay isolated. */
import type { Request } from 'express';
import client from 'prom-client';
import type { Store } from '../store/types.ts';
import { routeTemplate } from './route.ts';

export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Counter<'method' | 'route' | 'status'>;
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(store: Store): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'seam_' });
  const httpRequests = new client.Counter({
    name: 'seam_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: 'seam_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new client.Gauge({
    name: 'seam_store_pool_connections',
    help: 'Store connections by state (total, idle, waiting clients)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = store.stats();
      this.set({ state: 'total' }, s.total);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
  return { registry, httpRequests, httpDuration };
}

/** Counts one finished request under its route template (never the raw path: ids would explode cardinality). */
export function observeRequest(m: Metrics, req: Request, status: number, seconds: number): void {
  const route = routeTemplate(req) ?? 'unmatched';
  const labels = { method: req.method, route, status: String(status) };
  m.httpDuration.observe(labels, seconds);
  m.httpRequests.inc(labels);
}
