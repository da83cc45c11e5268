/** One delivery attempt: POST a signed event to the subscriber, through the address guard. */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { AddressNotAllowed, hostOf, type WebhookTargets } from './targets.ts';
import { signedHeaders } from './sign.ts';

export interface AttemptResult {
  ok: boolean;
  status?: number;
  error?: string;
  durationMs: number;
}

/** Bytes of a response body read before it is dropped (receivers should answer 2xx quickly). */
const MAX_RESPONSE_BYTES = 64 * 1024;

export class WebhookPoster {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });

  constructor(
    private readonly targets: WebhookTargets,
    private readonly timeoutMs: number,
  ) {}

  async post(target: string, secret: string, eventId: string, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return { ok: false, error: 'invalid URL', durationMs: 0 };
    }
    const host = hostOf(url);
    // The allowlist may have shrunk since registration; addresses are checked again below.
    if (!this.targets.hostAllowed(host))
      return { ok: false, error: `host ${host} is no longer allowed`, durationMs: 0 };
    if (net.isIP(host) && !this.targets.addressAllowed(host))
      return { ok: false, error: `address ${host} is not allowed`, durationMs: 0 };
    const secure = url.protocol === 'https:';
    const headers = {
      'content-type': 'application/cloudevents+json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'seam-webhooks/1',
      ...signedHeaders(secret, eventId, body),
    };
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (r: Omit<AttemptResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...r, durationMs: elapsed() });
      };
      const req = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          headers,
          agent: secure ? this.httpsAgent : this.httpAgent,
          lookup: this.targets.lookup as never,
          timeout: this.timeoutMs,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_RESPONSE_BYTES) res.destroy();
          });
          const done = () =>
            finish(
              status >= 200 && status < 300
                ? { ok: true, status }
                : { ok: false, status, error: `HTTP ${status}` },
            );
          res.on('end', done);
          res.on('close', done);
          res.on('error', done);
        },
      );
      const deadline = setTimeout(
        () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => {
        clearTimeout(deadline);
        finish({ ok: false, error: err instanceof AddressNotAllowed ? err.message : describe(err) });
      });
      req.on('close', () => clearTimeout(deadline));
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${err.message}` : err.message;
}
