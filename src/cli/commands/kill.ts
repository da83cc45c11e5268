/** `seam kill [--agent KEYID|NAME] [--off]`: the kill switch, honoured by every process within a second. */
import type { Command } from 'commander';
import { adminKill, adminUnkill } from '../../access/admin.ts';
import { listSuspensions } from '../../access/killswitch.ts';
import { loadConfig } from '../../config.ts';
import { cliActor, cliRun, output, printJson } from '../admin.ts';
import { withStore } from '../store.ts';

export function registerKill(program: Command): void {
  program
    .command('kill')
    .description('stop all agent access at once (or one agent’s); --off lifts it; --status shows it')
    .option('--agent <keyIdOrName>', 'only this agent: a key id, or an agent name (all its keys)')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--off', 'lift the kill (for --agent, or every suspension when no agent is given)')
    .option('--status', 'show what is suspended and change nothing')
    .option('--json', 'print JSON')
    .action(
      async (o: { agent?: string; reason?: string; off?: boolean; status?: boolean; json?: boolean }) => {
        const suspensions = await withStore(loadConfig(), (store) =>
          cliRun(async () => {
            const a = { store, actor: cliActor() };
            if (o.off) await adminUnkill(a, o.agent);
            else if (!o.status) await adminKill(a, o.agent, o.reason);
            return listSuspensions(store);
          }),
        );
        if (o.json) printJson({ suspensions });
        else if (suspensions.length === 0) output.write('no agent is suspended\n');
        else
          output.write(
            suspensions
              .map(
                (s) =>
                  `suspended ${s.target === '*' ? 'ALL AGENTS' : s.target} since ${s.createdAt} by ${s.createdBy}`,
              )
              .join('\n') + '\n',
          );
      },
    );
}
