/** What the proposal workflow needs from the rest of seam, in one place (and replaceable in tests). */
import type { Principal } from '../access/types.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/types.ts';
import type { Catalog } from './catalog.ts';
import type { Journal } from './journal.ts';
import type { Policy } from './policy.ts';
import type { Actor } from './types.ts';

/** Reads the system of record itself (not seam's copy). */
export interface LiveReader {
  /**
   * Read one record live and bring seam's copy up to date (so its version can be pinned).
   * Resolves undefined when the system says the record does not exist; throws when it cannot be reached.
   */
  read(system: string, resource: string, key: string): Promise<Record<string, unknown> | undefined>;
}

/** Calls a legacy write operation. Only gated-write ever gets one; proposal mode has none. */
export interface LegacyWriter {
  /** Can the system take a write now (not in a maintenance window, breaker not open)? */
  available(system: string): boolean;
  /** Throws WriteNotSent when nothing reached the legacy system. */
  write(system: string, operation: string, args: Record<string, unknown>): Promise<unknown>;
}

/** A write that certainly did not reach the legacy system (no credential, no endpoint...). */
export class WriteNotSent extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteNotSent';
  }
}

export interface ProposalDeps {
  store: Store;
  log: Logger;
  policy: Policy;
  catalog: Catalog;
  journal: Journal;
  live?: LiveReader;
  /** Resolved only when a gated-write execution is about to happen (the credential is read then). */
  writer?: () => LegacyWriter | undefined;
  /** SEAM_GO_LIVE, when set. */
  goLive?: string;
  now: () => Date;
}

export function actorOf(p: Principal): Actor {
  return { kind: p.kind, id: p.id, name: p.name };
}
