/**
 * The operator console: a web page at /console for the people who approve and carry out proposals,
 * search the audit trail and watch the systems. It is a thin client of the REST API (no business
 * rule lives here); see docs/console.md.
 */
import type { SeamModule } from '../context.ts';
import { loadAssets } from './assets.ts';
import { consoleRoutes } from './routes.ts';

export const consoleModule: SeamModule = {
  name: 'console',
  routes(api) {
    consoleRoutes(api, loadAssets());
  },
};
