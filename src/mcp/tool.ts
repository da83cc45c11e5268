/**
 * What an MCP tool is to seam: the REST capability it mirrors, with the same input schema, the
 * same access rule and the same area function. Words: a *tool call* is one `tools/call` from an
 * agent; the *door* is the transport it came through (streamable HTTP or stdio), which knows how to
 * resolve and admit the caller exactly as REST's gate does.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { AccessRule, Principal } from '../access/types.ts';
import type { Problem } from '../http/problem.ts';

/** What a running tool gets besides its arguments. */
export interface ToolCall {
  principal: Principal;
  /** Aborted when the caller goes away or seam stops (long-polls end early). */
  signal: AbortSignal;
  /** Name the records this call touched (`accounts/004471`, `proposals/<id>`) for the audit trail. */
  touch(...records: string[]): void;
}

export interface SeamTool {
  name: string;
  title: string;
  description: string;
  annotations: ToolAnnotations;
  /** A REST schema (or one composed of REST schemas); also what the SDK lists and validates. */
  input: z.ZodObject;
  /** The rule REST applies to the same request. */
  access(args: Record<string, unknown>): AccessRule;
  /** The page size asked for: capped by SEAM_MAX_PAGE_SIZE like REST's `limit` query parameter. */
  pageSize?(args: Record<string, unknown>): number | undefined;
  run(args: Record<string, unknown>, call: ToolCall): Promise<Record<string, unknown>>;
}

/** Declare a tool with its arguments typed by its schema. */
export function defineTool<S extends z.ZodObject>(t: {
  name: string;
  title: string;
  description: string;
  annotations: ToolAnnotations;
  input: S;
  access(args: z.infer<S>): AccessRule;
  pageSize?(args: z.infer<S>): number | undefined;
  run(args: z.infer<S>, call: ToolCall): Promise<Record<string, unknown>>;
}): SeamTool {
  return t as unknown as SeamTool;
}

/** Read tools: they change nothing, anywhere. */
export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };

/** Who is calling, as far as the door could tell, and whether the rule lets them in. */
export type Admission =
  | { principal: Principal; problem?: undefined }
  /** Refused: `principal` is known when the key resolved (the refusal is then audited). */
  | { principal?: Principal; problem: Problem };

/** A transport's way of admitting a tool call: the same checks, in the same order, as REST. */
export interface Door {
  transport: 'http' | 'stdio';
  admit(rule: AccessRule, pageSize: number | undefined): Promise<Admission>;
  /** The HTTP request id, for the audit trail. */
  requestId?: string;
  /** Aborted when the transport's request or process ends. */
  signal: AbortSignal;
}
