/**
 * Where the guard may connect. Image names, and the redirects and token realms their registries answer with, are
 * chosen by whoever creates a Pod; in `serve` they must not make the guard reach its own pod (loopback), the node
 * or cloud metadata (link-local, 169.254.169.254), or internal services behind a redirect.
 *
 * Two modes: `open` for the CLI on a developer's machine (loopback registries over plain HTTP, any address), and
 * `guarded` for `serve`:
 * - the registry of an image: HTTPS; any address except loopback, link-local, unspecified, multicast and reserved
 *   ranges (private ranges are allowed: in-cluster registries live there; an egress NetworkPolicy narrows it);
 * - a blob redirect or a token realm on another host: HTTPS and a public address only (private with
 *   `allowPrivateRedirects`); on the registry's own host name, the registry's rules;
 * - hosts the admin named (insecure registries, mirrors; host[:port] or CIDR): trusted at any address, and plain
 *   HTTP where listed insecure.
 * Addresses are checked where the connection is made (the resolved address, not the name), so a name that
 * resolves differently the second time (DNS rebinding) gains nothing.
 */
import { lookup as systemLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

export type EgressMode = 'open' | 'guarded';

/** What a connection is for: the image's registry, or a host that registry sent us to. */
export type EgressPurpose = 'registry' | 'redirect' | 'token-realm';

export interface EgressOptions {
  readonly mode: EgressMode;
  /** Admin-named hosts: "host", "host:port" or an IP range "10.0.0.0/8" (matched against IP-literal hosts). */
  readonly trusted?: readonly string[];
  /** Hosts spoken to over plain HTTP (the same forms); in `open` mode loopback hosts too. */
  readonly plainHttp?: readonly string[];
  /** Follow redirects and token realms to private addresses (RFC 1918, fc00::/7, 100.64.0.0/10) too. */
  readonly allowPrivateRedirects?: boolean;
}

/** Node's dns.lookup signature, as net.connect calls it (with `all` under autoSelectFamily). */
export type LookupFunction = (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => void;
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

const RANGES: ReadonlyArray<readonly [AddressClass, string, number, 'ipv4' | 'ipv6']> = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['private', '100.64.0.0', 10, 'ipv4'], // RFC 6598 carrier-grade NAT: cluster networks use it
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'], // includes 255.255.255.255
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
  ['reserved', '64:ff9b:1::', 48, 'ipv6'],
];

const BLOCKS: ReadonlyArray<readonly [AddressClass, BlockList]> = (() => {
  const byClass = new Map<AddressClass, BlockList>();
  for (const [kind, network, prefix, family] of RANGES) {
    let list = byClass.get(kind);
    if (list === undefined) byClass.set(kind, (list = new BlockList()));
    list.addSubnet(network, prefix, family);
  }
  return [...byClass];
})();

/** The class of an IP address (IPv4-mapped IPv6 addresses count as their IPv4 address); 'reserved' if not an IP. */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of BLOCKS) if (list.check(address, type)) return kind;
  return 'public';
}

/** The address classes a connection for `purpose` may reach, in guarded mode, unless the host is trusted. */
function allowedClasses(purpose: EgressPurpose, allowPrivateRedirects: boolean): ReadonlySet<AddressClass> {
  if (purpose === 'registry') return new Set<AddressClass>(['public', 'private']);
  return new Set<AddressClass>(allowPrivateRedirects ? ['public', 'private'] : ['public']);
}

export class EgressError extends Error {
  override readonly name = 'EgressError';
  readonly code = 'EGRESS_REFUSED';
}

