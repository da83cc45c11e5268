/**
 * The MCP area as the service loads it: `/mcp` (streamable HTTP) with the tools of the areas loaded
 * before it. Loaded after them (src/modules.ts); `seam mcp` serves the same tools over stdio.
 */
import type { SeamModule } from '../context.ts';
import { mcpRoutes } from './http.ts';
import { mcpTools } from './server.ts';

export const mcpModule: SeamModule = {
  name: 'mcp',
  routes(api, ctx) {
    mcpRoutes(api, ctx, mcpTools(ctx));
  },
};
