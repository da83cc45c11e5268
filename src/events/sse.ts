/**
 * The feed as Server-Sent Events. Each event is one SSE message whose `id` is its position, so a
 * client that reconnects sends `Last-Event-ID` and resumes exactly after the last event it got.
 *
 * How a stream never loses or repeats an event: it subscribes to the hub first, then reads the log
 * from its position until it has caught up with the head of that read. From then on the hub's
 * batches (unfiltered, in position order) continue it; anything at or below the stream's cursor is
 * dropped, and a batch that starts beyond cursor + 1 (a hole: the stream was slow, or the hub fell
 * behind) sends the stream back to the log to read the hole itself.
 */
import type { Response } from 'express';
import type { Logger } from '../log.ts';
import type { Store } from '../store/types.ts';
import type { CompiledFilter } from './filter.ts';
import type { EventHub } from './hub.ts';
import { MAX_PAGE, readEvents, type EventPage } from './read.ts';
import type { SeamEvent } from './types.ts';

/** Events a stream may hold unsent before it drops them and re-reads from the log (a slow client). */
const MAX_QUEUE = 10_000;
/** How long clients wait before reconnecting (the SSE `retry` field). */
const RETRY_MS = 2_000;

export interface StreamOptions {
  store: Store;
  hub: EventHub;
  filter: CompiledFilter;
  after: number;
  redact: (event: SeamEvent) => SeamEvent;
  heartbeatMs: number;
  res: Response;
  log: Logger;
  /** Aborted when the service shuts down: the stream ends and the client reconnects elsewhere. */
  signal: AbortSignal;
  /** Headers sent with the stream's 200 (oldest/head positions). */
  headers: (page: EventPage) => Record<string, string>;
}

export function frame(event: SeamEvent): string {
  return `id: ${event.position}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Serve one stream until the client goes away or the signal aborts. The first read happens before
 * any byte is written, so an EventsGone (410) still reaches the client as problem+json.
 */
export async function serveStream(o: StreamOptions): Promise<void> {
  const { res } = o;
  let queue: SeamEvent[] = [];
  let overflow = false;
  let closed = false;
  let wake: (() => void) | undefined;
  const kick = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const unsubscribe = o.hub.subscribe((batch) => {
    if (overflow) return;
    for (const e of batch) queue.push(e);
    if (queue.length > MAX_QUEUE) {
      queue = [];
      overflow = true;
    }
    kick();
  });
  const onClose = () => {
    closed = true;
    kick();
  };
  res.on('close', onClose);
  o.signal.addEventListener('abort', onClose, { once: true });
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    let cursor = o.after;
    let lastId = cursor;
    const first = await readEvents(o.store, { after: cursor, filter: o.filter, limit: MAX_PAGE });
    if (closed) return;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Reverse proxies (nginx) must not buffer the stream.
      'X-Accel-Buffering': 'no',
      ...o.headers(first),
    });
    res.write(`retry: ${RETRY_MS}\n\n`);

    const write = async (text: string) => {
      if (closed || text === '') return;
      if (!res.write(text)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    };
    const send = async (events: readonly SeamEvent[]) => {
      if (events.length === 0) return;
      let text = '';
      for (const e of events) text += frame(o.redact(e));
      lastId = events[events.length - 1]!.position;
      await write(text);
    };

    heartbeat = setInterval(() => {
      if (closed) return;
      // An id-only message moves the client's Last-Event-ID past events the filter skipped.
      const id = cursor > lastId ? `id: ${cursor}\n` : '';
      lastId = Math.max(lastId, cursor);
      res.write(`: heartbeat\n${id}\n`);
    }, o.heartbeatMs);
    heartbeat.unref();

    let page = first;
    const catchUp = async () => {
      for (;;) {
        await send(page.events);
        cursor = page.next;
        o.hub.advance(page.head);
        if (closed || page.next >= page.head) return;
        page = await readEvents(o.store, { after: cursor, filter: o.filter, limit: MAX_PAGE });
      }
    };
    await catchUp();

    while (!closed) {
      const batch = queue;
      queue = [];
      const out: SeamEvent[] = [];
      let hole = overflow;
      for (const e of batch) {
        if (e.position <= cursor) continue;
        if (e.position !== cursor + 1) {
          hole = true;
          break;
        }
        cursor = e.position;
        if (o.filter.matches(e)) out.push(e);
      }
      await send(out);
      if (hole) {
        overflow = false;
        page = await readEvents(o.store, { after: cursor, filter: o.filter, limit: MAX_PAGE });
        await catchUp();
        continue;
      }
      if (queue.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
    }
  } catch (err) {
    if (!res.headersSent) throw err;
    // Mid-stream failure (store away, or retention overtook a slow reader): end the stream; the
    // client reconnects with Last-Event-ID and gets either the rest or a clear 410.
    o.log.warn({ err }, 'event stream ended by an error');
  } finally {
    clearInterval(heartbeat);
    unsubscribe();
    res.off('close', onClose);
    o.signal.removeEventListener('abort', onClose);
    if (res.headersSent && !res.writableEnded) res.end();
  }
}