/** Matches admin-named hosts: exact host[:port], a host name at any port, or an IP literal inside a CIDR. */
export function adminHostMatcher(entries: readonly string[]): (hostWithPort: string) => boolean {
  const names = new Set<string>();
  const ranges = new BlockList();
  let hasRanges = false;
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    const slash = entry.indexOf('/');
    if (slash !== -1) {
      const network = entry.slice(0, slash);
      const prefix = Number(entry.slice(slash + 1));
      const family = isIP(network);
      if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new EgressError(`${JSON.stringify(raw)} is neither host[:port] nor an IP range like 10.0.0.0/8`);
      }
      ranges.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
      hasRanges = true;
    } else if (entry !== '') names.add(entry);
  }
  return (hostWithPort) => {
    const host = hostWithPort.toLowerCase();
    if (names.has(host)) return true;
    const { hostname } = splitHost(host);
    if (names.has(hostname)) return true;
    const family = isIP(hostname);
    return hasRanges && family !== 0 && ranges.check(hostname, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/** "[::1]:5000" → { hostname: "::1", port: "5000" }; "gcr.io" → { hostname: "gcr.io", port: "" }. No regex. */
export function splitHost(hostWithPort: string): { hostname: string; port: string } {
  if (hostWithPort.startsWith('[')) {
    const end = hostWithPort.indexOf(']');
    if (end === -1) return { hostname: hostWithPort, port: '' };
    const rest = hostWithPort.slice(end + 1);
    return { hostname: hostWithPort.slice(1, end), port: rest.startsWith(':') ? rest.slice(1) : '' };
  }
  const colon = hostWithPort.lastIndexOf(':');
  if (colon === -1 || hostWithPort.indexOf(':') !== colon) return { hostname: hostWithPort, port: '' };
  return { hostname: hostWithPort.slice(0, colon), port: hostWithPort.slice(colon + 1) };
}

/** Whether `url` is on the registry's own host name (any port): a redirect or realm there is the registry's own. */
export function onRegistryHost(url: URL, registryHost: string): boolean {
  return splitHost(registryHost.toLowerCase()).hostname === url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

export function isLoopbackAddress(hostname: string): boolean {
  return hostname === 'localhost' || classifyAddress(hostname) === 'loopback';
}

export interface EgressPolicy {
  readonly mode: EgressMode;
  /** Whether `host` (host[:port]) is spoken to over plain HTTP. */
  plainHttp(host: string): boolean;
  /**
   * Refuses (EgressError) a URL that `purpose` may not reach, judged on its scheme and, for IP literals, address.
   * `registryHost` is the host[:port] of the registry the request started at (redirects and realms on its host
   * name follow the registry's rules).
   */
  check(url: URL, purpose: EgressPurpose, registryHost: string): void;
  /** Whether the admin named `host` (host[:port]): connections to it are not address-checked. */
  trusts(host: string): boolean;
  /**
   * The DNS lookup for connections to admin-named hosts, to registries, or to the hosts they send us to: the last
   * two refuse names that resolve to an address they may not reach. Undefined: the system's, unchecked.
   */
  lookupFor(kind: ConnectionKind): LookupFunction | undefined;
}

/** Which dispatcher a connection goes through (see connections.ts). */
export type ConnectionKind = 'trusted' | 'registry' | 'external';

export function createEgressPolicy(options: EgressOptions, baseLookup: LookupFunction = systemLookup as LookupFunction): EgressPolicy {
  const trusted = adminHostMatcher([...(options.trusted ?? []), ...(options.plainHttp ?? [])]);
  const insecure = adminHostMatcher(options.plainHttp ?? []);
  const allowPrivate = options.allowPrivateRedirects ?? false;
  const guarded = options.mode === 'guarded';

  const plainHttp = (host: string): boolean => insecure(host) || (!guarded && isLoopbackAddress(splitHost(host.toLowerCase()).hostname));

  const refuse = (what: string): EgressError => new EgressError(`refusing to connect to ${what}`);

  function classesFor(purpose: EgressPurpose, url: URL, registryHost: string): ReadonlySet<AddressClass> {
    return allowedClasses(onRegistryHost(url, registryHost) ? 'registry' : purpose, allowPrivate);
  }

  function lookupFor(kind: ConnectionKind): LookupFunction | undefined {
    const unchecked = baseLookup === systemLookup ? undefined : baseLookup;
    if (!guarded || kind === 'trusted') return unchecked;
    const classes = allowedClasses(kind === 'registry' ? 'registry' : 'redirect', allowPrivate);
    return (hostname, options, callback) => {
      baseLookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err !== null) return callback(err, '');
        const list = typeof addresses === 'string' ? [{ address: addresses, family: isIP(addresses) }] : addresses;
        // Every answer must be allowed: a name that resolves to a public and an internal address is refused.
        const refused = list.find((a) => !classes.has(classifyAddress(a.address)));
        if (refused !== undefined || list.length === 0) return callback(refuse(`${hostname}: not an address the guard may reach`), '');
        if (options.all === true) return callback(null, list);
        const first = list[0] as LookupAddress;
        return callback(null, first.address, first.family);
      });
    };
  }

  return {
    mode: options.mode,
    plainHttp,
    check(url, purpose, registryHost) {
      const host = url.host.toLowerCase();
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse(`${url.protocol} URLs`);
      if (url.protocol === 'http:' && !plainHttp(host)) throw refuse(`${url.host} over plain HTTP`);
      if (!guarded || trusted(host)) return;
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      if (hostname === 'localhost' || hostname.endsWith('.localhost')) throw refuse(`${url.host}: not an address the guard may reach`);
      if (isIP(hostname) !== 0 && !classesFor(purpose, url, registryHost).has(classifyAddress(hostname))) {
        throw refuse(`${url.host}: not an address the guard may reach`);
      }
    },
    trusts: (host) => trusted(host.toLowerCase()),
    lookupFor,
  };
}
