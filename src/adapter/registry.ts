/**
 * The adapter registry: loads the configured adapters from `adapters/<name>/index.ts` and exposes
 * them at runtime as the `systems` service (published by src/legacy/module.ts):
 *
 *   const systems = service(ctx, 'systems');
 *   systems.list()                      every loaded system (adapter + endpoint + live health)
 *   systems.system('erp')               one system by id
 *   systems.resource('accounts')        the handle of a resource (names are unique across systems):
 *     .def                              its ResourceDefinition (schema, key, sensitive, filterable)
 *     .normaliseKey(id)                 an agent's id in the legacy form
 *     .fetchOne(key)                    live read over the guarded legacy client, validated
 *     .fetchPage({ pageSize, ... })     live page (resources with a listing operation), validated
 *     .maintenance()                    is the system in a maintenance window, and until when
 *   systems.addInfo(fn)                 add fields to each system's GET /v1/systems entry (e.g. mode)
 *   systems.wrapResources(fn)           wrap every resource handle (shadow mode compares reads)
 *
 * Live reads throw LegacyError (src/legacy/errors.ts), which the problem mapper turns into
 * problem+json. A record that fails its schema never leaves this file: single reads throw
 * `invalid_record`, pages drop the record and count it in `rejected`.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { LEGACY_ERROR, LegacyError } from '../legacy/errors.ts';
import type { BreakerState, GuardedResult } from '../legacy/guard.ts';
import type { MaintenanceState } from '../legacy/maintenance.ts';
import type { Logger } from '../log.ts';
import { NormaliseError } from './normalise.ts';
import type { AnyResource, LegacyCaller, PageRequest } from './resource.ts';
import type { AdapterDefinition } from './types.ts';

export const ADAPTERS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../adapters');

/** Paths under /v1 that other areas own; a resource may not take these names. */
export const RESERVED_RESOURCE_NAMES = [
  'systems',
  'events',
  'proposals',
  'audit',
  'keys',
  'users',
  'sessions',
  'ingest',
  'feeds',
  'mode',
  'me',
  'admin',
];

/** A record as read live: validated, with its key and when the legacy system said so. */
export interface LiveRecord {
  key: string;
  data: Record<string, unknown>;
  /** When the legacy system gave this answer (earlier than now if it came from the short cache). */
  at: Date;
  /** The legacy operation(s) that produced it, for provenance. */
  operation: string;
}

export interface LivePage {
  records: LiveRecord[];
  /** Records in the answer that failed their schema and were dropped. */
  rejected: number;
  next?: string;
}

/** What the registry needs from the legacy area for one system (a LegacyGuard satisfies it). */
export interface SystemConnection {
  read(operation: string, args: Record<string, unknown>): Promise<GuardedResult>;
  breakerState(): BreakerState;
  maintenanceState(): MaintenanceState;
  load(): { queued: number; inFlight: number };
  /** Run one call that is not a guarded read (a gated write) in one of the system's slots. */
  inSlot<T>(operation: string, run: () => Promise<T>): Promise<T>;
}

export interface Endpoint {
  /** `configured`: an operator-given URL; `simulator`: the adapter's loopback stand-in; `none`. */
  kind: 'configured' | 'simulator' | 'none';
  url?: string;
}

export interface ResourceHandle {
  readonly system: string;
  readonly def: AnyResource;
  normaliseKey(id: string): string;
  /** undefined when the adapter reports no such record without a Fault. */
  fetchOne(key: string): Promise<LiveRecord | undefined>;
  /** Present when the resource has a listing operation. */
  fetchPage?(page: PageRequest): Promise<LivePage>;
  maintenance(): MaintenanceState;
}

export interface SystemHandle {
  readonly id: string;
  readonly adapter: AdapterDefinition;
  readonly endpoint: Endpoint;
  readonly resources: readonly ResourceHandle[];
  health(): {
    breaker: BreakerState;
    maintenance: MaintenanceState;
    queued: number;
    inFlight: number;
  } | null;
  /**
   * Run `run` in one of the system's slots (its bulkhead and calls/second limit), so calls that are
   * not guarded reads (gated writes) never put more on the box than its declared concurrency.
   * Without a connection it runs at once (nothing else calls the system then).
   */
  inSlot<T>(operation: string, run: () => Promise<T>): Promise<T>;
}

export type SystemInfo = (system: SystemHandle) => Record<string, unknown>;

