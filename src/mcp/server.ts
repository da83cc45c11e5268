/**
 * The MCP server: seam's tools on an McpServer for one door. Tools are built once per service
 * (`mcpTools`) from the areas that are loaded; a server is cheap and made per HTTP request
 * (stateless streamable HTTP) or once per stdio process.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AppContext } from '../context.ts';
import { runTool } from './call.ts';
import type { Door, SeamTool } from './tool.ts';
import { eventTools } from './tools/events.ts';
import { proposalTools } from './tools/proposals.ts';
import { recordTools } from './tools/records.ts';

export const SERVER_INFO = { name: 'seam', version: '0.1.0' };

const INSTRUCTIONS =
  'seam gives read access to a legacy system of record and lets you PROPOSE changes to it. ' +
  'Start with list_systems to see the resources, then get_record / search_records to read, and ' +
  'read_events to follow changes. propose_change never writes to the legacy system: people review ' +
  'each proposal and carry it out by hand; follow it with proposal_status. Every call is audited and ' +
  'limited to what your key allows.';

/** Every tool the loaded areas support (an area that is not loaded contributes none). */
export function mcpTools(ctx: AppContext): SeamTool[] {
  const { systems, events, proposals } = ctx.services;
  return [
    ...(systems ? recordTools(ctx, systems) : []),
    ...(events ? eventTools(ctx, events) : []),
    ...(proposals ? proposalTools(proposals) : []),
  ];
}

export function createMcpServer(ctx: AppContext, tools: readonly SeamTool[], door: Door): McpServer {
  const server = new McpServer(SERVER_INFO, { instructions: INSTRUCTIONS });
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        annotations: tool.annotations,
      },
      (args: Record<string, unknown>) => runTool(ctx, door, tool, args),
    );
  }
  return server;
}
