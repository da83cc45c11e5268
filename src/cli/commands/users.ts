/** `seam users create|list|disable|enable|set-roles|set-password`: humans and their roles. */
import type { Command } from 'commander';
import { adminCreateUser, adminSetDisabled, adminSetRoles } from '../../access/admin.ts';
import type { HumanRole } from '../../access/types.ts';
import { listUsers, setUserPassword, type User } from '../../access/users.ts';
import { recordInTx } from '../../audit/service.ts';
import { loadConfig } from '../../config.ts';
import { cliActor, cliRun, output, printJson, readStdin, splitList } from '../admin.ts';
import { CliError, EXIT } from '../index.ts';
import { withStore } from '../store.ts';

function describe(u: User): string {
  return `${u.id}  ${u.name}  [${u.roles.join(',') || 'no roles'}]${u.disabledAt ? `  disabled ${u.disabledAt}` : ''}`;
}

async function password(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliError(
      'give the password on standard input, e.g. `printf %s "$PW" | seam users ...`',
      EXIT.usage,
    );
  const pw = await readStdin();
  if (!pw) throw new CliError('no password on standard input', EXIT.usage);
  return pw;
}

export function registerUsers(program: Command): void {
  const users = program
    .command('users')
    .description('manage humans (operators, approvers, admins, auditors)');

  users
    .command('create')
    .description('create a human; the password is read from standard input')
    .requiredOption('--name <name>', 'login name')
    .option('--roles <list>', 'comma-separated: operator,approver,admin,auditor', '')
    .option('--display-name <text>', 'full name')
    .option('--password-stdin', 'read the password from standard input (the default; never an argument)')
    .option('--json', 'print JSON')
    .action(async (o: { name: string; roles: string; displayName?: string; json?: boolean }) => {
      const pw = await password();
      const u = await withStore(loadConfig(), (store) =>
        cliRun(() =>
          adminCreateUser(
            { store, actor: cliActor() },
            {
              name: o.name,
              password: pw,
              roles: splitList(o.roles) as HumanRole[],
              ...(o.displayName ? { displayName: o.displayName } : {}),
            },
          ),
        ),
      );
      if (o.json) printJson(u);
      else output.write(`created ${describe(u)}\n`);
    });

  users
    .command('list')
    .description('list humans')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await withStore(loadConfig(), (store) => listUsers(store));
      if (o.json) printJson({ items: list });
      else output.write(list.length ? list.map(describe).join('\n') + '\n' : 'no users\n');
    });

  for (const disabled of [true, false]) {
    users
      .command(disabled ? 'disable' : 'enable')
      .description(disabled ? 'disable a human and end their sessions' : 'enable a disabled human')
      .argument('<user>', 'name or id')
      .option('--json', 'print JSON')
      .action(async (user: string, o: { json?: boolean }) => {
        const u = await withStore(loadConfig(), (store) =>
          cliRun(() => adminSetDisabled({ store, actor: cliActor() }, user, disabled)),
        );
        if (o.json) printJson(u);
        else output.write(`${disabled ? 'disabled' : 'enabled'} ${describe(u)}\n`);
      });
  }

  users
    .command('set-roles')
    .description('replace a human’s roles')
    .argument('<user>', 'name or id')
    .requiredOption('--roles <list>', 'comma-separated: operator,approver,admin,auditor (empty for none)')
    .option('--json', 'print JSON')
    .action(async (user: string, o: { roles: string; json?: boolean }) => {
      const u = await withStore(loadConfig(), (store) =>
        cliRun(() => adminSetRoles({ store, actor: cliActor() }, user, splitList(o.roles) as HumanRole[])),
      );
      if (o.json) printJson(u);
      else output.write(`${describe(u)}\n`);
    });

  users
    .command('set-password')
    .description('set a human’s password from standard input (ends their sessions)')
    .argument('<user>', 'name or id')
    .option('--password-stdin', 'read the password from standard input (the default)')
    .action(async (user: string) => {
      const pw = await password();
      await withStore(loadConfig(), (store) =>
        cliRun(() =>
          store.transaction(async (tx) => {
            await setUserPassword(tx, user, pw);
            await recordInTx(tx, {
              actor: cliActor(),
              action: 'user.set-password',
              records: [`users/${user}`],
            });
          }),
        ),
      );
      output.write(`password set for ${user}\n`);
    });
}
