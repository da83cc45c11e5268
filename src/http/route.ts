/**
 * Routes are declared once, with their zod schemas and access rule; the same declaration mounts the
 * express handler and feeds the OpenAPI document (supabase/postgres-meta routes/tables.ts style:
 * parse, authorise, call one area function, format).
 */
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import express, { type Request, type Response } from 'express';
import { z, type ZodType } from 'zod';
import type { AccessRule, Authorizer, Principal } from '../access/types.ts';
import { zodProblem } from './problem.ts';

extendZodWithOpenApi(z);

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal | undefined;
  req: Request;
  res: Response;
}

/** What a handler may return: a body to send as JSON with 200, a Reply, or nothing after writing res itself. */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

const REPLY = Symbol('reply');
export function reply(r: Reply): Reply & { [REPLY]: true } {
  return { ...r, [REPLY]: true };
}

export interface RouteSpec<
  P extends ZodType = ZodType,
  Q extends ZodType = ZodType,
  B extends ZodType = ZodType,
> {
  method: Method;
  /** Express-style path, e.g. `/v1/accounts/:id`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  access: AccessRule;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  /** Hidden routes (the console's HTML) stay out of the OpenAPI document. */
  hidden?: boolean;
  handler: (input: HandlerInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown> | unknown;
}

export class Api {
  readonly routes: RouteSpec[] = [];
  readonly registry = new OpenAPIRegistry();

  add<P extends ZodType, Q extends ZodType, B extends ZodType>(spec: RouteSpec<P, Q, B>): void {
    if (!spec.access)
      throw new Error(`Route ${spec.method.toUpperCase()} ${spec.path} declares no access rule`);
    this.routes.push(spec as unknown as RouteSpec);
    if (spec.hidden) return;
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = r.schema
        ? {
            description: r.description,
            content: { [r.contentType ?? 'application/json']: { schema: r.schema } },
          }
        : { description: r.description };
    }
    const accessNote = describeAccess(spec.access);
    this.registry.registerPath({
      method: spec.method,
      path: spec.path.replace(/:([A-Za-z_]+)/g, '{$1}'),
      summary: spec.summary,
      description: [spec.description, accessNote].filter(Boolean).join('\n\n'),
      tags: spec.tags,
      request: {
        ...(spec.params ? { params: spec.params as never } : {}),
        ...(spec.query ? { query: spec.query as never } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
      },
      responses: responses as never,
    });
  }

  /**
   * Mount every route; `authorize` is called before any handler.
   *
   * Routes are grouped by their first two path segments (`/v1/accounts`, `/v1/proposals`, ...), one
   * express router per group, and a request goes straight to its group's router: express tries the
   * routes of one router one by one, and with ~65 routes in one router that walk was ~8% of the
   * CPU of a store-served read. A route whose second segment is a parameter or wildcard
   * (`/console/{*view}`) sits in its first segment's group, tried after the two-segment group, so it
   * may not be declared before a literal route it could shadow (checked here).
   */
  mount(authorize: Authorizer): express.RequestHandler {
    const groups = new Map<string, express.Router>();
    const wide = new Set<string>();
    for (const spec of this.routes) {
      const { key, literal } = routeGroup(spec.path);
      const outer = routeGroup(spec.path, 1).key;
      if (literal && key !== outer && wide.has(outer))
        throw new Error(
          `Route ${spec.method.toUpperCase()} ${spec.path} is declared after a parameter route of ${outer}; declare it first`,
        );
      if (!literal) wide.add(key);
      let router = groups.get(key);
      if (!router) groups.set(key, (router = express.Router()));
      router[spec.method](spec.path, async (req, res) => {
        const principal = await authorize(req, spec.access);
        const params = parse(spec.params, req.params, 'params');
        const query = parse(spec.query, req.query, 'query');
        const body = parse(spec.body, req.body, 'body');
        const out = await spec.handler({ params, query, body, principal, req, res });
        if (res.headersSent || res.writableEnded) return;
        if (out && typeof out === 'object' && REPLY in out) {
          const r = out as Reply;
          for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
          res.status(r.status ?? 200);
          if (r.body === undefined) res.end();
          else sendJson(req, res, r.body);
          return;
        }
        if (out === undefined) res.status(204).end();
        else sendJson(req, res, out);
      });
    }
    return (req, res, next) => {
      const two = groups.get(requestGroup(req.path, 2));
      const wider = groups.get(requestGroup(req.path, 1));
      const one = wider === two ? undefined : wider;
      if (!two) return one ? one(req, res, next) : next();
      two(req, res, one ? (err?: unknown) => (err === undefined ? one(req, res, next) : next(err)) : next);
    };
  }

  document(info: { title: string; version: string; description: string }): unknown {
    return new OpenApiGeneratorV31(this.registry.definitions).generateDocument({
      openapi: '3.1.0',
      info,
      servers: [{ url: '/' }],
    });
  }
}

/** The route template a request matched (`/v1/accounts/:id`), undefined when it matched none. */
export function routeTemplate(req: Request): string | undefined {
  return req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : undefined;
}

/**
 * What express's res.json does for seam's answers (no ETag: see app.ts; no JSON settings), without
 * its generic send path, which was ~3% of the CPU of a store-served read.
 */
function sendJson(req: Request, res: Response, body: unknown): void {
  if (res.statusCode === 204 || res.statusCode === 304) {
    // No body, so nothing to describe (as express does).
    res.removeHeader('Content-Type');
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(req.method === 'HEAD' ? undefined : text);
}

/**
 * The group of a route path: its first `depth` segments when they are literal, lower-cased (express
 * matches paths case-insensitively); `literal` is false when a later segment within `depth` is not.
 */
function routeGroup(path: string, depth = 2): { key: string; literal: boolean } {
  const segments = path.split('/').slice(1, depth + 1);
  const literalCount = segments.findIndex((s) => /[:*{(]/.test(s));
  const kept = literalCount === -1 ? segments : segments.slice(0, literalCount);
  return { key: `/${kept.join('/')}`.toLowerCase(), literal: literalCount === -1 };
}

/** The group key a request path falls in at `depth` (see routeGroup). */
function requestGroup(path: string, depth: number): string {
  let end = 0;
  for (let i = 0; i < depth; i++) {
    const next = path.indexOf('/', end + 1);
    if (next === -1) return path.toLowerCase();
    end = next;
  }
  return path.slice(0, end).toLowerCase();
}

function parse<T>(schema: ZodType | undefined, value: unknown, where: 'params' | 'query' | 'body'): T {
  if (!schema) return value as T;
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!r.success) throw zodProblem(r.error, where);
  return r.data as T;
}

function describeAccess(rule: AccessRule): string {
  if ('public' in rule) return 'Access: public.';
  if ('scope' in rule)
    return `Access: agent key with scope \`${typeof rule.scope === 'string' ? rule.scope : 'per resource'}\`.`;
  if ('roles' in rule) return `Access: signed-in human with role ${rule.roles.join(' or ')}.`;
  return rule.anyOf.map(describeAccess).join(' Or: ');
}
