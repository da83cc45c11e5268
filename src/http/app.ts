/** The express app: request ids and logs, metrics, body rules, routes, problem+json for everything else. */
import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import { areaLogger, type Logger } from '../log.ts';
import { docsRouter } from './health.ts';
import { metricsMiddleware } from './metrics.ts';
import { Problem, problemHandler } from './problem.ts';
import type { Api } from './route.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Health probes and scrapes would drown the log. */
const UNLOGGED = new Set(['/healthz', '/readyz', '/metrics']);

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id: the caller's X-Request-Id when it is a sane one, else a fresh UUID. */
    id?: string;
  }
}

/**
 * Request ids and one log line per request: 5xx at error, 4xx at info, the rest at debug, with who
 * asked for what (no headers: nothing to redact, nothing to copy). pino-http did this before, but it
 * binds a serialised child logger to every request whatever the level, which seam never used and
 * which cost ~13% of the CPU of a store-served read (profiled under bench/soap-facade.ts).
 */
function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    if (UNLOGGED.has(req.url)) return next();
    const started = performance.now();
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      const status = res.statusCode;
      const level = !res.writableFinished
        ? 'info'
        : status >= 500
          ? 'error'
          : status >= 400
            ? 'info'
            : 'debug';
      if (!log.isLevelEnabled(level)) return;
      log[level](
        {
          req: { id, method: req.method, url: req.originalUrl, remoteAddress: req.socket.remoteAddress },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}

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

  app.use(requestLog(log));
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
