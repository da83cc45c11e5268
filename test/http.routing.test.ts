/**
 * Api.mount groups routes by their first two path segments (src/http/route.ts). Matching must stay
 * what one express router in declaration order gave: case-insensitive paths, trailing slashes,
 * literal routes before a later wildcard of the same first segment, errors to the app's handler,
 * and `req.route` for the metrics label. Over real HTTP.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { z } from 'zod';
import { Api } from '../src/http/route.ts';

const open = { public: 'test' } as const;

function api(): Api {
  const a = new Api();
  const add = (method: 'get' | 'post', path: string, handler: () => unknown) =>
    a.add({
      method,
      path,
      summary: path,
      tags: ['test'],
      access: open,
      responses: { 200: { description: 'ok' } },
      handler: ({ req }) => ({
        matched: path,
        route: `${req.baseUrl}${String(req.route?.path)}`,
        got: handler(),
      }),
    });
  add('get', '/v1/things', () => 'list');
  add('get', '/v1/things/:id', () => 'one');
  add('post', '/v1/things/:id', () => 'post');
  add('get', '/v1/other', () => 'other');
  add('get', '/healthz', () => 'health');
  add('get', '/console/assets/:file', () => 'asset');
  add('get', '/console', () => 'console');
  add('get', '/console/{*view}', () => 'view');
  a.add({
    method: 'get',
    path: '/v1/broken/:n',
    summary: 'throws',
    tags: ['test'],
    access: open,
    params: z.object({ n: z.coerce.number().int() }),
    responses: { 200: { description: 'never' } },
    handler: () => {
      throw new Error('boom');
    },
  });
  return a;
}

describe('route groups', () => {
  let server: Server;
  let base: string;
  before(async () => {
    const app = express();
    app.use(api().mount(async () => undefined));
    app.use((req, res) => void res.status(404).json({ none: req.path }));
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.message === 'boom' ? 500 : 400).json({ error: err.message });
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = async (path: string, method = 'GET') => {
    const r = await fetch(base + path, { method });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it('matches every route as one router would', async () => {
    assert.deepEqual((await get('/v1/things')).body.got, 'list');
    assert.deepEqual((await get('/v1/things/42')).body, {
      matched: '/v1/things/:id',
      route: '/v1/things/:id',
      got: 'one',
    });
    assert.equal((await get('/v1/things/42', 'POST')).body.got, 'post');
    assert.equal((await get('/v1/other')).body.got, 'other');
    assert.equal((await get('/healthz')).body.got, 'health');
  });

  it('keeps express matching: any case, a trailing slash', async () => {
    assert.equal((await get('/V1/Things/42')).body.got, 'one');
    assert.equal((await get('/v1/things/')).body.got, 'list');
    assert.equal((await get('/HEALTHZ')).body.got, 'health');
  });

  it('tries literal routes before a wildcard of the same first segment', async () => {
    assert.equal((await get('/console/assets/app.js')).body.got, 'asset');
    assert.equal((await get('/console')).body.got, 'console');
    assert.equal((await get('/console/queue')).body.got, 'view');
    assert.equal((await get('/console/queue/P-1')).body.got, 'view');
  });

  it('passes what no route matches, and errors, on to the app', async () => {
    assert.deepEqual(await get('/v1/nothing/here'), { status: 404, body: { none: '/v1/nothing/here' } });
    assert.deepEqual(await get('/healthz/deeper'), { status: 404, body: { none: '/healthz/deeper' } });
    assert.equal((await get('/v1/things/42', 'DELETE')).status, 404);
    assert.deepEqual(await get('/v1/broken/1'), { status: 500, body: { error: 'boom' } });
    assert.equal((await get('/v1/broken/x')).status, 400, 'a params problem is an error too');
  });

  it('answers JSON with its type and length, and HEAD with the headers alone', async () => {
    const r = await fetch(`${base}/v1/things/42`);
    const text = await r.text();
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(Number(r.headers.get('content-length')), Buffer.byteLength(text));
    assert.equal(r.headers.get('etag'), null, 'no ETag (express would add one to res.json)');
    assert.deepEqual(JSON.parse(text), { matched: '/v1/things/:id', route: '/v1/things/:id', got: 'one' });
    const h = await fetch(`${base}/v1/things/42`, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.headers.get('content-length'), r.headers.get('content-length'));
    assert.equal(await h.text(), '');
  });

  it('refuses a literal route declared after a wildcard that could shadow it', () => {
    const a = new Api();
    const add = (path: string) =>
      a.add({
        method: 'get',
        path,
        summary: path,
        tags: ['test'],
        access: open,
        responses: { 200: { description: 'ok' } },
        handler: () => 'x',
      });
    add('/console/{*view}');
    add('/console/assets/:file');
    assert.throws(() => a.mount(async () => undefined), /declared after a parameter route of \/console/);
  });
});
