/**
 * Name resolution under the test's control, for Node's global fetch (what the registry client uses): named hosts
 * resolve to loopback, or fail with ENOTFOUND as a DNS failure does, and every other name that is not loopback fails
 * the same way without asking a resolver. So a test can break DNS for a registry, and a fuzzed image reference can
 * never send traffic off this machine. Installed for the whole process (undici's global dispatcher).
 */
import { lookup as systemLookup, type LookupAddress, type LookupOptions } from 'node:dns';

export interface TestResolver {
  /** Resolve `host` to 127.0.0.1 from now on. */
  serve(host: string): void;
  /** Fail lookups of `host` with ENOTFOUND from now on (a DNS failure). */
  fail(host: string): void;
  /** How many lookups of `host` were answered so far, either way. */
  lookups(host: string): number;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

const served = new Set<string>();
const counts = new Map<string, number>();

/**
 * The test resolver's lookup: loopback names as the system resolves them, served names to 127.0.0.1, every other
 * name ENOTFOUND without asking a resolver. `serve` gets it as its registry lookup (CommandIo.lookup).
 */
export const testLookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
  const host = hostname.toLowerCase();
  counts.set(host, (counts.get(host) ?? 0) + 1);
  if (LOOPBACK_NAMES.has(host) || /^127\./.test(host)) {
    systemLookup(host, options, callback);
    return;
  }
  if (served.has(host)) {
    if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  error.code = 'ENOTFOUND';
  error.syscall = 'getaddrinfo';
  process.nextTick(() => callback(error, ''));
};

const resolver: TestResolver = {
  serve: (host) => served.add(host.toLowerCase()),
  fail: (host) => served.delete(host.toLowerCase()),
  lookups: (host) => counts.get(host.toLowerCase()) ?? 0,
};

let installed = false;

/** Replaces the global fetch's dispatcher with one whose connections resolve names through the test resolver. */
export async function installTestResolver(): Promise<TestResolver> {
  if (installed) return resolver;
  // The Agent class of Node's own bundled undici (the npm package's would not match the global fetch): Node creates
  // the global dispatcher on the first fetch.
  if ((globalThis as Record<symbol, unknown>)[DISPATCHER] === undefined) await fetch('data:,');
  const current = (globalThis as Record<symbol, unknown>)[DISPATCHER];
  if (typeof current !== 'object' || current === null) throw new Error('Node has no global undici dispatcher');
  const AgentClass = current.constructor as new (options: unknown) => unknown;
  (globalThis as Record<symbol, unknown>)[DISPATCHER] = new AgentClass({ connect: { lookup: testLookup } });
  installed = true;
  return resolver;
}
