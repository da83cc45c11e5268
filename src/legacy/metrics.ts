/** Prometheus metrics of legacy calls, on the service's registry (one set per process). */
import client from 'prom-client';

export interface LegacyMetrics {
  /** Calls that reached the legacy box (each attempt), by outcome. */
  calls: client.Counter<'system' | 'operation' | 'outcome'>;
  duration: client.Histogram<'system' | 'operation' | 'outcome'>;
  /** Reads asked of the guard and how each was served: call, cache, coalesced, or rejected. */
  requests: client.Counter<'system' | 'operation' | 'served'>;
  retries: client.Counter<'system' | 'operation' | 'decision'>;
  /** Records a legacy answer held that failed the resource schema (never served). */
  invalidRecords: client.Counter<'system' | 'resource'>;
  breakerState: client.Gauge<'system'>;
  queueDepth: client.Gauge<'system'>;
  inFlight: client.Gauge<'system'>;
  maintenance: client.Gauge<'system'>;
}

export const BREAKER_STATE = { closed: 0, half_open: 1, open: 2 } as const;

/** The state of one system's guard at scrape time. */
export interface GuardSample {
  system: string;
  breaker: keyof typeof BREAKER_STATE;
  queued: number;
  inFlight: number;
  maintenance: boolean;
}

/** Gauges are read at scrape time from `sample` (the guards of every loaded system). */
export function createLegacyMetrics(registry: client.Registry, sample: () => GuardSample[]): LegacyMetrics {
  const registers = [registry];
  const gauge = (name: string, help: string, value: (s: GuardSample) => number) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['system'] as const,
      registers,
      collect() {
        for (const s of sample()) this.set({ system: s.system }, value(s));
      },
    });
  return {
    calls: new client.Counter({
      name: 'seam_legacy_calls_total',
      help: 'Calls made to a legacy system (each attempt), by operation and outcome',
      labelNames: ['system', 'operation', 'outcome'] as const,
      registers,
    }),
    duration: new client.Histogram({
      name: 'seam_legacy_call_duration_seconds',
      help: 'Latency of calls to a legacy system, by operation and outcome',
      labelNames: ['system', 'operation', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    requests: new client.Counter({
      name: 'seam_legacy_requests_total',
      help: 'Legacy reads asked for, by how they were served (call, cache, coalesced, rejected)',
      labelNames: ['system', 'operation', 'served'] as const,
      registers,
    }),
    retries: new client.Counter({
      name: 'seam_legacy_retries_total',
      help: 'Retry decisions for failed legacy reads (retried, budget_exhausted)',
      labelNames: ['system', 'operation', 'decision'] as const,
      registers,
    }),
    invalidRecords: new client.Counter({
      name: 'seam_legacy_invalid_records_total',
      help: 'Records from a legacy answer that failed their schema and were not served',
      labelNames: ['system', 'resource'] as const,
      registers,
    }),
    breakerState: gauge(
      'seam_legacy_breaker_state',
      'Circuit breaker state per legacy system: 0 closed, 1 half-open, 2 open',
      (s) => BREAKER_STATE[s.breaker],
    ),
    queueDepth: gauge(
      'seam_legacy_queue_depth',
      'Legacy calls waiting for a slot (bulkhead queue)',
      (s) => s.queued,
    ),
    inFlight: gauge(
      'seam_legacy_in_flight',
      'Legacy calls in flight at the legacy system',
      (s) => s.inFlight,
    ),
    maintenance: gauge(
      'seam_legacy_maintenance',
      '1 while a legacy system is inside a maintenance window',
      (s) => (s.maintenance ? 1 : 0),
    ),
  };
}
