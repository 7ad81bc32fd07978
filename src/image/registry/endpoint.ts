/**
 * Where to talk to for a registry host: mirrors/rewrites, the API host of Docker Hub, and the scheme.
 * Plain HTTP only for hosts configured insecure (and, for the CLI's `open` egress, loopback hosts); HTTPS otherwise.
 */
import { DOCKER_HUB, registryApiHost } from '../reference/reference.js';
import { createEgressPolicy, type EgressMode } from './egress.js';

export interface EndpointOptions {
  /** Registry host → mirror: `{ "gcr.io": "127.0.0.1:5001" }`, optionally with a scheme or a path prefix ("mirror:5000/gcr"). */
  readonly mirrors?: Readonly<Record<string, string>>;
  /** Hosts (host, host:port or an IP range like 127.0.0.0/8) spoken to over plain HTTP. */
  readonly insecureRegistries?: readonly string[];
  /** `guarded` in serve (see egress.ts): loopback is no longer plain HTTP by default, addresses are checked. */
  readonly egress?: EgressMode;
  /** guarded: follow blob redirects and token realms to private addresses too. */
  readonly allowPrivateRedirects?: boolean;
}

export interface Endpoint {
  /** The registry host of the reference, as reported in facts and errors. */
  readonly registry: string;
  /** host[:port] actually contacted. */
  readonly host: string;
  /** "https://gcr.io", "http://127.0.0.1:5001". */
  readonly baseUrl: string;
  /** Prepended to repository names on this endpoint ("" or "gcr/"). */
  readonly repositoryPrefix: string;
  /** True when a mirror replaces the registry. */
  readonly mirrored: boolean;
}

export class EndpointError extends Error {
  override readonly name = 'EndpointError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Resolves mirrors and schemes once; returns a function from registry host to endpoint. `plainHttp` says which
 * hosts speak plain HTTP (the client passes its egress policy's).
 */
export function createEndpointResolver(
  options: EndpointOptions = {},
  plainHttp: (host: string) => boolean = createEgressPolicy({ mode: options.egress ?? 'open', plainHttp: options.insecureRegistries }).plainHttp,
): (registry: string) => Endpoint {
  const mirrors = new Map<string, Mirror>();
  for (const [from, to] of Object.entries(options.mirrors ?? {})) mirrors.set(canonicalHost(from), parseMirror(from, to));
  return (registry) => {
    const mirror = mirrors.get(canonicalHost(registry));
    const host = mirror?.host ?? registryApiHost(registry.toLowerCase());
    const plain = mirror?.scheme !== undefined ? mirror.scheme === 'http' : plainHttp(host) || plainHttp(canonicalHost(registry));
    return {
      registry,
      host,
      baseUrl: `${plain ? 'http' : 'https'}://${host}`,
      repositoryPrefix: mirror?.prefix ?? '',
      mirrored: mirror !== undefined,
    };
  };
}

export interface Mirror {
  /** host[:port], lowercased. */
  readonly host: string;
  /** "" or "gcr/". */
  readonly prefix: string;
  readonly scheme: 'http' | 'https' | undefined;
}

/** A mirror as the admin writes it: host[:port][/prefix], optionally with a scheme. */
export function parseMirror(from: string, to: string): Mirror {
  const m = /^(?:(https?):\/\/)?([^/]+)(?:\/(.*))?$/i.exec(to.trim());
  const host = m?.[2];
  if (m === null || host === undefined || host === '') throw new EndpointError(`mirror for ${from} is not host[:port][/prefix]: ${JSON.stringify(to)}`);
  const scheme = m[1]?.toLowerCase();
  const prefix = (m[3] ?? '').replace(/^\/+|\/+$/g, '');
  return { host: host.toLowerCase(), prefix: prefix === '' ? '' : `${prefix}/`, scheme: scheme === 'http' || scheme === 'https' ? scheme : undefined };
}

/** The host a mirror or insecure entry names: no scheme, no path, Docker Hub's aliases as docker.io. */
export function canonicalHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? DOCKER_HUB : h;
}
