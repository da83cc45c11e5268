/**
 * The audit area as the service loads it: the batched writer, `ctx.services.audit` (see service.ts
 * for its signature), the read routes, and the flush on stop so nothing answered is lost.
 */
import client from 'prom-client';
import type { AppContext, SeamModule } from '../context.ts';
import type { Api } from '../http/route.ts';
import { areaLogger } from '../log.ts';
import { Masker } from './prepare.ts';
import { auditRoutes } from './routes.ts';
import { auditService, type AuditService } from './service.ts';
import { AuditWriter } from './writer.ts';

declare module '../context.ts' {
  interface Services {
    audit: AuditService;
  }
}

const writers = new WeakMap<AppContext, AuditWriter>();

/** Create the audit service on ctx (idempotent: the access area calls it when audit is not listed). */
export function initAudit(ctx: AppContext): AuditService {
  if (ctx.services.audit) return ctx.services.audit;
  const entries = new client.Counter({
    name: 'seam_audit_entries_total',
    help: 'Audit entries written to the store',
    registers: [ctx.metrics.registry],
  });
  const writer = new AuditWriter(ctx.store, areaLogger(ctx.log, 'audit'), {
    flushMs: ctx.config.audit.flushMs,
    batchMax: ctx.config.audit.batchMax,
    stopTimeoutMs: ctx.config.http.shutdownTimeoutMs,
    onWritten: (n) => entries.inc(n),
  });
  new client.Gauge({
    name: 'seam_audit_pending',
    help: 'Audit entries waiting in memory to be written',
    registers: [ctx.metrics.registry],
    collect() {
      this.set(writer.pending);
    },
  });
  writers.set(ctx, writer);
  const svc = auditService(writer, new Masker());
  ctx.services.audit = svc;
  return svc;
}

const routed = new WeakSet<AppContext>();

/** Register the audit routes once per service, whichever module asks first. */
export function registerAuditRoutes(api: Api, ctx: AppContext): void {
  if (routed.has(ctx)) return;
  routed.add(ctx);
  auditRoutes(api, ctx);
}

export async function stopAudit(ctx: AppContext): Promise<void> {
  await writers.get(ctx)?.stop();
}

export const auditModule: SeamModule = {
  name: 'audit',
  init(ctx) {
    initAudit(ctx);
  },
  routes(api, ctx) {
    registerAuditRoutes(api, ctx);
  },
  stop(ctx) {
    return stopAudit(ctx);
  },
};