export interface Systems {
  list(): readonly SystemHandle[];
  system(id: string): SystemHandle | undefined;
  resource(name: string): ResourceHandle | undefined;
  addInfo(fn: SystemInfo): void;
  /**
   * Replace every resource handle by `fn(handle)` (e.g. shadow mode's comparing wrapper,
   * src/adapter/shadow.ts). Call it during init, before the records area mounts its routes.
   */
  wrapResources(fn: (h: ResourceHandle) => ResourceHandle): void;
  /** Extra fields other areas contributed for this system. */
  info(system: SystemHandle): Record<string, unknown>;
}

const SYSTEM_ID = /^[a-z][a-z0-9_-]{0,30}$/;
const RESOURCE_NAME = /^[a-z][a-z0-9-]{0,40}$/;

/** Check an adapter against the contract; throws naming what is wrong. */
export function checkAdapter(a: AdapterDefinition, where = a.system): void {
  const fail = (msg: string) => {
    throw new Error(`adapter ${where}: ${msg}`);
  };
  if (!SYSTEM_ID.test(a.system)) fail(`system id "${a.system}" must be lower-case letters, digits, - or _`);
  for (const r of a.resources) {
    if (!RESOURCE_NAME.test(r.name)) fail(`resource name "${r.name}" must be lower-case and URL-safe`);
    if (RESERVED_RESOURCE_NAMES.includes(r.name)) fail(`resource name "${r.name}" is reserved`);
    const shape = r.schema instanceof z.ZodObject ? (r.schema.shape as Record<string, unknown>) : undefined;
    if (shape) {
      for (const f of [r.key, ...r.sensitive, ...r.filterable])
        if (!(f in shape)) fail(`resource ${r.name}: field "${f}" is not in its schema`);
    }
    if (r.poll && !r.fetchPage) fail(`resource ${r.name}: a poll needs fetchPage`);
  }
  if (a.soap) {
    for (const [op, kind] of Object.entries(a.soap.operations))
      if (kind !== 'read' && kind !== 'write') fail(`operation ${op}: kind must be read or write`);
    const l = a.soap.limits;
    if (l.maxConcurrency < 1 || l.queueSize < 0 || l.timeoutMs < 1 || l.callsPerSecond < 1)
      fail('soap limits must be positive');
  }
  if (a.soap && a.http) fail('declare soap or http, not both');
  if (a.http) {
    for (const [op, o] of Object.entries(a.http.operations)) {
      if (o.kind !== 'read' && o.kind !== 'write') fail(`operation ${op}: kind must be read or write`);
      if (!o.path.startsWith('/')) fail(`operation ${op}: path must start with /`);
    }
    const l = a.http.limits;
    if (l.maxConcurrency < 1 || l.queueSize < 0 || l.timeoutMs < 1 || l.callsPerSecond < 1)
      fail('http limits must be positive');
  }
}

/** Import `adapters/<name>/index.ts` for each name; check each and that resource names are unique. */
export async function loadAdapters(
  names: readonly string[],
  dir = ADAPTERS_DIR,
): Promise<AdapterDefinition[]> {
  const out: AdapterDefinition[] = [];
  for (const name of names) {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`adapter name "${name}" is not a folder name`);
    const file = path.join(dir, name, 'index.ts');
    let mod: { default?: AdapterDefinition };
    try {
      mod = (await import(pathToFileURL(file).href)) as { default?: AdapterDefinition };
    } catch (err) {
      throw new Error(`cannot load adapter "${name}" from ${file}`, { cause: err });
    }
    if (!mod.default) throw new Error(`adapter "${name}" has no default export (use defineAdapter)`);
    checkAdapter(mod.default, name);
    out.push(mod.default);
  }
  checkUnique(out);
  return out;
}

function checkUnique(adapters: readonly AdapterDefinition[]): void {
  const systems = new Set<string>();
  const resources = new Map<string, string>();
  for (const a of adapters) {
    if (systems.has(a.system)) throw new Error(`two adapters declare system "${a.system}"`);
    systems.add(a.system);
    for (const r of a.resources) {
      const other = resources.get(r.name);
      if (other) throw new Error(`resource "${r.name}" is served by both ${other} and ${a.system}`);
      resources.set(r.name, a.system);
    }
  }
}

export interface SystemEntry {
  adapter: AdapterDefinition;
  endpoint: Endpoint;
  /** Undefined when the system has no way to be called (no endpoint): live reads answer 503. */
  connection?: SystemConnection;
}

