/** Liveness, readiness, metrics, and the API description. */
import { createRequire } from 'node:module';
import express, { type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import type { Api } from './route.ts';
import { reply } from './route.ts';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

const CheckResult = z.object({ status: z.enum(['ok', 'down']), detail: z.string().optional() });
const Readiness = z
  .object({ status: z.enum(['ok', 'down']), checks: z.record(z.string(), CheckResult) })
  .meta({ id: 'Readiness' });

export function healthRoutes(api: Api, ctx: AppContext): void {
  api.add({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    tags: ['operations'],
    access: { public: 'liveness probe' },
    responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
    handler: () => ({ status: 'ok' as const }),
  });

  api.add({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the store (and every critical dependency) answers',
    tags: ['operations'],
    access: { public: 'readiness probe' },
    responses: {
      200: { description: 'Ready', schema: Readiness },
      503: { description: 'Not ready', schema: Readiness },
    },
    handler: async () => {
      const timeout = ctx.config.http.readyTimeoutMs;
      const checks: Record<string, { status: 'ok' | 'down'; detail?: string }> = {};
      let ready = true;
      const all = [
        { name: 'store', critical: true, check: (t: number) => ctx.store.ping(t) },
        ...ctx.readiness,
      ];
      await Promise.all(
        all.map(async (c) => {
          try {
            await withTimeout(c.check(timeout), timeout);
            checks[c.name] = { status: 'ok' };
          } catch (err) {
            if (c.critical) ready = false;
            checks[c.name] = { status: 'down', detail: err instanceof Error ? err.message : String(err) };
          }
        }),
      );
      return reply({ status: ready ? 200 : 503, body: { status: ready ? 'ok' : 'down', checks } });
    },
  });

  api.add({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tags: ['operations'],
    access: { public: 'Prometheus scrape; bind HOST to a private interface' },
    responses: {
      200: { description: 'Prometheus text format', contentType: 'text/plain', schema: z.string() },
    },
    handler: async ({ res }) => {
      res.setHeader('Content-Type', ctx.metrics.registry.contentType);
      res.send(await ctx.metrics.registry.metrics());
    },
  });
}

export function openApiDocument(api: Api): unknown {
  return api.document({
    title: 'seam',
    version: pkg.version,
    description:
      'A safe REST facade over a legacy system for AI agents: reads, change events, and write proposals that humans carry out.',
  });
}

/** /openapi.json and /docs (Swagger UI served from the local swagger-ui-dist package: works offline). */
export function docsRouter(api: Api): Router {
  const router = express.Router();
  let doc: unknown;
  const getDoc = () => (doc ??= openApiDocument(api));
  router.get('/openapi.json', (_req, res) => {
    res.json(getDoc());
  });
  router.use('/docs', swaggerUi.serve);
  router.get('/docs', (req, res, next) =>
    swaggerUi.setup(undefined, { swaggerOptions: { url: '/openapi.json' }, customSiteTitle: 'seam API' })(
      req,
      res,
      next,
    ),
  );
  return router;
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
