/** The express app: request ids and logs, metrics, body rules, routes, problem+json for everything else. */
import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import { areaLogger, type Logger } from '../log.ts';
import { docsRouter } from './health.ts';
import { observeRequest, type Metrics } from './metrics.ts';
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
 * Request ids, one log line and the metrics of every request: 5xx at error, 4xx at info, the rest at
 * debug, with who asked for what (no headers: nothing to redact, nothing to copy). One middleware
 * with one listener pair, because every layer and listener is paid on every request: pino-http did
 * the logging before, but it binds a serialised child logger to every request whatever the level,
 * which seam never used and which cost ~13% of the CPU of a store-served read (profiled under
 * bench/soap-facade.ts). Metrics count finished responses under their route template.
 */
function observe(log: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const logged = !UNLOGGED.has(req.url);
    const started = performance.now();
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      const status = res.statusCode;
      const finished = res.writableFinished;
      const seconds = (performance.now() - started) / 1000;
      if (finished) observeRequest(metrics, req, status, seconds);
      if (!logged) return;
      const level = !finished ? 'info' : status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
      if (!log.isLevelEnabled(level)) return;
      log[level](
        {
          req: { id, method: req.method, url: req.originalUrl, remoteAddress: req.socket.remoteAddress },
          res: { statusCode: status },
          responseTime: Math.round(seconds * 1000),
        },
        finished ? 'request completed' : 'request aborted',
      );
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}

/**
 * Bodies must be JSON; anything else is refused before it is read (415). Requests without a body
 * (most of them: reads) skip the JSON parser altogether.
 */
function jsonBodies(limit: string): RequestHandler {
  const parse = express.json({ limit, type: ['application/json', 'application/*+json'] });
  return (req, res, next) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return next();
    if (req.is(['application/json', 'application/*+json'])) return parse(req, res, next);
    next(
      new Problem({
        status: 415,
        code: 'unsupported_media_type',
        title: 'Unsupported media type',
        detail: `Request bodies must be application/json (got ${req.headers['content-type'] ?? 'no content type'}).`,
      }),
    );
  };
}

export function createApp(ctx: AppContext, api: Api): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'extended');
  const log = areaLogger(ctx.log, 'http');

  // No ETags: answers carry their own freshness (as_of, stale), so a hash of each body would rarely
  // match and costs a SHA-1 of every response.
  app.set('etag', false);
  app.use(observe(log, ctx.metrics));
  app.use(jsonBodies(ctx.config.http.bodyLimit));
  app.use(api.mount(ctx.authorize));
  app.use(docsRouter(api));
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
