/**
 * One tool call, whatever door it came through: admit the caller (kill switch, rate limit, scope,
 * page cap: REST's checks), run the area function, and record it in the audit trail as
 * `mcp.<tool>` with the records it touched. Errors become tool results carrying the same
 * problem+json body REST would send, so an agent reads the same `code` either way.
 */
import type { Request } from 'express';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { refusal, forbidden, unauthorized, type KeyResolver } from '../access/authorize.ts';
import { pageTooLarge } from '../access/gate.ts';
import type { AccessRule, Principal } from '../access/types.ts';
import type { AppContext } from '../context.ts';
import { areaLogger } from '../log.ts';
import { toProblem, type Problem } from '../http/problem.ts';
import type { Admission, Door, SeamTool } from './tool.ts';

/** Audit trail action of a tool call. */
export const toolAction = (tool: string) => `mcp.${tool}`;

function result(body: Record<string, unknown>, isError = false): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(body) }],
    structuredContent: body,
    ...(isError ? { isError: true } : {}),
  };
}

export async function runTool(
  ctx: AppContext,
  door: Door,
  tool: SeamTool,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  const records: string[] = [];
  const audit = (principal: Principal, outcome: { denied?: Problem; failed?: Problem }) =>
    void ctx.services.audit?.record({
      actor: { kind: principal.kind, id: principal.id, name: principal.name },
      action: toolAction(tool.name),
      records,
      input: args,
      decision: outcome.denied ? 'denied' : 'allowed',
      ...(outcome.denied ? { reason: outcome.denied.code } : {}),
      status: (outcome.denied ?? outcome.failed)?.status ?? 200,
      ...(door.requestId ? { requestId: door.requestId } : {}),
      result: { transport: door.transport },
    });

  const admission = await door.admit(tool.access(args), tool.pageSize?.(args));
  if (admission.problem) {
    if (admission.principal) audit(admission.principal, { denied: admission.problem });
    return result(admission.problem.toJSON(), true);
  }
  const principal = admission.principal;
  try {
    const out = await tool.run(args, {
      principal,
      signal: door.signal,
      touch: (...r) => void records.push(...r),
    });
    audit(principal, {});
    return result(out);
  } catch (err) {
    const p = toProblem(err, ctx.problemMappers);
    if (p.status >= 500) areaLogger(ctx.log, 'mcp').error({ err, tool: tool.name }, 'tool call failed');
    audit(principal, { failed: p });
    return result(p.toJSON(), true);
  }
}

function checkPageSize(ctx: AppContext, pageSize: number | undefined): void {
  const max = ctx.config.access.maxPageSize;
  if (pageSize !== undefined && pageSize > max) throw pageTooLarge(max);
}

/**
 * Streamable HTTP: the /mcp route's gate has already resolved the key and applied the kill switch
 * and the rate limit to this request (one JSON-RPC message per request); each tool call then needs
 * the scope REST would ask for.
 */
export function httpDoor(ctx: AppContext, principal: Principal, req: Request, signal: AbortSignal): Door {
  return {
    transport: 'http',
    signal,
    ...(req.id !== undefined ? { requestId: String(req.id) } : {}),
    async admit(rule, pageSize) {
      try {
        const why = refusal(principal, rule, req);
        if (why) throw forbidden(why);
        checkPageSize(ctx, pageSize);
        return { principal };
      } catch (err) {
        return { principal, problem: toProblem(err) };
      }
    },
  };
}

/**
 * A request as the access gate sees it, for a call that came over stdio: the key in the
 * Authorization header and the page size as `limit`. It has no response, so the gate's per-request
 * audit hook stays silent and the tool call is recorded by runTool instead.
 */
function gateRequest(key: string, pageSize: number | undefined): Request {
  return {
    method: 'POST',
    path: '/mcp',
    url: '/mcp',
    originalUrl: '/mcp',
    headers: { authorization: `Bearer ${key}` },
    query: pageSize === undefined ? {} : { limit: String(pageSize) },
    params: {},
    get: () => undefined,
  } as unknown as Request;
}

/**
 * stdio: every tool call goes through the access gate itself (ctx.authorize), so a revoked key, the
 * kill switch and the rate limit apply per call exactly as they do per REST request.
 */
export function stdioDoor(ctx: AppContext, keys: KeyResolver, key: string, signal: AbortSignal): Door {
  return {
    transport: 'stdio',
    signal,
    async admit(rule: AccessRule, pageSize) {
      const principal = await keys.resolve(key);
      if (!principal) return { problem: unauthorized() };
      try {
        const admitted = await ctx.authorize(gateRequest(key, pageSize), rule);
        if (!admitted) throw unauthorized();
        return { principal: admitted } satisfies Admission;
      } catch (err) {
        return { principal, problem: toProblem(err) };
      }
    },
  };
}
