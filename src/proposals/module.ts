/**
 * The proposals area as the service loads it: the policy (read once, a bad file stops start-up),
 * the proposal types of every loaded adapter, the `proposals` service, its routes, the mode shown
 * on GET /v1/systems, and the background work. Needs the `systems` service (legacy module) for
 * live reads; records the audit trail through `audit.recordIn` inside each transition's transaction.
 */
import fs from 'node:fs';
import { z } from 'zod';
import type { Systems } from '../adapter/registry.ts';
import type { AppContext, SeamModule } from '../context.ts';
import { LEGACY_ERROR, LegacyError } from '../legacy/errors.ts';
import { createTransport, linkOf, operationKind } from '../legacy/transport.ts';
import { areaLogger } from '../log.ts';
import { canonicalJson, getRecord } from '../records/repo.ts';
import { syncRecords } from '../records/sync.ts';
import { buildCatalog } from './catalog.ts';
import { WriteNotSent, type LegacyWriter, type LiveReader, type ProposalDeps } from './deps.ts';
import { createJournal, noAudit, type AuditSink } from './journal.ts';
import { dayOf, PROPOSAL_PERIOD_DAYS, type ModeState } from './mode.ts';
import { loadPolicy } from './policy.ts';
import { proposalRoutes } from './routes.ts';
import { ProposalRunner } from './runner.ts';
import { createProposalService, type ProposalService } from './service.ts';

declare module '../context.ts' {
  interface Services {
    proposals: ProposalService;
  }
}

/** Live reads of proposal targets through the guarded legacy client; what is learned is stored. */
export function liveReader(store: AppContext['store'], systems: Systems): LiveReader {
  return {
    async read(system, resource, key) {
      const h = systems.resource(resource);
      if (!h || h.system !== system) throw new Error(`no resource ${resource} in ${system}`);
      let live;
      try {
        live = await h.fetchOne(key);
      } catch (err) {
        if (err instanceof LegacyError && err.kind === LEGACY_ERROR.fault && err.faultKind === 'not_found')
          return undefined;
        throw err;
      }
      if (!live) return undefined;
      const stored = await getRecord(store, system, resource, live.key);
      if (!stored || canonicalJson(stored.data) !== canonicalJson(live.data))
        await syncRecords(store, { system, resource, entity: h.def.entity }, [live]);
      return live.data;
    },
  };
}

const WriteCredentials = z.object({ username: z.string().min(1), password: z.string().min(1) });

/**
 * gated-write only: one write call with the write user's credentials, read from their file at that
 * moment and dropped after. Without SEAM_WRITE_CREDENTIALS_FILE there is no writer at all.
 */
export function gatedWriter(file: string | undefined, systems: Systems): LegacyWriter | undefined {
  if (!file) return undefined;
  return {
    available(system) {
      const health = systems.system(system)?.health();
      return Boolean(health && !health.maintenance.active && health.breaker !== 'open');
    },
    async write(system, operation, args) {
      const h = systems.system(system);
      const link = h ? linkOf(h.adapter) : undefined;
      if (!h || !link || !h.endpoint.url) throw new WriteNotSent(`${system} has no endpoint to write to`);
      if (operationKind(h.adapter, operation) !== 'write')
        throw new WriteNotSent(`${operation} is not a write operation of ${system}`);
      let credentials: z.infer<typeof WriteCredentials>;
      try {
        credentials = WriteCredentials.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
      } catch (err) {
        // Never the file's content in the message: only that it could not be used.
        throw new WriteNotSent(
          'the write credentials file cannot be read or is not {"username","password"}',
          {
            cause: (err as NodeJS.ErrnoException).code,
          },
        );
      }
      // SOAP or JSON over HTTP, as the adapter declares (src/legacy/transport.ts).
      const { transport } = createTransport(h.adapter, {
        endpoint: h.endpoint.url,
        credentials,
        limits: { ...link.limits, maxConcurrency: 1 },
      });
      try {
        // In one of the box's slots, like every read: a write never adds to the declared concurrency.
        return await h.inSlot(operation, () => transport(operation, args));
      } finally {
        transport.close();
      }
    },
  };
}

export function createProposalsModule(): SeamModule {
  let runner: ProposalRunner | undefined;
  let cached: ModeState | undefined;
  let refresh: () => Promise<void> = async () => undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'proposals',
    init(ctx: AppContext) {
      const log = areaLogger(ctx.log, 'proposals');
      const cfg = ctx.config.proposals;
      const policy = loadPolicy(cfg.policyFile);
      log.info({ policy: policy.source, hash: policy.hash }, 'proposal policy loaded');
      const systems = ctx.services.systems;
      const catalog = buildCatalog(systems?.list().map((s) => s.adapter) ?? []);
      const audit: AuditSink = ctx.services.audit
        ? { record: async (tx, e) => void (await ctx.services.audit!.recordIn(tx, e)) }
        : noAudit;
      const deps: ProposalDeps = {
        store: ctx.store,
        log,
        policy,
        catalog,
        journal: createJournal(audit),
        ...(systems ? { live: liveReader(ctx.store, systems) } : {}),
        ...(systems ? { writer: () => gatedWriter(cfg.writeCredentialsFile, systems) } : {}),
        ...(cfg.goLive ? { goLive: cfg.goLive } : {}),
        now: () => new Date(),
      };
      const svc = createProposalService(deps, audit);
      ctx.services.proposals = svc;
      refresh = () =>
        svc.mode().then(
          (m) => void (cached = m),
          (err: unknown) => log.warn({ err }, 'could not read the mode'),
        );
      svc.onKick(() => void refresh());
      // GET /v1/systems shows the mode and the clock (day N recomputed per request).
      systems?.addInfo(() =>
        cached
          ? {
              mode: cached.mode,
              goLive: cached.goLive,
              day: dayOf(cached.goLive, new Date()),
              of: PROPOSAL_PERIOD_DAYS,
              gatedTypes: cached.gatedTypes.map((g) => g.type),
              proposalTypes: catalog.all().map((e) => e.def.id),
            }
          : {},
      );
      runner = cfg.jobs ? new ProposalRunner(deps, svc, log) : undefined;
      return refresh();
    },
    routes(api, ctx) {
      proposalRoutes(api, ctx, ctx.services.proposals!, ctx.services.proposals!.deps.catalog);
    },
    async start() {
      // Another process may switch the mode: the copy shown on GET /v1/systems follows within 30 s
      // (every decision reads the database itself).
      timer = setInterval(() => void refresh(), 30_000);
      timer.unref();
      await runner?.start();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await runner?.stop();
    },
  };
}
