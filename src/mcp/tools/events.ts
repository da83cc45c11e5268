/** The event log as an MCP tool: `read_events` is GET /v1/events (scope `events:read`). */
import type { AppContext } from '../../context.ts';
import type { EventsService } from '../../events/module.ts';
import { EventsGone } from '../../events/read.ts';
import { gone, ListQuery } from '../../events/routes.ts';
import { defineTool, READ_ONLY, type SeamTool } from '../tool.ts';

export function eventTools(ctx: AppContext, events: EventsService): SeamTool[] {
  return [
    defineTool({
      name: 'read_events',
      title: 'Read change events',
      description:
        'CloudEvents from seam’s change log after a position, in order. Keep `next` and pass it as `after` ' +
        'next time: positions have no gaps, so nothing is missed or repeated. Filter by `types` globs ' +
        '(e.g. "<system>.<entity>.*", "seam.proposal.*") and a `subject` prefix (e.g. "<resource>/<id>"). `wait` (seconds, up to 30) ' +
        'holds the call until a matching event exists. Records inside events are redacted like get_record. ' +
        `At most ${ctx.config.access.maxPageSize} per page. Needs events:read.`,
      annotations: { ...READ_ONLY, title: 'Read change events' },
      input: ListQuery,
      access: () => ({ scope: 'events:read' }),
      pageSize: (a) => a.limit,
      async run(a, call) {
        try {
          const page = await events.feed.poll(
            {
              after: a.after,
              filter: { types: a.types, subject: a.subject },
              limit: a.limit,
              waitMs: a.wait * 1000,
            },
            call.principal,
            call.signal,
          );
          return { ...page };
        } catch (err) {
          if (err instanceof EventsGone) throw gone(err);
          throw err;
        }
      },
    }),
  ];
}
