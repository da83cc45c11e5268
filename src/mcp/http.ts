/**
 * MCP over streamable HTTP at `/mcp`, on the same express app and through the same gate as REST:
 * the agent key from `Authorization: Bearer`, the kill switch and the rate limit apply to every
 * request, and each tool call needs the scope REST would ask for. Stateless: a fresh server per
 * request, JSON answers, no sessions to keep (so any seam process behind a load balancer can answer).
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import type { AccessRule } from '../access/types.ts';
import { auditInput } from '../audit/touch.ts';
import type { AppContext } from '../context.ts';
import { Problem } from '../http/problem.ts';
import type { Api } from '../http/route.ts';
import { httpDoor } from './call.ts';
import { createMcpServer } from './server.ts';
import type { SeamTool } from './tool.ts';

export const MCP_PATH = '/mcp';

/** Any key that may use at least one tool may talk MCP; each tool call then checks its own scope. */
export function mcpAccess(ctx: AppContext): AccessRule {
  const scopes = new Set<string>();
  for (const s of ctx.services.systems?.list() ?? [])
    for (const r of s.resources) scopes.add(`read:${r.def.name}`);
  if (ctx.services.events) scopes.add('events:read');
  if (ctx.services.proposals) {
    scopes.add('read:proposals');
    for (const t of ctx.services.proposals.deps.catalog.ids()) scopes.add(`propose:${t}`);
  }
  if (scopes.size === 0) scopes.add('events:read');
  return { anyOf: [...scopes].map((scope) => ({ scope })) };
}

/** What the request-level audit entry keeps of a JSON-RPC message (the tool call has its own entry). */
function summary(body: unknown): Record<string, unknown> {
  const m = (body ?? {}) as { method?: unknown; params?: { name?: unknown } };
  return {
    mcp: typeof m.method === 'string' ? m.method : null,
    ...(m.method === 'tools/call' && typeof m.params?.name === 'string' ? { tool: m.params.name } : {}),
  };
}

const notAllowed = () =>
  new Problem({
    status: 405,
    code: 'method_not_allowed',
    title: 'Method not allowed',
    detail: 'seam’s MCP endpoint is stateless: POST one JSON-RPC message per request.',
    headers: { Allow: 'POST' },
  });

export function mcpRoutes(api: Api, ctx: AppContext, tools: readonly SeamTool[]): void {
  const access = mcpAccess(ctx);
  const common = {
    path: MCP_PATH,
    tags: ['mcp'],
    access,
    // JSON-RPC, not REST: described in docs/mcp.md rather than the OpenAPI document.
    hidden: true,
  };
  const problem = z.object({ type: z.string(), code: z.string() }).loose();

  api.add({
    ...common,
    method: 'post',
    summary: 'MCP (streamable HTTP): one JSON-RPC message',
    responses: {
      200: { description: 'JSON-RPC answer' },
      202: { description: 'Notification accepted' },
      400: { description: 'Not one JSON-RPC message', schema: problem },
      401: { description: 'No valid key', schema: problem },
      403: { description: 'Key without any MCP scope, or suspended', schema: problem },
      429: { description: 'Over the rate limit', schema: problem },
    },
    handler: async ({ req, res, principal }) => {
      const body: unknown = req.body;
      if (Array.isArray(body))
        throw new Problem({
          status: 400,
          code: 'mcp_batch_not_supported',
          title: 'One message per request',
          detail:
            'Send one JSON-RPC message per request: each is authorised, rate-limited and audited on its own.',
        });
      auditInput(req, summary(body));
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      const shutdown = ctx.services.events?.watch(req);
      const signal = shutdown ? AbortSignal.any([gone.signal, shutdown]) : gone.signal;
      const server = createMcpServer(ctx, tools, httpDoor(ctx, principal!, req, signal));
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    },
  });

  for (const method of ['get', 'delete'] as const)
    api.add({
      ...common,
      method,
      summary: 'MCP: not used (stateless server, no server-sent stream or session)',
      responses: { 405: { description: 'Use POST', schema: problem } },
      handler: () => {
        throw notAllowed();
      },
    });
}
