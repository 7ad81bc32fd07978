/**
 * The registry client the inspector uses: tag → digest (HEAD), manifests by digest (verified), config blobs
 * (verified, capped) and layer blobs as digest-verified streams. Knows nothing about caching or facts.
 */
import { createHash } from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import type { CredentialLookup, CredentialTarget } from '../inspector-types.js';
import { formatReference, type ImageReference } from '../reference/reference.js';
import { Authenticator, fingerprint, type Fetch } from './auth.js';
import { readCapped } from './body.js';
import { verifiedBlob, type VerifiedBlob } from './blob.js';
import { createEgressPolicy, type LookupFunction } from './egress.js';
import { createEndpointResolver, parseMirror, type Endpoint, type EndpointOptions } from './endpoint.js';
import { RegistryError } from './errors.js';
import { noopLogger, type ImageLogger } from './logger.js';
import { MANIFEST_ACCEPT, parseManifest, type Descriptor, type Manifest } from './manifest.js';
import { dispatcherWith, type Dispatchers } from './connections.js';
import { credentialScope, DEFAULT_RETRY, statusError, Transport, type CallContext, type RetryOptions } from './transport.js';
import type { Limiter } from '../../shared/limiter.js';

export interface RegistryLimits {
  /** Default 4 MiB. */
  readonly maxManifestBytes: number;
  /** Default 8 MiB. */
  readonly maxConfigBytes: number;
  /** Default 2 GiB: a compressed layer larger than this is refused before download. */
  readonly maxBlobBytes: number;
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = {
  maxManifestBytes: 4 * 1024 * 1024,
  maxConfigBytes: 8 * 1024 * 1024,
  maxBlobBytes: 2 * 1024 * 1024 * 1024,
};

export interface RegistryClientOptions extends EndpointOptions {
  /** The client's own credentials (docker config.json); per-call credentials come first. */
  readonly credentials?: CredentialLookup;
  /** PEM of extra CA certificates trusted for registries (besides the system store). */
  readonly extraCaPem?: string;
  readonly retry?: Partial<RetryOptions>;
  readonly limits?: Partial<RegistryLimits>;
  readonly logger?: ImageLogger;
  readonly userAgent?: string;
  /** Replaces the global fetch (tests). */
  readonly fetch?: Fetch;
  /** Bounds registry requests in flight at once, across every image and caller (serve). */
  readonly requestLimiter?: Limiter;
  /** Name resolution for registry connections (default: the system's; tests resolve their names to loopback). */
  readonly lookup?: LookupFunction;
}

export interface FetchedManifest {
  readonly digest: string;
  readonly manifest: Manifest;
  readonly size: number;
}

export interface ResolvedTag {
  readonly digest: string;
  /** Present when the registry gave no digest on HEAD and the manifest had to be fetched to compute it. */
  readonly fetched?: FetchedManifest;
}

export interface RegistryClient {
  endpoint(registry: string): Endpoint;
  /**
   * Who asks where: the host contacted, the repository and a fingerprint of the credential used. Work in flight is
   * shared only between callers with the same access (a pod naming a registry that never answers, or lacking a
   * secret, must not stall or borrow another pod's fetch of the same digest).
   */
  access(ref: ImageReference, ctx: CallContext): string;
  /** What credential sources are asked about for this image: the host and repository requests go to, the image's name. */
  credentialTarget(ref: ImageReference): CredentialTarget;
  /** HEAD the tag for Docker-Content-Digest (Docker Hub does not count HEADs as pulls). */
  resolveTag(ref: ImageReference, ctx: CallContext): Promise<ResolvedTag>;
  /** GET a manifest by digest; the body must hash to the digest. */
  getManifest(ref: ImageReference, digest: string, ctx: CallContext): Promise<FetchedManifest>;
  /** GET a small JSON blob (the image config), verified and parsed. */
  getJsonBlob(ref: ImageReference, descriptor: Descriptor, ctx: CallContext): Promise<unknown>;
  /** GET a blob as a digest-verified stream (redirects to storage followed, within the egress policy). */
  openBlob(ref: ImageReference, descriptor: Descriptor, ctx: CallContext): Promise<VerifiedBlob>;
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  // Mirrors are the admin's own choice: trusted at any address, plain HTTP where written with http://.
  const mirrors = Object.entries(options.mirrors ?? {}).map(([from, to]) => parseMirror(from, to));
  const egress = createEgressPolicy(
    {
      mode: options.egress ?? 'open',
      trusted: mirrors.map((m) => m.host),
      plainHttp: [...(options.insecureRegistries ?? []), ...mirrors.filter((m) => m.scheme === 'http').map((m) => m.host)],
      allowPrivateRedirects: options.allowPrivateRedirects,
    },
    options.lookup,
  );
  const resolveEndpoint = createEndpointResolver(options, egress.plainHttp);
  const limits: RegistryLimits = { ...DEFAULT_REGISTRY_LIMITS, ...options.limits };
  const fetchFn: Fetch = options.fetch ?? globalThis.fetch;
  // Filled in before the first request (see dispatcherWith): one for the registries, one for the hosts they send us
  // to (blob storage, token services), each resolving names through the egress policy.
  const dispatchers: Dispatchers = { trusted: {}, registry: {}, external: {} };
  const extraCa = options.extraCaPem !== undefined ? parseCaBundle(options.extraCaPem) : undefined;
  let prepared: Promise<void> | undefined;
  const prepare = (): Promise<void> => {
    prepared ??= (async () => {
      for (const kind of ['trusted', 'registry', 'external'] as const) {
        const lookup = egress.lookupFor(kind);
        if (extraCa === undefined && lookup === undefined) continue;
        Object.assign(dispatchers[kind], { dispatcher: await dispatcherWith({ ca: extraCa, lookup }) });
      }
    })();
    return prepared;
  };
  const transport = new Transport({
    fetch: fetchFn,
    dispatchers,
    prepare,
    egress,
    authenticator: new Authenticator({ fetch: fetchFn, dispatchers, egress }),
    credentials: options.credentials,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    logger: options.logger ?? noopLogger,
    userAgent: options.userAgent ?? 'distroless-guard',
    limiter: options.requestLimiter,
  });
  const endpoints = new Map<string, Endpoint>();
  const endpoint = (registry: string): Endpoint => {
    let e = endpoints.get(registry);
    if (e === undefined) {
      e = resolveEndpoint(registry);
      endpoints.set(registry, e);
    }
    return e;
  };

