/**
 * The HTTP exchange under both transports (src/legacy/exchange.ts), seen through the SOAP transport
 * against a real soap.listen server behind a real HTTP front that re-encodes or bends its answers
 * the way old boxes and their proxies do: compressed answers are read, a compressed answer that
 * unpacks past the size cap is refused without unpacking it all, a corrupt or unknown encoding is a
 * bad answer, redirects are not followed, and sockets are kept alive between calls.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { LegacyError } from '../src/legacy/errors.ts';
import { createSoapTransport } from '../src/legacy/soap.ts';
import { startSoapServer, type SoapServer } from './helpers/adapter-init.ts';
import { TEST_LIMITS } from './helpers/erp.ts';

const WSDL = path.resolve(import.meta.dirname, 'wsdl-corpus/doc-literal/customers.wsdl');
const CAP = 64 * 1024;
/**
 * 16 MiB of blanks as one gzip member, made once: appended to a gzip'd envelope it unpacks past the
 * cap while staying a few KB on the wire (gunzip reads concatenated members as one stream).
 */
const BLANKS = zlib.gzipSync(Buffer.alloc(16 << 20, 0x20));

type Mode =
  'gzip' | 'deflate' | 'br' | 'bomb' | 'corrupt' | 'unknown' | 'redirect' | 'hang' | 'empty' | 'plain';

interface Front {
  url: string;
  mode: Mode;
  connections: number;
  requests: number;
  /** Requests that reached the redirect target. */
  redirected: number;
  /** Bytes of the last answer's body as sent (compressed). */
  lastSent: number;
  close(): Promise<void>;
}

