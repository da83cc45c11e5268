/**
 * The operator console's pages and files. These routes serve only the static page and its scripts:
 * every piece of data the console shows comes from the authenticated REST API, called by the page
 * with the signed-in human's session cookie. So these routes are public, hidden from OpenAPI, and
 * send a strict Content-Security-Policy (no inline script, nothing from other origins).
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { problems } from '../http/problem.ts';
import type { Api } from '../http/route.ts';
import type { Asset } from './assets.ts';

const PUBLIC_REASON = 'console assets (data comes from authenticated API calls)';

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

function send(req: Request, res: Response, asset: Asset): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  // Small files, revalidated on each load: a new seam version is picked up at once.
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', asset.etag);
  if (req.headers['if-none-match'] === asset.etag) {
    res.status(304).end();
    return;
  }
  res.status(200).type(asset.type).send(asset.body);
}

export function consoleRoutes(api: Api, assets: Map<string, Asset>): void {
  const page = assets.get('index.html')!;
  const html = { 200: { description: 'The console page', contentType: 'text/html' } };

  api.add({
    method: 'get',
    path: '/console/assets/:file',
    summary: 'A console script or style sheet',
    tags: ['console'],
    hidden: true,
    access: { public: PUBLIC_REASON },
    params: z.object({ file: z.string().max(100) }),
    responses: { 200: { description: 'The file' }, 404: { description: 'No such file' } },
    handler: ({ params, req, res }) => {
      const asset = params.file === 'index.html' ? undefined : assets.get(params.file);
      if (!asset) throw problems.notFound(`No console file ${params.file}`);
      send(req, res, asset);
    },
  });

  // Every other /console URL is the same page; the page's script renders the view the path names
  // (/console/queue, /console/proposals/P-12, /console/audit?actor=..., /console/systems).
  for (const path of ['/console', '/console/{*view}'])
    api.add({
      method: 'get',
      path,
      summary: 'The operator console',
      tags: ['console'],
      hidden: true,
      access: { public: PUBLIC_REASON },
      responses: html,
      handler: ({ req, res }) => send(req, res, page),
    });
}