  async function fetchManifest(ref: ImageReference, name: string, ctx: CallContext): Promise<{ bytes: Uint8Array; contentType: string | undefined; headerDigest: string | undefined }> {
    const ep = endpoint(ref.registry);
    const what = `manifest ${name} of ${ref.registry}/${ref.repository}`;
    const response = await transport.request(ep, ref.repository, { method: 'GET', path: `manifests/${name}`, accept: MANIFEST_ACCEPT, what }, ctx);
    if (!response.ok) throw await statusError(response, ep, what, ctx.signal);
    const bytes = await readCapped(response, limits.maxManifestBytes, ctx.signal, ref.registry, what);
    return { bytes, contentType: response.headers.get('content-type') ?? undefined, headerDigest: response.headers.get('docker-content-digest') ?? undefined };
  }

  return {
    endpoint,

    access(ref, ctx) {
      const ep = endpoint(ref.registry);
      return `${ep.host}/${ep.repositoryPrefix}${ref.repository}|${fingerprint(transport.credentialFor(ep, ref.repository, ctx))}`;
    },

    credentialTarget(ref) {
      return { ...credentialScope(endpoint(ref.registry), ref.repository), image: `${ref.registry}/${ref.repository}` };
    },

    async resolveTag(ref, ctx) {
      if (ref.tag === undefined) throw new RegistryError('bad-response', ref.registry, `${formatReference(ref)} has no tag to resolve`);
      const ep = endpoint(ref.registry);
      const what = `tag ${ref.tag} of ${ref.registry}/${ref.repository}`;
      const response = await transport.request(ep, ref.repository, { method: 'HEAD', path: `manifests/${ref.tag}`, accept: MANIFEST_ACCEPT, what }, ctx);
      await response.body?.cancel().catch(() => undefined);
      if (!response.ok) throw await statusError(response, ep, what, ctx.signal);
      const digest = response.headers.get('docker-content-digest');
      if (digest !== null && /^sha256:[a-f0-9]{64}$/.test(digest)) return { digest };
      // No digest on HEAD (some registries): fetch the manifest and hash it ourselves.
      const got = await fetchManifest(ref, ref.tag, ctx);
      const computed = sha256(got.bytes);
      const manifest = parseManifest(got.bytes, got.contentType, ref.registry, what);
      return { digest: computed, fetched: { digest: computed, manifest, size: got.bytes.byteLength } };
    },

    async getManifest(ref, digest, ctx) {
      const what = `manifest ${digest} of ${ref.registry}/${ref.repository}`;
      const got = await fetchManifest(ref, digest, ctx);
      const actual = sha256(got.bytes);
      if (actual !== digest) {
        throw new RegistryError('digest-mismatch', ref.registry, `${what} does not match its digest (body hashes to ${actual}); refusing it`);
      }
      return { digest, manifest: parseManifest(got.bytes, got.contentType, ref.registry, what), size: got.bytes.byteLength };
    },

    async getJsonBlob(ref, descriptor, ctx) {
      const what = `config ${descriptor.digest} of ${ref.registry}/${ref.repository}`;
      if (descriptor.size > limits.maxConfigBytes) {
        throw new RegistryError('too-large', ref.registry, `${what} is ${descriptor.size} bytes, over the ${limits.maxConfigBytes}-byte limit`);
      }
      const response = await getBlob(ref, descriptor, what, ctx);
      const bytes = await readCapped(response, descriptor.size, ctx.signal, ref.registry, what);
      if (bytes.byteLength !== descriptor.size) {
        throw new RegistryError('truncated', ref.registry, `${what} has ${bytes.byteLength} of its declared ${descriptor.size} bytes`);
      }
      const actual = sha256(bytes);
      if (actual !== descriptor.digest) {
        throw new RegistryError('digest-mismatch', ref.registry, `${what} does not match its digest (got ${actual}); the registry or a proxy served wrong content`);
      }
      try {
        return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
      } catch (err) {
        throw new RegistryError('bad-response', ref.registry, `${what} is not valid JSON`, { cause: err });
      }
    },

    async openBlob(ref, descriptor, ctx) {
      const what = `layer ${descriptor.digest} of ${ref.registry}/${ref.repository}`;
      if (descriptor.size > limits.maxBlobBytes) {
        throw new RegistryError('too-large', ref.registry, `${what} is ${descriptor.size} bytes, over the ${limits.maxBlobBytes}-byte limit`);
      }
      const response = await getBlob(ref, descriptor, what, ctx);
      const declared = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared !== descriptor.size) {
        await response.body?.cancel().catch(() => undefined);
        throw new RegistryError('bad-response', ref.registry, `${what} is served with ${declared} bytes but the manifest declares ${descriptor.size}`);
      }
      if (response.body === null) throw new RegistryError('bad-response', ref.registry, `${what} came without a body`);
      return verifiedBlob(response.body, { digest: descriptor.digest, size: descriptor.size, registry: ref.registry, signal: ctx.signal, what });
    },
  };

  async function getBlob(ref: ImageReference, descriptor: Descriptor, what: string, ctx: CallContext): Promise<Response> {
    const ep = endpoint(ref.registry);
    const response = await transport.request(ep, ref.repository, { method: 'GET', path: `blobs/${descriptor.digest}`, what, followRedirects: true }, ctx);
    if (!response.ok) throw await statusError(response, ep, what, ctx.signal);
    return response;
  }
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function parseCaBundle(pem: string): string[] {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certs.length === 0) throw new RegistryError('tls', 'config', 'the extra CA bundle holds no PEM certificate');
  for (const cert of certs) {
    try {
      new X509Certificate(cert);
    } catch (err) {
      throw new RegistryError('tls', 'config', 'the extra CA bundle holds an unreadable certificate', { cause: err });
    }
  }
  return certs;
}

