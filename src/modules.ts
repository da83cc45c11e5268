/**
 * The areas loaded by the service, in initialisation order: an area may use services published by
 * the ones before it. Each area exposes one SeamModule from its own folder.
 */
import { accessModule } from './access/module.ts';
import { auditModule } from './audit/module.ts';
import { consoleModule } from './console/module.ts';
import type { SeamModule } from './context.ts';
import { eventsModule } from './events/module.ts';
import { createLegacyModule } from './legacy/module.ts';
import { createProposalsModule } from './proposals/module.ts';
import { createIngestModule } from './ingest/module.ts';
import { mcpModule } from './mcp/module.ts';
import { createRecordsModule } from './records/module.ts';
import { createShadowModule } from './shadow/module.ts';

export function defaultModules(): SeamModule[] {
  // audit first: every other area records into it, and it stops last (flushing what they recorded).
  return [
    auditModule,
    accessModule,
    createLegacyModule(),
    // right after legacy: shadow mode wraps resource handles before any area takes them
    createShadowModule(),
    createRecordsModule(),
    createIngestModule(),
    eventsModule,
    createProposalsModule(),
    consoleModule,
    mcpModule,
  ];
}
