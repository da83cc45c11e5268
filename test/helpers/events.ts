/** Helpers for the event feed tests: append real events, read SSE streams over real HTTP. */
import { appendEvents } from '../../src/events/append.ts';
import type { NewEvent, SeamEvent } from '../../src/events/types.ts';
import type { Store } from '../../src/store/types.ts';

/** Settings every events test service uses: big pages, no rate limit in the way. */
export const EVENTS_TEST_ENV: Record<string, string> = {
  SEAM_MAX_PAGE_SIZE: '1000',
  SEAM_RATE_LIMIT_PER_MINUTE: '1000000',
  SEAM_GLOBAL_RATE_LIMIT_PER_MINUTE: '10000000',
  // Only NOTIFY wakes readers in tests: a test that passes proves the notification path.
  SEAM_EVENTS_SAFETY_POLL_MS: '0',
  // No scheduled legacy polls: the only events in a test's log are the ones it appended.
  SEAM_LEGACY_POLL: 'false',
  LOG_LEVEL: 'warn',
};

export function accountEvent(key: string, record: Record<string, unknown> = {}): NewEvent {
  return {
    source: 'erp/feeds/ACCOUNTS',
    type: 'erp.account.updated',
    subject: `accounts/${key}`,
    data: { system: 'erp', resource: 'accounts', key, record: { accountNumber: key, ...record } },
    aggregateType: 'accounts',
    aggregateId: key,
  };
}

export function itemEvent(sku: string): NewEvent {
  return {
    source: 'erp/feeds/ITEMS',
    type: 'erp.item.created',
    subject: `items/${sku}`,
    data: { system: 'erp', resource: 'items', key: sku, record: { sku } },
    aggregateType: 'items',
    aggregateId: sku,
  };
}

export function proposalEvent(id: string, transition: string): NewEvent {
  return {
    source: 'seam/proposals',
    type: `seam.proposal.${transition}`,
    subject: `proposals/${id}`,
    data: { proposalId: id },
    aggregateType: 'proposal',
    aggregateId: id,
  };
}

export function append(store: Store, events: NewEvent[]): Promise<number[]> {
  return store.transaction((tx) => appendEvents(tx, events));
}

/** Resolve once `check` holds, polling every few ms; rejects after `ms` with `what` in the message. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 15_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface SseMessage {
  id?: string;
  data?: string;
  comment?: string;
}

/** A live SSE connection read with fetch; messages collect as they arrive. */
export interface SseClient {
  status: number;
  headers: Headers;
  messages: SseMessage[];
  /** Events (messages with data), parsed. */
  events(): SeamEvent[];
  /** The last `id` the stream set (what a browser would send as Last-Event-ID). */
  lastEventId(): string | undefined;
  /** Resolves when at least n events have arrived. */
  waitForEvents(n: number, ms?: number): Promise<SeamEvent[]>;
  close(): void;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** The body when the answer was not a stream (e.g. problem+json). */
  body?: unknown;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const messages: SseMessage[] = [];
  let lastId: string | undefined;
  const client: SseClient = {
    status: res.status,
    headers: res.headers,
    messages,
    events: () => messages.filter((m) => m.data !== undefined).map((m) => JSON.parse(m.data!) as SeamEvent),
    lastEventId: () => lastId,
    async waitForEvents(n, ms = 15_000) {
      await until(() => client.events().length >= n, `${n} SSE events (have ${client.events().length})`, ms);
      return client.events();
    },
    close: () => ac.abort(),
    ended: Promise.resolve(),
  };
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
    const text = await res.text();
    try {
      client.body = JSON.parse(text);
    } catch {
      client.body = text;
    }
    return client;
  }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  client.ended = (async () => {
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const msg: SseMessage = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) msg.comment = line.slice(1).trim();
            else if (line.startsWith('id:')) msg.id = line.slice(3).trim();
            else if (line.startsWith('data:'))
              msg.data = (msg.data ? msg.data + '\n' : '') + line.slice(5).trim();
          }
          if (msg.id !== undefined) lastId = msg.id;
          messages.push(msg);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return client;
}
