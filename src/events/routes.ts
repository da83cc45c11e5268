/** HTTP for the event feed: pages with long-poll, the SSE stream, and webhook subscriptions. */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { Problem } from '../http/problem.ts';
import { reply, type Api } from '../http/route.ts';
import { areaLogger } from '../log.ts';
import type { EventsService } from './module.ts';
import { compileFilter, SubjectPrefix, TypesParam } from './filter.ts';
import { MAX_WAIT_MS } from './feed.ts';
import { EventsGone, logBounds, MAX_PAGE, type EventPage } from './read.ts';
import { serveStream } from './sse.ts';
import { CreateSubscription, Delivery, Subscription } from './webhooks/subscriptions.ts';

export const OLDEST_HEADER = 'Seam-Oldest-Position';
export const HEAD_HEADER = 'Seam-Head-Position';

const CloudEvent = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string(),
    source: z.string(),
    type: z.string().meta({ example: 'erp.account.updated' }),
    subject: z.string().optional().meta({ example: 'accounts/004471' }),
    time: z.string(),
    datacontenttype: z.literal('application/json'),
    data: z.record(z.string(), z.unknown()),
    position: z.number().int().meta({ description: 'Position in the log: gap-free, in commit order' }),
  })
  .meta({ id: 'CloudEvent' });

const EventPageSchema = z
  .object({
    events: z.array(CloudEvent),
    next: z.number().int().meta({ description: 'Pass as `after` to continue' }),
    head: z.number().int().meta({ description: 'Highest committed position' }),
    oldest: z.number().int().meta({ description: 'Oldest position still kept (older ones were archived)' }),
  })
  .meta({ id: 'EventPage' });

const position = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const FilterQuery = {
  types: TypesParam.optional().meta({
    description:
      'Type globs, comma-separated (`erp.account.*,seam.proposal.*`); `*` any run, `?` one character',
  }),
  subject: SubjectPrefix.optional().meta({
    description: 'Subject prefix, e.g. `accounts/` or `accounts/004471`',
  }),
};

export const ListQuery = z.object({
  after: position.optional().meta({
    description: 'Events after this position; absent starts at the oldest event kept',
  }),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
  wait: z.coerce
    .number()
    .min(0)
    .max(MAX_WAIT_MS / 1000)
    .default(0)
    .meta({ description: 'Long-poll: seconds to wait for a matching event when there is none yet (max 30)' }),
  ...FilterQuery,
});

const StreamQuery = z.object({
  after: position
    .optional()
    .meta({ description: 'Start after this position (Last-Event-ID wins when sent)' }),
  ...FilterQuery,
});

const IdParams = z.object({ id: z.uuid() });
const DeliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

export function gone(err: EventsGone): Problem {
  return new Problem({
    status: 410,
    code: 'events_gone',
    title: 'Events no longer kept',
    detail: `${err.message} Resume from after=${err.oldest - 1} (and reconcile what you missed from the records), or ask for an archive.`,
    extra: { oldest_position: err.oldest, head_position: err.head },
    headers: { [OLDEST_HEADER]: String(err.oldest), [HEAD_HEADER]: String(err.head) },
  });
}

function positionHeaders(page: Pick<EventPage, 'oldest' | 'head'>): Record<string, string> {
  return { [OLDEST_HEADER]: String(page.oldest), [HEAD_HEADER]: String(page.head) };
}

/** Aborted when the client goes away or the service stops. */
function requestSignal(req: Request, res: Response, svc: EventsService): AbortSignal {
  const ac = new AbortController();
  const abort = () => ac.abort();
  const shutdown = svc.watch(req);
  res.on('close', abort);
  shutdown.addEventListener('abort', abort, { once: true });
  res.on('close', () => shutdown.removeEventListener('abort', abort));
  return ac.signal;
}

