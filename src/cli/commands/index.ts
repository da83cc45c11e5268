/** Every CLI command, each in its own file; an area adds its command here. */
import type { Command } from 'commander';
import { registerAdapter } from './adapter.ts';
import { registerAudit } from './audit.ts';
import { registerEvents } from './events.ts';
import { registerFeed } from './feed.ts';
import { registerIngest } from './ingest.ts';
import { registerKeys } from './keys.ts';
import { registerKill } from './kill.ts';
import { registerMcp } from './mcp.ts';
import { registerMigrate } from './migrate.ts';
import { registerProposals } from './proposals.ts';
import { registerRollback } from './rollback.ts';
import { registerServe } from './serve.ts';
import { registerUsers } from './users.ts';

export const commands: Array<(program: Command) => void> = [
  registerServe,
  registerMigrate,
  registerKeys,
  registerUsers,
  registerKill,
  registerAudit,
  registerAdapter,
  registerEvents,
  registerProposals,
  registerRollback,
  registerIngest,
  registerFeed,
  registerMcp,
];
