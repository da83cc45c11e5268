/** `seam keys create|list|revoke|rotate`: agent keys. The key is printed once, at creation. */
import type { Command } from 'commander';
import { adminCreateKey, adminRevokeKey, adminRotateKey } from '../../access/admin.ts';
import { listKeys } from '../../access/key-admin.ts';
import type { ApiKeyInfo } from '../../access/keys.ts';
import { loadConfig } from '../../config.ts';
import { cliActor, cliRun, output, parseDate, parseDuration, printJson, splitList } from '../admin.ts';
import { CliError, EXIT } from '../index.ts';
import { withStore } from '../store.ts';

function describe(k: ApiKeyInfo): string {
  const state = k.revokedAt ? `revoked ${k.revokedAt}` : k.expiresAt ? `expires ${k.expiresAt}` : 'no expiry';
  return `${k.id}  ${k.name}  ${k.prefix}…  [${k.scopes.join(',') || 'no scopes'}]  ${state}${
    k.rateLimitPerMinute ? `  ${k.rateLimitPerMinute}/min` : ''
  }`;
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage agent API keys');

  keys
    .command('create')
    .description('create a key and print it once (it cannot be shown again)')
    .requiredOption('--name <name>', 'agent name (keys of one agent share it)')
    .option('--scopes <list>', 'comma-separated scopes, e.g. read:accounts,pii:email (default: none)')
    .option('--expires <date>', 'expiry, e.g. 2026-12-31 or an ISO time')
    .option('--rate-limit <n>', 'requests per minute for this key')
    .option('--json', 'print { key, id, ... } as JSON')
    .action(
      async (o: { name: string; scopes?: string; expires?: string; rateLimit?: string; json?: boolean }) => {
        const rate = o.rateLimit === undefined ? undefined : Number(o.rateLimit);
        if (rate !== undefined && !(Number.isInteger(rate) && rate > 0))
          throw new CliError(`--rate-limit: a positive whole number, got ${o.rateLimit}`, EXIT.usage);
        const expiresAt = o.expires === undefined ? undefined : parseDate(o.expires, '--expires');
        const config = loadConfig();
        const { key, info } = await withStore(config, (store) =>
          cliRun(() =>
            adminCreateKey(
              { store, actor: cliActor() },
              {
                name: o.name,
                scopes: splitList(o.scopes),
                ...(expiresAt ? { expiresAt } : {}),
                ...(rate ? { rateLimitPerMinute: rate } : {}),
              },
            ),
          ),
        );
        if (o.json) printJson({ key, ...info });
        else
          output.write(
            `${key}\n\n${describe(info)}\nStore this key now: seam keeps only its hash and cannot show it again.\n`,
          );
      },
    );

  keys
    .command('list')
    .description('list keys (active ones unless --all)')
    .option('--all', 'include revoked and expired keys')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const list = await withStore(loadConfig(), (store) => listKeys(store, { includeInactive: !!o.all }));
      if (o.json) printJson({ items: list });
      else output.write(list.length ? list.map(describe).join('\n') + '\n' : 'no keys\n');
    });

  keys
    .command('revoke')
    .description('revoke a key by id, or every active key of an agent by name')
    .argument('<key>', 'key id or agent name')
    .option('--json', 'print JSON')
    .action(async (idOrName: string, o: { json?: boolean }) => {
      const revoked = await withStore(loadConfig(), (store) =>
        cliRun(() => adminRevokeKey({ store, actor: cliActor() }, idOrName)),
      );
      if (o.json) printJson({ items: revoked });
      else output.write(revoked.map((k) => `revoked ${describe(k)}`).join('\n') + '\n');
    });

  keys
    .command('rotate')
    .description('make a new key like this one; the old key keeps working for the overlap, then expires')
    .argument('<key>', 'key id or agent name')
    .option('--overlap <duration>', 'how long the old key stays valid (e.g. 30m, 24h, 7d)', '24h')
    .option('--expires <date>', 'expiry of the new key')
    .option('--json', 'print { key, id, ..., old } as JSON')
    .action(async (idOrName: string, o: { overlap: string; expires?: string; json?: boolean }) => {
      const overlapMs = parseDuration(o.overlap, '--overlap');
      const expiresAt = o.expires === undefined ? undefined : parseDate(o.expires, '--expires');
      const out = await withStore(loadConfig(), (store) =>
        cliRun(() =>
          adminRotateKey({ store, actor: cliActor() }, idOrName, {
            overlapMs,
            ...(expiresAt ? { expiresAt } : {}),
          }),
        ),
      );
      if (o.json) printJson({ key: out.key, ...out.info, old: out.old });
      else
        output.write(
          `${out.key}\n\n${describe(out.info)}\n${out.old.map((k) => `old: ${describe(k)}`).join('\n')}\n` +
            'Store this key now: seam keeps only its hash and cannot show it again.\n',
        );
    });
}
