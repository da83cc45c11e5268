/**
 * The service context handed to every area: configuration, logger, store, metrics, and the
 * services areas publish for each other. An area adds its service by augmenting `Services`:
 *
 *   declare module '../context.ts' { interface Services { events: EventLog } }
 */
import type { Authorizer } from './access/types.ts';
import type { Config } from './config.ts';
import type { Metrics } from './http/metrics.ts';
import type { ProblemMapper } from './http/problem.ts';
import type { Api } from './http/route.ts';
import type { Logger } from './log.ts';
import type { Store } from './store/types.ts';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Services {}

export interface ReadinessCheck {
  name: string;
  /** Resolve when healthy; throw (with a short message) when not. */
  check: (timeoutMs: number) => Promise<void>;
  /** Non-critical checks are reported but do not turn /readyz red. */
  critical: boolean;
}

export interface AppContext {
  config: Config;
  log: Logger;
  store: Store;
  metrics: Metrics;
  readiness: ReadinessCheck[];
  problemMappers: ProblemMapper[];
  /** Replaced by the access area; until then only public routes are served. */
  authorize: Authorizer;
  services: Partial<Services>;
}

/**
 * One area of seam as the service sees it. Modules are initialised in the order of src/modules.ts,
 * after migrations; background work starts after HTTP listens and stops before the store closes.
 */
export interface SeamModule {
  name: string;
  init?(ctx: AppContext): Promise<void> | void;
  routes?(api: Api, ctx: AppContext): void;
  start?(ctx: AppContext): Promise<void> | void;
  stop?(ctx: AppContext): Promise<void> | void;
}

/** Fetch a service another area published, failing loudly when the area is not loaded. */
export function service<K extends keyof Services>(ctx: AppContext, name: K): Services[K] {
  const s = ctx.services[name];
  if (!s) throw new Error(`Service "${String(name)}" is not available; is its module loaded?`);
  return s as Services[K];
}
