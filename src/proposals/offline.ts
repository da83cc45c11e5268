/**
 * The proposals service for a command-line run: the same workflow on the same database, without a
 * live connection to the legacy system (targets are read from seam's stored copy; verification is
 * left to the running service) and without any write path.
 */
import { defaultAdapters } from '../../adapters/defaults.ts';
import { humanPrincipal } from '../access/sessions.ts';
import type { Principal, HumanRole } from '../access/types.ts';
import { findUser } from '../access/users.ts';
import { loadAdapters } from '../adapter/registry.ts';
import { recordInTx } from '../audit/service.ts';
import type { Config } from '../config.ts';
import { Problem } from '../http/problem.ts';
import { areaLogger, createLogger } from '../log.ts';
import type { Store } from '../store/types.ts';
import { buildCatalog } from './catalog.ts';
import type { ProposalDeps } from './deps.ts';
import { createJournal, type AuditSink } from './journal.ts';
import { loadPolicy } from './policy.ts';
import { createProposalService, type ProposalService } from './service.ts';

export async function offlineProposals(config: Config, store: Store): Promise<ProposalService> {
  const adapters = await loadAdapters(config.legacy.adapters ?? defaultAdapters);
  const audit: AuditSink = { record: async (tx, e) => void (await recordInTx(tx, e)) };
  const deps: ProposalDeps = {
    store,
    log: areaLogger(
      createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level }),
      'proposals',
    ),
    policy: loadPolicy(config.proposals.policyFile),
    catalog: buildCatalog(adapters),
    journal: createJournal(audit),
    ...(config.proposals.goLive ? { goLive: config.proposals.goLive } : {}),
    now: () => new Date(),
  };
  return createProposalService(deps, audit);
}

/** The person a CLI run acts as (`--as NAME`), who must hold one of the roles. */
export async function personAs(store: Store, name: string, roles: HumanRole[]): Promise<Principal> {
  const u = await findUser(store, name);
  if (!u || u.disabled_at)
    throw new Problem({
      status: 404,
      code: 'user_not_found',
      title: 'No such user',
      detail: `${name} (or disabled)`,
    });
  if (!u.roles.some((r) => roles.includes(r)))
    throw new Problem({
      status: 403,
      code: 'forbidden',
      title: 'Forbidden',
      detail: `${u.name} needs the role ${roles.join(' or ')}.`,
    });
  return humanPrincipal(u);
}
