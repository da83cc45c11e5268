#!/usr/bin/env node
// Entry point of the `seam` command. TypeScript sources run through tsx's loader,
// so a checkout works right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
await main(process.argv);
