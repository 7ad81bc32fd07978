/**
 * The registry client the inspector uses: tag → digest (HEAD), manifests by digest (verified), config blobs
 * (verified, capped) and layer blobs as digest-verified streams. Knows nothing about caching or facts.
 */
import { createHash } from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { CredentialLookup } from '../inspector-types.js';
import { formatReference, type ImageReference } from '../reference/reference.js';
import { Authenticator, type Fetch } from './auth.js';
import { readCapped } from './body.js';
import { verifiedBlob, type VerifiedBlob } from './blob.js';
import { createEndpointResolver, type Endpoint, type EndpointOptions } from './endpoint.js';
import { RegistryError } from './errors.js';
import { noopLogger, type ImageLogger } from './logger.js';
import { MANIFEST_ACCEPT, parseManifest, type Descriptor, type Manifest } from './manifest.js';
import { DEFAULT_RETRY, statusError, Transport, type CallContext, type RetryOptions } from './transport.js';

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
  /** HEAD the tag for Docker-Content-Digest (Docker Hub does not count HEADs as pulls). */
  resolveTag(ref: ImageReference, ctx: CallContext): Promise<ResolvedTag>;
  /** GET a manifest by digest; the body must hash to the digest. */
  getManifest(ref: ImageReference, digest: string, ctx: CallContext): Promise<FetchedManifest>;
  /** GET a small JSON blob (the image config), verified and parsed. */
  getJsonBlob(ref: ImageReference, descriptor: Descriptor, ctx: CallContext): Promise<unknown>;
  /** GET a blob as a digest-verified stream (redirects followed). */
  openBlob(ref: ImageReference, descriptor: Descriptor, ctx: CallContext): Promise<VerifiedBlob>;
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const resolveEndpoint = createEndpointResolver(options);
  const limits: RegistryLimits = { ...DEFAULT_REGISTRY_LIMITS, ...options.limits };
  const fetchFn: Fetch = options.fetch ?? globalThis.fetch;
  // Shared by reference: the extra-CA dispatcher is filled in before the first request (see extraCaDispatcher).
  const init: RequestInit = {};
  const extraCa = options.extraCaPem !== undefined ? parseCaBundle(options.extraCaPem) : undefined;
  let prepared: Promise<void> | undefined;
  const prepare = (): Promise<void> => {
    if (extraCa === undefined) return Promise.resolve();
    prepared ??= extraCaDispatcher(extraCa).then((dispatcher) => {
      Object.assign(init, { dispatcher });
    });
    return prepared;
  };
  const insecureHosts = new Set((options.insecureRegistries ?? []).map((h) => h.toLowerCase()));
  const transport = new Transport({
    fetch: fetchFn,
    init,
    prepare,
    authenticator: new Authenticator({ fetch: fetchFn, init, insecureHosts }),
    credentials: options.credentials,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    logger: options.logger ?? noopLogger,
    userAgent: options.userAgent ?? 'distroless-guard',
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
    const response = await transport.request(ep, ref.repository, { method: 'GET', path: `blobs/${descriptor.digest}`, what }, ctx);
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

/**
 * A dispatcher that trusts the system CAs plus `certs`, built from the Agent class of Node's own bundled undici:
 * the npm `undici` package's Agent is not compatible with the global fetch of another undici version, and Node
 * creates its global dispatcher on the first fetch, hence the data: URL fetch.
 */
async function extraCaDispatcher(certs: readonly string[]): Promise<unknown> {
  const key = Symbol.for('undici.globalDispatcher.1');
  if ((globalThis as Record<symbol, unknown>)[key] === undefined) await fetch('data:,');
  const global = (globalThis as Record<symbol, unknown>)[key];
  if (typeof global !== 'object' || global === null) throw new RegistryError('tls', 'config', 'cannot set an extra CA: Node has no global undici dispatcher');
  const AgentClass = global.constructor as new (opts: unknown) => unknown;
  return new AgentClass({ connect: { ca: [...rootCertificates, ...certs] } });
}
