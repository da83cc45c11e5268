/**
 * Every proposal transition leaves two traces, written in the transaction that makes it: an event
 * (`seam.proposal.<transition>`, subject `proposals/<id>`) for agents and other systems, and an
 * audit row for the people who must answer "who did what".
 */
import { appendEvents } from '../events/append.ts';
import type { Queryable } from '../store/types.ts';
import type { Actor, DbProposal } from './types.ts';

export const PROPOSALS_SOURCE = 'seam/proposals';

/** What the proposals area needs of the audit trail: record one entry inside a transaction. */
export interface AuditSink {
  record(
    tx: Queryable,
    entry: {
      actor: Actor;
      action: string;
      records: string[];
      input?: unknown;
      decision?: 'allowed' | 'denied';
      reason?: string;
      result?: unknown;
      at: Date;
    },
  ): Promise<void>;
}

export const noAudit: AuditSink = { record: async () => undefined };

export type Transition =
  | 'proposed'
  | 'approved'
  | 'queued'
  | 'rejected'
  | 'expired'
  | 'escalated'
  | 'stale'
  | 'rechecked'
  | 'claimed'
  | 'released'
  | 'executed'
  | 'failed'
  | 'verified'
  | 'mismatch'
  | 'write_uncertain'
  | 'rollback_planned';

export interface Journal {
  /** Write the event and the audit row of one transition; returns the event's position. */
  write(
    tx: Queryable,
    p: DbProposal,
    transition: Transition,
    actor: Actor,
    data?: Record<string, unknown>,
    at?: Date,
  ): Promise<number>;
}

export function createJournal(audit: AuditSink): Journal {
  return {
    async write(tx, p, transition, actor, data = {}, at = new Date()) {
      const subject = `proposals/${p.id}`;
      const [position] = await appendEvents(tx, [
        {
          source: PROPOSALS_SOURCE,
          type: `seam.proposal.${transition}`,
          subject,
          time: at,
          data: {
            id: p.id,
            reference: `P-${p.number}`,
            system: p.system,
            type: p.type,
            target: `${p.resource}/${p.target_key}`,
            state: p.state,
            stale: p.stale,
            actor,
            ...data,
          },
          aggregateType: 'proposal',
          aggregateId: p.id,
        },
      ]);
      await audit.record(tx, {
        actor,
        action: `proposal.${transition}`,
        records: [subject, `${p.resource}/${p.target_key}`],
        input: data,
        result: { state: p.state, stale: p.stale },
        at,
      });
      return position!;
    },
  };
}
