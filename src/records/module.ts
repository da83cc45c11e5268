/**
 * The records area as the service loads it: the read facade routes over every loaded resource, and
 * the scheduled changed-since polls. Needs the `systems` service (the legacy module, loaded before).
 */
import type { AppContext, SeamModule } from '../context.ts';
import { service } from '../context.ts';
import { areaLogger } from '../log.ts';
import { RecordPoller } from './poll.ts';
import { recordRoutes } from './routes.ts';

declare module '../context.ts' {
  interface Services {
    /** Run a resource's poll now (`runOnce(system, resource)`), e.g. from a CLI command or a test. */
    recordPoller: RecordPoller;
  }
}

export function createRecordsModule(): SeamModule {
  let poller: RecordPoller | undefined;
  return {
    name: 'records',
    init(ctx: AppContext) {
      poller = new RecordPoller(ctx.store, service(ctx, 'systems'), areaLogger(ctx.log, 'records'));
      ctx.services.recordPoller = poller;
    },
    routes(api, ctx) {
      recordRoutes(api, ctx, service(ctx, 'systems'));
    },
    start(ctx) {
      if (ctx.config.legacy.poll) poller?.start({ catchUp: ctx.config.legacy.pollAtStart });
    },
    async stop() {
      await poller?.stop();
    },
  };
}
