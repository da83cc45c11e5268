/** The express app: request ids and logs, metrics, body rules, routes, problem+json for everything else. */
import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { AppContext } from '../context.ts';
import { areaLogger } from '../log.ts';
import { docsRouter } from './health.ts';
import { metricsMiddleware } from './metrics.ts';
import { Problem, problemHandler } from './problem.ts';
import type { Api } from './route.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Bodies must be JSON; anything else is refused before it is read (415). */
const requireJsonBodies: RequestHandler = (req, _res, next) => {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody || req.is(['application/json', 'application/*+json'])) return next();
  next(
    new Problem({
      status: 415,
      code: 'unsupported_media_type',
      title: 'Unsupported media type',
      detail: `Request bodies must be application/json (got ${req.headers['content-type'] ?? 'no content type'}).`,
    }),
  );
};

export function createApp(ctx: AppContext, api: Api): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'extended');
  const log = areaLogger(ctx.log, 'http');

  app.use(
    pinoHttp({
      logger: log,
      genReqId(req, res) {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel(_req, res, err) {
        if (err || res.statusCode >= 500) return 'error';
        if (res.statusCode >= 400) return 'info';
        return 'debug';
      },
      // Health probes and scrapes would drown the log.
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
      // pino-http binds the serialised request to a child logger on every request, whatever the
      // level: keep that to who asked for what (no headers: nothing to redact, nothing to copy).
      serializers: {
        req: (r: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
          id: r.id,
          method: r.method,
          url: r.url,
          remoteAddress: r.remoteAddress,
        }),
      },
    }),
  );
  app.use(metricsMiddleware(ctx.metrics));
  app.use(requireJsonBodies);
  app.use(
    express.json({ limit: ctx.config.http.bodyLimit, type: ['application/json', 'application/*+json'] }),
  );
  app.use(docsRouter(api));
  app.use(api.mount(ctx.authorize));
  app.use((req, _res, next) => {
    next(
      new Problem({
        status: 404,
        code: 'not_found',
        title: 'Not found',
        detail: `No route for ${req.method} ${req.path}`,
      }),
    );
  });
  app.use(problemHandler(log, ctx.problemMappers));
  return app;
}
