/** Start the real service in-process on a free port, over a test store. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import type { SeamModule } from '../../src/context.ts';
import type { Api } from '../../src/http/route.ts';
import type { AppContext } from '../../src/context.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type Service } from '../../src/server.ts';
import type { Store } from '../../src/store/types.ts';

export interface TestService extends Service {
  /** Every log line the service wrote, as text. */
  logs(): string;
  dataDir: string;
}

export async function startTestService(
  store: Store,
  opts: {
    env?: Record<string, string>;
    modules?: SeamModule[];
    extraRoutes?: (api: Api, ctx: AppContext) => void;
  } = {},
): Promise<TestService> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seam-test-'));
  const config = loadConfig({
    PORT: '0',
    SEAM_DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    // Tests drive polls themselves (or turn the first poll on to test it): no background writes.
    SEAM_LEGACY_POLL_AT_START: 'false',
    ...opts.env,
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ level: config.log.level }, sink);
  const service = await startService(config, {
    log,
    store,
    ...(opts.modules ? { modules: opts.modules } : {}),
    ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
  });
  return { ...service, logs: () => lines.join(''), dataDir };
}

/** fetch against the service, JSON in and out. */
export async function call(
  base: string,
  method: string,
  p: string,
  opts: { body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + p, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