export function eventRoutes(api: Api, ctx: AppContext, svc: EventsService): void {
  const log = areaLogger(ctx.log, 'events');

  api.add({
    method: 'get',
    path: '/v1/events',
    summary: 'Read the event log after a position (long-poll with wait=)',
    description:
      'Events in position order. Positions are gap-free and follow commit order, so a reader that keeps `next` and asks again never misses or repeats an event. With `wait`, the answer comes as soon as a matching event exists, or empty when the wait ends. A position older than the log keeps gets 410.',
    tags: ['events'],
    access: { scope: 'events:read' },
    query: ListQuery,
    responses: {
      200: {
        description: 'A page of events (headers Seam-Oldest-Position, Seam-Head-Position)',
        schema: EventPageSchema,
      },
      410: { description: '`after` is older than the oldest event kept (problem+json with oldest_position)' },
    },
    handler: async ({ query, principal, req, res }) => {
      const signal = requestSignal(req, res, svc);
      try {
        const page = await svc.feed.poll(
          {
            after: query.after,
            filter: { types: query.types, subject: query.subject },
            limit: query.limit,
            waitMs: query.wait * 1000,
          },
          principal,
          signal,
        );
        // Written directly: pages are large, and express's res.json would hash each one for an ETag
        // that no reader of a moving log can use.
        res.status(200);
        for (const [k, v] of Object.entries(positionHeaders(page))) res.setHeader(k, v);
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        // Encoded once into a Buffer: handing http a large string makes it measure and encode it
        // separately, which cost more than the JSON itself.
        const body = Buffer.from(JSON.stringify(page));
        res.setHeader('Content-Length', String(body.length));
        res.end(body);
      } catch (err) {
        if (err instanceof EventsGone) throw gone(err);
        throw err;
      }
    },
  });

  api.add({
    method: 'get',
    path: '/v1/events/stream',
    summary: 'The event log as Server-Sent Events (resume with Last-Event-ID)',
    description:
      'Each message is one CloudEvent; its SSE `id` is its position. Reconnect with `Last-Event-ID` to resume exactly after the last event received. Comment heartbeats keep the connection alive; a heartbeat may carry an `id` that moves past events the filters skipped.',
    tags: ['events'],
    access: { scope: 'events:read' },
    query: StreamQuery,
    responses: {
      200: {
        description: 'text/event-stream of CloudEvents',
        contentType: 'text/event-stream',
        schema: z.string(),
      },
      400: { description: 'Malformed Last-Event-ID' },
      410: { description: 'The resume position is older than the oldest event kept' },
    },
    handler: async ({ query, principal, req, res }) => {
      let after = query.after;
      const lastEventId = req.headers['last-event-id'];
      if (typeof lastEventId === 'string' && lastEventId.trim() !== '') {
        const parsed = position.safeParse(lastEventId.trim());
        if (!parsed.success)
          throw new Problem({
            status: 400,
            code: 'bad_last_event_id',
            title: 'Bad Last-Event-ID',
            detail: 'Last-Event-ID must be an event position (a non-negative integer).',
          });
        after = parsed.data;
      }
      if (after === undefined) after = (await logBounds(ctx.store)).oldest - 1;
      try {
        await serveStream({
          store: ctx.store,
          hub: svc.hub,
          filter: compileFilter({ types: query.types, subject: query.subject }),
          after,
          redact: (e) => svc.feed.redact(e, principal),
          heartbeatMs: ctx.config.events.heartbeatMs,
          res,
          log,
          signal: requestSignal(req, res, svc),
          headers: positionHeaders,
        });
      } catch (err) {
        if (err instanceof EventsGone) throw gone(err);
        throw err;
      }
    },
  });

  const webhookTags = ['webhooks'];

  api.add({
    method: 'post',
    path: '/v1/webhooks',
    summary: 'Register a webhook: matching events are POSTed to the URL, signed, at least once',
    description:
      'The URL must be http(s) on a host the operator allowed, and must not resolve to a private address unless allowed. The answer carries the signing secret (Standard Webhooks `whsec_...`) once. Deliveries are redacted with this key’s scopes.',
    tags: webhookTags,
    access: { scope: 'events:subscribe' },
    body: CreateSubscription,
    responses: {
      201: { description: 'Registered', schema: Subscription.extend({ secret: z.string() }) },
      410: { description: '`after` is older than the oldest event kept' },
      422: { description: 'The URL is not allowed (problem+json names the rule)' },
    },
    handler: async ({ body, principal }) => {
      try {
        const created = await svc.webhooks.create(principal, body);
        return reply({ status: 201, headers: { Location: `/v1/webhooks/${created.id}` }, body: created });
      } catch (err) {
        if (err instanceof EventsGone) throw gone(err);
        throw err;
      }
    },
  });

  api.add({
    method: 'get',
    path: '/v1/webhooks',
    summary: 'Webhooks registered with this key, with their delivery state',
    tags: webhookTags,
    access: { scope: 'events:subscribe' },
    responses: {
      200: { description: 'Subscriptions', schema: z.object({ webhooks: z.array(Subscription) }) },
    },
    handler: async ({ principal }) => ({ webhooks: await svc.webhooks.list(principal) }),
  });

  api.add({
    method: 'get',
    path: '/v1/webhooks/:id',
    summary: 'One webhook and its delivery state (cursor, failures, next attempt, parked)',
    tags: webhookTags,
    access: { scope: 'events:subscribe' },
    params: IdParams,
    responses: {
      200: { description: 'The subscription', schema: Subscription },
      404: { description: 'Not yours' },
    },
    handler: ({ params, principal }) => svc.webhooks.get(principal, params.id),
  });

  api.add({
    method: 'get',
    path: '/v1/webhooks/:id/deliveries',
    summary: 'Recent delivery attempts of one webhook, newest first',
    tags: webhookTags,
    access: { scope: 'events:subscribe' },
    params: IdParams,
    query: DeliveriesQuery,
    responses: {
      200: { description: 'Attempts', schema: z.object({ deliveries: z.array(Delivery) }) },
      404: { description: 'Not yours' },
    },
    handler: async ({ params, query, principal }) => ({
      deliveries: await svc.webhooks.deliveries(principal, params.id, query.limit),
    }),
  });

  api.add({
    method: 'post',
    path: '/v1/webhooks/:id/resume',
    summary: 'Resume a parked webhook: delivery restarts at the event that failed',
    tags: webhookTags,
    access: { scope: 'events:subscribe' },
    params: IdParams,
    responses: {
      200: { description: 'Active again', schema: Subscription },
      404: { description: 'Not yours' },
    },
    handler: ({ params, principal }) => svc.webhooks.resume(principal, params.id),
  });

  api.add({
    method: 'delete',
    path: '/v1/webhooks/:id',
    summary: 'Remove a webhook',
    tags: webhookTags,
    access: { scope: 'events:subscribe' },
    params: IdParams,
    responses: { 204: { description: 'Removed' }, 404: { description: 'Not yours' } },
    handler: async ({ params, principal }) => {
      await svc.webhooks.remove(principal, params.id);
    },
  });
}