/** Build the `systems` service over loaded adapters and their guarded connections. */
export function createSystems(
  entries: readonly SystemEntry[],
  log: Logger,
  onInvalid?: (system: string, resource: string) => void,
): Systems {
  checkUnique(entries.map((e) => e.adapter));
  const infos: SystemInfo[] = [];
  const byResource = new Map<string, ResourceHandle>();
  const handles: SystemHandle[] = entries.map((e) => {
    const system = e.adapter.system;
    const noMaintenance: MaintenanceState = { active: false };
    const resources = e.adapter.resources.map((def) => {
      const validate = (raw: unknown): { key: string; data: Record<string, unknown> } | undefined => {
        const r = def.schema.safeParse(raw);
        if (!r.success) {
          onInvalid?.(system, def.name);
          // Paths and codes only: values may be personal data.
          log.warn(
            {
              system,
              resource: def.name,
              issues: r.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code })),
            },
            'legacy record failed its schema; not served',
          );
          return undefined;
        }
        return { key: String(r.data[def.key]), data: r.data };
      };
      // One caller per fetch, remembering the oldest answer and the operations used.
      const caller = () => {
        const seen = { at: undefined as Date | undefined, ops: new Set<string>() };
        const legacy: LegacyCaller = {
          async call(operation, args) {
            if (!e.connection)
              throw new LegacyError({
                system,
                operation,
                kind: LEGACY_ERROR.unavailable,
                message: `no endpoint is configured for ${system}`,
                retryAfterSeconds: 60,
              });
            const r = await e.connection.read(operation, args);
            seen.ops.add(operation);
            if (!seen.at || r.at < seen.at) seen.at = r.at;
            return r.value;
          },
        };
        return { legacy, seen };
      };
      const invalid = (operation: string, message: string) =>
        new LegacyError({ system, operation, kind: LEGACY_ERROR.invalidRecord, message });
      const handle: ResourceHandle = {
        system,
        def,
        normaliseKey: (id) => (def.normaliseKey ? def.normaliseKey(id) : id),
        async fetchOne(key) {
          const { legacy, seen } = caller();
          let raw: unknown;
          try {
            raw = await def.fetchOne(legacy, key);
          } catch (err) {
            if (err instanceof NormaliseError) {
              onInvalid?.(system, def.name);
              log.warn(
                { system, resource: def.name, field: err.field },
                'legacy record could not be normalised',
              );
              throw invalid(
                [...seen.ops].join('+') || def.name,
                `a ${def.entity} from ${system} could not be read (${err.field})`,
              );
            }
            throw err;
          }
          if (raw === undefined) return undefined;
          const v = validate(raw);
          const operation = [...seen.ops].join('+');
          if (!v) throw invalid(operation, `the ${def.entity} ${system} sent does not validate`);
          return { ...v, at: seen.at ?? new Date(), operation };
        },
        ...(def.fetchPage
          ? {
              async fetchPage(page: PageRequest) {
                const { legacy, seen } = caller();
                const p = await def.fetchPage!(legacy, page);
                const at = seen.at ?? new Date();
                const operation = [...seen.ops].join('+');
                const records: LiveRecord[] = [];
                let rejected = 0;
                for (const raw of p.records) {
                  const v = validate(raw);
                  if (v) records.push({ ...v, at, operation });
                  else rejected++;
                }
                return { records, rejected, ...(p.next ? { next: p.next } : {}) };
              },
            }
          : {}),
        maintenance: () => e.connection?.maintenanceState() ?? noMaintenance,
      };
      byResource.set(def.name, handle);
      return handle;
    });
    return {
      id: system,
      adapter: e.adapter,
      endpoint: e.endpoint,
      resources,
      health: () =>
        e.connection
          ? {
              breaker: e.connection.breakerState(),
              maintenance: e.connection.maintenanceState(),
              ...e.connection.load(),
            }
          : null,
      inSlot: (operation, run) => (e.connection ? e.connection.inSlot(operation, run) : run()),
    };
  });
  return {
    list: () => handles,
    system: (id) => handles.find((h) => h.id === id),
    resource: (name) => byResource.get(name),
    addInfo: (fn) => void infos.push(fn),
    wrapResources(fn) {
      for (const s of handles) {
        const rs = s.resources as ResourceHandle[];
        for (let i = 0; i < rs.length; i++) {
          const w = fn(rs[i]!);
          rs[i] = w;
          byResource.set(w.def.name, w);
        }
      }
    },
    info: (h) => Object.assign({}, ...infos.map((fn) => fn(h))) as Record<string, unknown>,
  };
}
