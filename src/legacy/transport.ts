/**
 * One transport per system, whichever way the adapter says the system is reached: SOAP (./soap.ts)
 * or JSON over HTTP (./http.ts). Both make exactly one call per `call()` and fail with LegacyError,
 * so the guard in front of them (./guard.ts) does not care which it is.
 */
import { operationKinds } from '../adapter/http.ts';
import type { LegacyLimits, OperationKind } from '../adapter/resource.ts';
import type { AdapterDefinition } from '../adapter/types.ts';
import { createHttpTransport } from './http.ts';
import { createSoapTransport, type Transport } from './soap.ts';

/** How the adapter reaches its system (`soap` or `http`), or undefined when it declares neither. */
export function linkOf(adapter: AdapterDefinition) {
  return adapter.soap ?? adapter.http;
}

/** What an operation of the adapter does (`read` or `write`), or undefined when it is not declared. */
export function operationKind(adapter: AdapterDefinition, operation: string): OperationKind | undefined {
  if (adapter.soap) return adapter.soap.operations[operation];
  return adapter.http?.operations[operation]?.kind;
}

export function createTransport(
  adapter: AdapterDefinition,
  o: { endpoint: string; credentials?: { username: string; password: string }; limits: LegacyLimits },
): { transport: Transport & { close(): void }; operations: Record<string, OperationKind> } {
  const common = {
    system: adapter.system,
    endpoint: o.endpoint,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    timeoutMs: o.limits.timeoutMs,
    maxResponseBytes: o.limits.maxResponseBytes,
    maxSockets: o.limits.maxConcurrency,
  };
  if (adapter.soap)
    return {
      transport: createSoapTransport({ ...common, settings: adapter.soap }),
      operations: adapter.soap.operations,
    };
  if (adapter.http)
    return {
      transport: createHttpTransport({ ...common, settings: adapter.http }),
      operations: operationKinds(adapter.http),
    };
  throw new Error(`adapter ${adapter.system} declares no way to reach its system (soap or http)`);
}
