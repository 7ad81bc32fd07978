/**
 * Connections to registries and to the hosts they send us to: fetch init per kind of host (an undici dispatcher
 * with the extra CA and the egress policy's name resolution), and the error code a failed fetch carries.
 */
import { rootCertificates } from 'node:tls';
import { onRegistryHost, type ConnectionKind, type EgressPolicy, type LookupFunction } from './egress.js';
import { RegistryError } from './errors.js';

/** Fetch init (a dispatcher) per kind of connection: admin-named hosts, registries, the hosts they send us to. */
export type Dispatchers = Readonly<Record<ConnectionKind, RequestInit>>;

/**
 * The kind of connection to `url`: to a host the admin named, to the registry's own host name (a redirect or realm
 * there is the registry's own business), or to anything else the registry sent us to.
 */
export function connectionKind(egress: EgressPolicy, url: URL, registryHost: string): ConnectionKind {
  if (egress.trusts(url.host)) return 'trusted';
  return onRegistryHost(url, registryHost) ? 'registry' : 'external';
}

/**
 * A dispatcher that trusts the system CAs plus `ca` and resolves names with `lookup`, built from the Agent class of
 * Node's own bundled undici: the npm `undici` package's Agent is not compatible with the global fetch of another
 * undici version, and Node creates its global dispatcher on the first fetch, hence the data: URL fetch.
 */
export async function dispatcherWith(connect: { ca: readonly string[] | undefined; lookup: LookupFunction | undefined }): Promise<unknown> {
  const key = Symbol.for('undici.globalDispatcher.1');
  if ((globalThis as Record<symbol, unknown>)[key] === undefined) await fetch('data:,');
  const global = (globalThis as Record<symbol, unknown>)[key];
  if (typeof global !== 'object' || global === null) throw new RegistryError('tls', 'config', 'cannot configure connections: Node has no global undici dispatcher');
  const AgentClass = global.constructor as new (opts: unknown) => unknown;
  return new AgentClass({
    connect: {
      ...(connect.ca !== undefined ? { ca: [...rootCertificates, ...connect.ca] } : {}),
      ...(connect.lookup !== undefined ? { lookup: connect.lookup } : {}),
    },
  });
}

/** The innermost `code` of an error chain (fetch wraps socket errors in `cause`). */
export function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  let found: string | undefined;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if ('code' in current && typeof current.code === 'string') found = current.code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return found;
}

