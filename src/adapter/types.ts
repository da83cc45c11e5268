/**
 * The adapter contract: everything seam knows about one legacy system, declared by
 * `adapters/<system>/index.ts` with zod schemas. src/ reads adapters only through these types.
 *
 * Parts are owned by areas: the scope, SOAP settings and resources by the legacy/read facade
 * (./resource.ts, ./scope.ts), feeds by ingest (./feed.ts), proposal types by proposals
 * (./proposal-type.ts).
 */
import type { FeedDefinition } from './feed.ts';
import type { HttpSettings } from './http.ts';
import type { ProposalTypeDefinition } from './proposal-type.ts';
import type { AnyResource, SimulatorFactory, SoapSettings } from './resource.ts';
import type { ScopeDocument } from './scope.ts';

export interface AdapterDefinition {
  /** Stable system id used in URLs, events and records (e.g. `erp`). Lower-case. */
  system: string;
  /** Human name of the legacy system. */
  title: string;
  scope: ScopeDocument;
  soap?: SoapSettings;
  /** A system that answers JSON over HTTP instead of SOAP (./http.ts): declare `soap` or `http`. */
  http?: HttpSettings;
  resources: AnyResource[];
  /** Optional loopback stand-in started when no endpoint is configured (demo, tests). */
  simulator?: SimulatorFactory;
  feeds: FeedDefinition[];
  proposalTypes: ProposalTypeDefinition[];
}

export function defineAdapter(def: AdapterDefinition): AdapterDefinition {
  return def;
}