/** An HTTP front for the SOAP server that forwards each call and answers in `front.mode`. */
async function startFront(box: SoapServer): Promise<Front> {
  const boxUrl = new URL(box.url);
  const front: Front = {
    url: '',
    mode: 'plain',
    connections: 0,
    requests: 0,
    redirected: 0,
    lastSent: 0,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    if (req.url === '/moved') {
      front.redirected++;
      res.end();
      return;
    }
    front.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (front.mode === 'hang') return;
      if (front.mode === 'empty') {
        res.writeHead(200, { 'content-type': 'text/xml' }).end();
        return;
      }
      if (front.mode === 'redirect') {
        res.writeHead(307, { location: '/moved' }).end();
        return;
      }
      const fwd = http.request(
        {
          host: boxUrl.hostname,
          port: boxUrl.port,
          path: boxUrl.pathname,
          method: 'POST',
          headers: req.headers,
        },
        (answer) => {
          const got: Buffer[] = [];
          answer.on('data', (c: Buffer) => got.push(c));
          answer.on('end', () => {
            const xml = Buffer.concat(got);
            const send = (encoding: string, body: Buffer) => {
              front.lastSent = body.length;
              res.writeHead(answer.statusCode ?? 200, {
                'content-type': answer.headers['content-type'] ?? 'text/xml',
                'content-encoding': encoding,
                'content-length': body.length,
              });
              res.end(body);
            };
            if (front.mode === 'gzip') send('gzip', zlib.gzipSync(xml));
            else if (front.mode === 'deflate') send('deflate', zlib.deflateSync(xml));
            else if (front.mode === 'br') send('br', zlib.brotliCompressSync(xml));
            else if (front.mode === 'unknown') send('compress', xml);
            else if (front.mode === 'corrupt') {
              const z = zlib.gzipSync(xml);
              z.fill(0x41, 12, z.length - 8);
              send('gzip', z);
            } else if (front.mode === 'bomb') {
              // A valid envelope followed by 16 MiB of blanks: tiny on the wire, huge unpacked.
              send('gzip', Buffer.concat([zlib.gzipSync(xml), BLANKS]));
            } else send('identity', xml);
          });
        },
      );
      fwd.end(Buffer.concat(chunks));
    });
  });
  server.on('connection', () => front.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  front.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/soap`;
  front.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return front;
}

describe('the legacy HTTP exchange', () => {
  let box: SoapServer;
  let front: Front;
  let transport: ReturnType<typeof createSoapTransport>;
  const getCustomer = async () =>
    ((await transport('GetCustomer', { customerId: 'C-1' })) as { GetCustomerResult: { Name: string } })
      .GetCustomerResult;
  const failure = async (): Promise<LegacyError> => {
    try {
      await getCustomer();
    } catch (err) {
      assert.ok(err instanceof LegacyError, `a LegacyError, got ${String(err)}`);
      return err;
    }
    assert.fail('the call should have failed');
  };

  before(async () => {
    box = await startSoapServer(WSDL, {
      CustomerService: {
        CustomerServiceSoap: {
          GetCustomer: () => ({
            GetCustomerResult: {
              CustomerId: 'C-1',
              Name: 'Ada Lovelace',
              Status: 'ACTIVE',
              CreditLimit: '100.00',
              Balance: '0.00',
              OpenedOn: '2009-03-01',
              LastChange: '2024-01-31T08:00:00Z',
              Vip: false,
              LoyaltyPoints: 1,
              Phone: null,
              Addresses: { Address: [] },
            },
          }),
        },
      },
    });
    front = await startFront(box);
    transport = createSoapTransport({
      system: 'crm',
      settings: {
        wsdl: WSDL,
        auth: { kind: 'none' },
        operations: { GetCustomer: 'read' },
        faults: { legacyCode: () => undefined, codes: {} },
        limits: TEST_LIMITS,
      },
      endpoint: front.url,
      timeoutMs: 3_000,
      maxResponseBytes: CAP,
      maxSockets: 2,
    });
  });
  after(async () => {
    transport.close();
    await front.close();
    await box.close();
  });

  it('reads gzip, deflate and brotli answers', async () => {
    for (const mode of ['gzip', 'deflate', 'br'] as const) {
      front.mode = mode;
      assert.equal((await getCustomer()).Name, 'Ada Lovelace', mode);
    }
  });

  it('refuses a compressed answer that unpacks past the size cap', async () => {
    front.mode = 'bomb';
    const err = await failure();
    assert.equal(err.kind, 'too_large');
    assert.match(err.message, new RegExp(`larger than ${CAP} bytes`));
    assert.ok(front.lastSent < CAP, `the bomb was ${front.lastSent} bytes on the wire, under the cap`);
  });

  it('calls a corrupt or unknown encoding a bad answer', async () => {
    front.mode = 'corrupt';
    const corrupt = await failure();
    assert.equal(corrupt.kind, 'bad_response');
    assert.match(corrupt.message, /gzip encoding is corrupt/);
    front.mode = 'unknown';
    const unknown = await failure();
    assert.equal(unknown.kind, 'bad_response');
    assert.match(unknown.message, /unknown content encoding \(compress\)/);
  });

  it('does not follow a redirect', async () => {
    front.mode = 'redirect';
    const err = await failure();
    assert.equal(err.kind, 'bad_response');
    assert.match(err.message, /HTTP 307/);
    assert.equal(front.redirected, 0, 'nothing was sent to the redirect target');
  });

  it('calls an empty answer a bad answer, not an empty result', async () => {
    front.mode = 'empty';
    const err = await failure();
    assert.equal(err.kind, 'bad_response');
  });

  it('gives up at the deadline when the box does not answer', async () => {
    front.mode = 'hang';
    const started = Date.now();
    const err = await failure();
    assert.equal(err.kind, 'timeout');
    assert.ok(Date.now() - started < 10_000);
  });

  it('keeps sockets alive between calls', async () => {
    front.mode = 'plain';
    await getCustomer(); // after the hang above, a fresh socket
    const before = front.connections;
    const requests = front.requests;
    for (let i = 0; i < 20; i++) assert.equal((await getCustomer()).Name, 'Ada Lovelace');
    assert.equal(front.requests - requests, 20);
    assert.equal(front.connections, before, '20 sequential calls on the socket already open');
  });
});
