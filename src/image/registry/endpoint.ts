/**
 * Where to talk to for a registry host: mirrors/rewrites, the API host of Docker Hub, and the scheme.
 * Plain HTTP only for loopback hosts or hosts configured insecure; HTTPS otherwise.
 */
import { DOCKER_HUB, registryApiHost } from '../reference/reference.js';

export interface EndpointOptions {
  /** Registry host → mirror: `{ "gcr.io": "127.0.0.1:5001" }`, optionally with a scheme or a path prefix ("mirror:5000/gcr"). */
  readonly mirrors?: Readonly<Record<string, string>>;
  /** Hosts (with port when not default) spoken to over plain HTTP. */
  readonly insecureRegistries?: readonly string[];
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

/** Resolves mirrors and schemes once; returns a function from registry host to endpoint. */
export function createEndpointResolver(options: EndpointOptions = {}): (registry: string) => Endpoint {
  const insecure = new Set((options.insecureRegistries ?? []).map((h) => canonicalHost(h)));
  const mirrors = new Map<string, { host: string; prefix: string; scheme: 'http' | 'https' | undefined }>();
  for (const [from, to] of Object.entries(options.mirrors ?? {})) {
    const m = /^(?:(https?):\/\/)?([^/]+)(?:\/(.*))?$/i.exec(to.trim());
    const host = m?.[2];
    if (m === null || host === undefined || host === '') throw new EndpointError(`mirror for ${from} is not host[:port][/prefix]: ${JSON.stringify(to)}`);
    const scheme = m[1]?.toLowerCase();
    const prefix = (m[3] ?? '').replace(/^\/+|\/+$/g, '');
    mirrors.set(canonicalHost(from), {
      host: host.toLowerCase(),
      prefix: prefix === '' ? '' : `${prefix}/`,
      scheme: scheme === 'http' || scheme === 'https' ? scheme : undefined,
    });
  }
  return (registry) => {
    const mirror = mirrors.get(canonicalHost(registry));
    const host = mirror?.host ?? registryApiHost(registry.toLowerCase());
    const plain = mirror?.scheme !== undefined ? mirror.scheme === 'http' : isLoopbackHost(host) || insecure.has(host) || insecure.has(registry.toLowerCase());
    return {
      registry,
      host,
      baseUrl: `${plain ? 'http' : 'https'}://${host}`,
      repositoryPrefix: mirror?.prefix ?? '',
      mirrored: mirror !== undefined,
    };
  };
}

/** True for 127.0.0.0/8, localhost and [::1], with or without a port. */
export function isLoopbackHost(hostWithPort: string): boolean {
  let host = hostWithPort.toLowerCase();
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else host = host.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function canonicalHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? DOCKER_HUB : h;
}
