/** The proposal types of every loaded adapter, by id (ids are unique across systems: they are scopes). */
import type { AnyProposalType } from '../adapter/proposal-type.ts';
import type { AdapterDefinition } from '../adapter/types.ts';

export interface TypeEntry {
  system: string;
  def: AnyProposalType;
  /** Who is paged when something about this system goes wrong (the adapter's scope document). */
  escalation: string;
  /** Snapshot feeds that keep the target resource current: their next file is evidence for verification. */
  snapshotFeeds: string[];
}

export interface Catalog {
  get(id: string): TypeEntry | undefined;
  ids(): string[];
  all(): TypeEntry[];
}

export function buildCatalog(adapters: readonly AdapterDefinition[]): Catalog {
  const byId = new Map<string, TypeEntry>();
  for (const a of adapters) {
    const snapshotFeedsOf = (resource: string) =>
      a.feeds.filter((f) => f.target.resource === resource && f.mode.kind === 'snapshot').map((f) => f.name);
    for (const t of a.proposalTypes as AnyProposalType[]) {
      if (byId.has(t.id))
        throw new Error(
          `Proposal type "${t.id}" is declared by both ${byId.get(t.id)!.system} and ${a.system}`,
        );
      if (!a.resources.some((r) => r.name === t.resource))
        throw new Error(`Proposal type "${t.id}" of ${a.system} targets unknown resource "${t.resource}"`);
      if (t.reversal.kind === 'reversible' && t.reversal.type) {
        const other = t.reversal.type;
        if (!(a.proposalTypes as AnyProposalType[]).some((x) => x.id === other))
          throw new Error(`Proposal type "${t.id}" is reversed by unknown type "${other}"`);
      }
      byId.set(t.id, {
        system: a.system,
        def: t,
        escalation: a.scope.escalation,
        snapshotFeeds: snapshotFeedsOf(t.resource),
      });
    }
  }
  return {
    get: (id) => byId.get(id),
    ids: () => [...byId.keys()].sort(),
    all: () => [...byId.values()],
  };
}
