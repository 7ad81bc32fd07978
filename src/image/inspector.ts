/**
 * The image inspector: reference → digest → manifest(s) → per platform: config + layer indexes folded top-down →
 * facts. Everything fetched or computed is keyed by digest (content-addressed: never stale) and shared between
 * concurrent callers (single-flight); a tag's digest is reused for the tag TTL (cache/tag-cache.ts: tags move, so
 * not for longer, and past it only while the registry is out).
 *
 * Deadlines: every caller waits with its own AbortSignal and is released promptly (InspectError 'timeout') when it
 * fires. Layer scans already started keep going in the background for up to `backgroundGraceMs` and land in the
 * cache, so the next admission of the image is answered from cache; scans not yet started are dropped.
 *
 * Nothing partial or unverified is cached: a layer index only after its blob hashed to its digest; platform facts
 * only when every layer was read (an early-stopped scan is answered but not cached as facts). A layer that verified
 * but cannot be indexed (a bomb, a corrupt tar) is remembered as failed, so it is not scanned again.
 *
 * Bounds on what a registry can make us do: manifest, config and blob sizes (registry/client.ts), layers per image
 * and platforms per index (here), entries, names, header bytes and decompressed bytes per layer (layers/).
 */
import { abortable } from '../shared/abortable.js';
import type { ImageFacts, PlatformFacts, StaleTag } from './facts/types.js';
import { TagCache, type TagResolutionResult } from './cache/tag-cache.js';
import { combinePlatforms, derivePlatformFacts, scanSettled } from './facts/derive.js';
import type { CredentialLookup, CredentialSource, ImageInspector, InspectOptions } from './inspector-types.js';
import { InspectError, toInspectError } from './inspect-error.js';
import { indexLayer, type LayerIndexLimits } from './layers/index-layer.js';
import type { ImageConfig, LayerIndex } from './layers/types.js';
import { createUnionBuilder } from './layers/union.js';
import { createDigestCache, type CacheKind, type CacheStats, type CacheValues, type DigestCache } from './cache/digest-cache.js';
import { FailureMemo } from './cache/failure-memo.js';
import { LayerIndexError, type LayerIndexErrorCode } from './layers/errors.js';
import { Limiter } from '../shared/limiter.js';
import { LruCache } from './cache/lru.js';
import { SingleFlight, type FlightControl } from './cache/single-flight.js';
import { parseReference, type ImageReference } from './reference/reference.js';
import { createRegistryClient, type RegistryClient, type RegistryLimits } from './registry/client.js';
import type { EgressMode, LookupFunction } from './registry/egress.js';
import { fingerprint } from './registry/auth.js';
import { RegistryError } from './registry/errors.js';
import { toImageConfig } from './registry/image-config.js';
import { noopLogger, type ImageLogger } from './registry/logger.js';
import { linuxPlatforms, platformString, type Descriptor, type ImageManifest, type Platform } from './registry/manifest.js';
import { parsePlatform, pickPlatform, platformMatches } from './registry/platform-match.js';
import type { CallContext, RetryOptions } from './registry/transport.js';

export { InspectError, type InspectErrorCode } from './inspect-error.js';
export type { ImageLogger } from './registry/logger.js';

export interface InspectorLimits extends RegistryLimits {
  /** Per-layer indexing limits (entries, decompressed bytes, …); see src/image/layers/index-layer.ts. */
  readonly layer?: Partial<LayerIndexLimits>;
  /**
   * Layers one image manifest may list (default 500). Docker's overlay2 stops at 128 and containers/storage at 500;
   * a manifest listing more is not an image any node runs, only a way to make us fetch thousands of blobs.
   */
  readonly maxLayers: number;
  /** Linux platforms of one index that are inspected (default 32; real images list a handful). */
  readonly maxPlatforms: number;
}

export const DEFAULT_INSPECTOR_LIMITS: Pick<InspectorLimits, 'maxLayers' | 'maxPlatforms'> = { maxLayers: 500, maxPlatforms: 32 };

/** Index failures of a verified blob: the same bytes fail the same way every time (see cache/failure-memo.ts). */
const DETERMINISTIC_LAYER_FAILURES: ReadonlySet<LayerIndexErrorCode> = new Set<LayerIndexErrorCode>([
  'unsupported-media-type',
  'too-many-entries',
  'name-too-long',
  'too-large',
  'too-many-headers',
  'corrupt',
]);

export interface ImageInspectorOptions {
  /** Registry host → mirror host[:port][/prefix]: `{ "gcr.io": "127.0.0.1:5001" }`. Facts still name the original. */
  readonly mirrors?: Readonly<Record<string, string>>;
  /** Hosts (host, host:port, IP range) spoken to over plain HTTP (with `egress: 'open'`, loopback hosts too). */
  readonly insecureRegistries?: readonly string[];
  /** `guarded` in serve: which addresses image names, redirects and token realms may make us reach (egress.ts). */
  readonly egress?: EgressMode;
  /** guarded: blob redirects and token realms may lead to private addresses. */
  readonly allowPrivateRedirects?: boolean;
  /** Registry requests in flight at once, across every image (default: unbounded; serve bounds it). */
  readonly maxRegistryRequests?: number;
  /** Name resolution for registry connections (default: the system's). */
  readonly lookup?: LookupFunction;
  /** The inspector's own credentials (docker config.json); per-call credentials are tried first. */
  readonly credentials?: CredentialLookup;
  /**
   * Credentials that take I/O to find, tried in order after the call's own (a pod's pull secrets), each run only
   * when those before it had none for the image or had theirs refused: the kubelet's credential provider plugins,
   * then (the CLI, or serve with --fallback-credentials) the guard's docker config, auth.json and their helpers.
   */
  readonly credentialSources?: readonly CredentialSource[];
  /** PEM bundle of extra CAs trusted for registries. */
  readonly extraCaPem?: string;
  /** Persist layer indexes, manifests, configs and complete platform facts here (JSON per digest). */
  readonly cacheDir?: string;
  /** In-memory cache bounds: default 5000 entries, 64 MiB counted as JSON (the heap it takes: bench/PERFORMANCE.md). */
  readonly cache?: { readonly maxEntries?: number; readonly maxBytes?: number };
  /** Layers fetched and indexed at once, across all inspections (default 2: one per core of a small node). */
  readonly concurrency?: number;
  readonly limits?: Partial<InspectorLimits>;
  /** Stop a platform's top-down scan once its questions are settled (`scanSettled`: a shell found; default false). */
  readonly earlyStop?: boolean;
  /** How long a started layer scan may go on after every caller gave up (default 60 s). */
  readonly backgroundGraceMs?: number;
  /** How long a resolved tag's digest is reused (default 60 s; 0: the registry is asked on every call). */
  readonly tagTtlMs?: number;
  /** How long past its TTL a tag's last digest serves while its registry cannot be reached (default 1 h). */
  readonly tagMaxStaleMs?: number;
  /** Counts tag resolutions by how they were answered. */
  readonly onTagResolution?: (result: TagResolutionResult) => void;
  readonly retry?: Partial<RetryOptions>;
  readonly logger?: ImageLogger;
  readonly userAgent?: string;
  /** Replaces the global fetch (tests). */
  readonly fetch?: typeof fetch;
}

/** Per-call options beyond the ImageInspector contract. */
export interface InspectCallOptions extends InspectOptions {
  /** Overrides the inspector's `earlyStop` for this call. */
  readonly earlyStop?: boolean;
}

export interface InspectorStats {
  readonly cache: CacheStats;
  /** Layer scans fetching or indexing right now. */
  readonly layersRunning: number;
  readonly layersQueued: number;
  /** Jobs (manifests, configs, layers, platforms) in flight, background ones included. */
  readonly inFlight: number;
}

/** The inspector this module makes: the ImageInspector port, plus what its owner needs (stats, idle, memory answers). */
export interface CachingImageInspector extends ImageInspector {
  inspect(reference: string, options: InspectCallOptions): Promise<ImageFacts>;
  known(reference: string, credentials?: CredentialLookup): ImageFacts | undefined;
  stats(): InspectorStats;
  /** Waits until background scans and cache writes are done (tests, graceful shutdown). */
  idle(): Promise<void>;
}

const DEFAULT_GRACE_MS = 60_000;
/** The signal of an access computation, which does no I/O. */
const NEVER = new AbortController().signal;
export const DEFAULT_TAG_TTL_MS = 60_000;
export const DEFAULT_TAG_MAX_STALE_MS = 3_600_000;
/** Digest-pinned references whose complete facts are kept ready (a few hundred bytes each). */
const KNOWN_REFERENCES = 4096;
/** Downloads of one layer blob per scan: a body that broke off is fetched once more. */
const LAYER_ATTEMPTS = 2;

export function createImageInspector(options: ImageInspectorOptions = {}): CachingImageInspector {
  const logger = options.logger ?? noopLogger;
  const concurrency = options.concurrency ?? 2;
  const limiter = new Limiter(concurrency);
  const earlyStopDefault = options.earlyStop ?? false;
  const grace = Math.max(0, options.backgroundGraceMs ?? DEFAULT_GRACE_MS);
  const layerLimits = options.limits?.layer;
  const maxLayers = options.limits?.maxLayers ?? DEFAULT_INSPECTOR_LIMITS.maxLayers;
  const maxPlatforms = options.limits?.maxPlatforms ?? DEFAULT_INSPECTOR_LIMITS.maxPlatforms;
  const failedLayers = new FailureMemo<LayerIndexError>();
  /** What each running platform scan waits for, by platform digest: said when a caller's deadline passes. */
  const scanning = new Map<string, string>();
  const client: RegistryClient = createRegistryClient({
    mirrors: options.mirrors,
    insecureRegistries: options.insecureRegistries,
    egress: options.egress,
    allowPrivateRedirects: options.allowPrivateRedirects,
    lookup: options.lookup,
    requestLimiter: options.maxRegistryRequests !== undefined ? new Limiter(options.maxRegistryRequests) : undefined,
    credentials: options.credentials,
    extraCaPem: options.extraCaPem,
    retry: options.retry,
    limits: options.limits,
    userAgent: options.userAgent,
    fetch: options.fetch,
    logger,
  });
  const cache: DigestCache = createDigestCache({ ...options.cache, dir: options.cacheDir, logger });
  const tags = new TagCache({ ttlMs: options.tagTtlMs ?? DEFAULT_TAG_TTL_MS, maxStaleMs: options.tagMaxStaleMs ?? DEFAULT_TAG_MAX_STALE_MS, onResult: options.onTagResolution });
  /** Manifests, configs and layers: shared, and allowed to finish in the background. */
  const blobFlights = new SingleFlight<unknown>(grace);
  /** Platform scans: cancelled as soon as nobody waits (so no new layer is started for nobody). */
  const platformFlights = new SingleFlight<PlatformFacts>(0);
  const running = new Set<Promise<unknown>>();
  /**
   * Complete facts by digest-pinned reference: a warm admission skips parsing, cache lookups and re-combining
   * platforms (the same answer `run` gives from the digest cache, without awaiting anything).
   */
  const knownFacts = new LruCache<ImageFacts>({ maxEntries: KNOWN_REFERENCES, maxBytes: KNOWN_REFERENCES });
  /**
   * Complete facts of tag references, with the parsed reference (parsing on every admission would cost more than the
   * answer): answered while the tag cache still holds the digest they were made for.
   */
  const knownTags = new LruCache<{ readonly ref: ImageReference; readonly facts: ImageFacts }>({ maxEntries: KNOWN_REFERENCES, maxBytes: KNOWN_REFERENCES });
  const tagKey = (ref: ImageReference, ctx: Pick<CallContext, 'credentials'>): string => `${client.access(ref, { signal: NEVER, ...ctx })}:${ref.tag ?? ''}`;
  const sources = options.credentialSources ?? [];

  /**
   * The credentials an inspection tries, in order, as the kubelet tries each credential it has for an image until a
   * pull is not refused: the call's own (a pod's pull secrets) when they have one for the image, then each source's
   * (the kubelet's provider plugins, the guard's own files and helpers), a source being run only when reached. A
   * credential already tried is not tried again. With none at all, the call's lookup is tried alone (anonymous).
   * The lookup tried is what every cache key of the attempt is computed from (`access`), so who may reuse what
   * stays as with pull secrets alone.
   */
  async function* credentialsToTry(ref: ImageReference, given: CredentialLookup | undefined, signal: AbortSignal): AsyncGenerator<CredentialLookup | undefined> {
    if (sources.length === 0) {
      yield given;
      return;
    }
    const target = client.credentialTarget(ref);
    const tried = new Set<string>();
    const untried = (lookup: CredentialLookup | undefined): boolean => {
      const credential = lookup?.(target.host, target.repository);
      if (credential === undefined || tried.has(fingerprint(credential))) return false;
      tried.add(fingerprint(credential));
      return true;
    };
    if (untried(given)) yield given;
    for (const source of sources) {
      const found = await abortable(source.resolve(target, signal), signal);
      if (untried(found)) yield found;
    }
    if (tried.size === 0) yield given;
  }

  /** The first of `credentialsToTry` from memory only; undefined when a source would have to run. */
  function knownCallCredentials(ref: ImageReference, given: CredentialLookup | undefined): { readonly lookup: CredentialLookup | undefined } | undefined {
    if (sources.length === 0) return { lookup: given };
    const target = client.credentialTarget(ref);
    if (given?.(target.host, target.repository) !== undefined) return { lookup: given };
    for (const source of sources) {
      const found = source.peek(target);
      if (found === undefined) return undefined;
      if (found.lookup?.(target.host, target.repository) !== undefined) return { lookup: found.lookup };
    }
    return { lookup: given };
  }
  let knownHits = 0;

  const track = <T>(promise: Promise<T>): Promise<T> => {
    running.add(promise);
    void promise.then(
      () => running.delete(promise),
      () => running.delete(promise),
    );
    return promise;
  };

  /**
   * A digest-keyed value: from cache (content-addressed and verified: the same for everyone), else from a fetch
   * shared by the callers with the same `access` (registry, repository, credential), whose result is cached.
   */
  async function cached<K extends CacheKind>(kind: K, digest: string, access: string, signal: AbortSignal, produce: (control: FlightControl) => Promise<CacheValues[K]>): Promise<CacheValues[K]> {
    const hit = await cache.get(kind, digest, signal);
    if (hit !== undefined) return hit;
    const value = await blobFlights.run(`${kind}:${digest}|${access}`, signal, (control) =>
      track(
        (async () => {
          const again = cache.peek(kind, digest);
          if (again !== undefined) return again;
          const produced = await produce(control);
          cache.set(kind, digest, produced);
          return produced;
        })(),
      ),
    );
    return value as CacheValues[K];
  }

  /** A shared job's context: its own signal, the credentials of its callers (one access per job), no caller deadline. */
  const jobContext = (ctx: CallContext, signal: AbortSignal): CallContext => ({ signal, credentials: ctx.credentials });

  function manifestOf(ref: ImageReference, digest: string, ctx: CallContext): Promise<CacheValues['manifest']> {
    return cached('manifest', digest, client.access(ref, ctx), ctx.signal, async (control) => (await client.getManifest(ref, digest, jobContext(ctx, control.signal))).manifest);
  }

  function configOf(ref: ImageReference, descriptor: Descriptor, ctx: CallContext): Promise<ImageConfig> {
    return cached('config', descriptor.digest, client.access(ref, ctx), ctx.signal, async (control) => {
      const doc = await client.getJsonBlob(ref, descriptor, jobContext(ctx, control.signal));
      return toImageConfig(doc, ref.registry, `config ${descriptor.digest}`);
    });
  }

  function layerOf(ref: ImageReference, descriptor: Descriptor, ctx: CallContext): Promise<LayerIndex> {
    const failed = failedLayers.get(descriptor.digest);
    if (failed !== undefined) return Promise.reject(failed);
    return cached('layer', descriptor.digest, client.access(ref, ctx), ctx.signal, async (control) => {
      const release = await limiter.acquire(control.signal);
      try {
        // A body that breaks off mid-way (a reset, a proxy cutting long downloads) is fetched once more.
        for (let attempt = 1; ; attempt++) {
          if (!control.wanted()) throw new RegistryError('timeout', ref.registry, `layer ${descriptor.digest} is no longer wanted`);
          try {
            return await indexBlob(ref, descriptor, ctx, control);
          } catch (err) {
            const brokenOff = err instanceof RegistryError && err.code === 'truncated';
            if (!brokenOff || attempt >= LAYER_ATTEMPTS || control.signal.aborted) throw err;
            logger.debug({ digest: descriptor.digest, registry: ref.registry, attempt, error: err.message }, 'layer download broke off; fetching it again');
          }
        }
      } finally {
        release();
      }
    });
  }

  /** One download + index of a layer blob; the index counts only once the blob verified. */
  async function indexBlob(ref: ImageReference, descriptor: Descriptor, ctx: CallContext, control: FlightControl): Promise<LayerIndex> {
    const started = Date.now();
    const blob = await client.openBlob(ref, descriptor, jobContext(ctx, control.signal));
    const [indexed, verified] = await Promise.allSettled([
      indexLayer(blob.stream, { digest: descriptor.digest, mediaType: descriptor.mediaType, signal: control.signal, limits: layerLimits }),
      blob.verified,
    ]);
    // An unverified blob is never trusted: its failure wins over whatever the indexer made of the bytes.
    if (verified.status === 'rejected') throw verified.reason;
    if (indexed.status === 'rejected') {
      const reason: unknown = indexed.reason;
      if (reason instanceof LayerIndexError && DETERMINISTIC_LAYER_FAILURES.has(reason.code)) {
        failedLayers.set(descriptor.digest, reason);
        logger.warn({ digest: descriptor.digest, registry: ref.registry, repository: ref.repository, error: reason.message }, 'layer cannot be indexed; remembered as failed');
      }
      throw reason;
    }
    logger.debug({ digest: descriptor.digest, bytes: descriptor.size, entries: indexed.value.entries.length, ms: Date.now() - started }, 'layer indexed');
    return indexed.value;
  }

  async function scanPlatform(ref: ImageReference, digest: string, platform: string | undefined, ctx: CallContext, earlyStop: boolean, signal: AbortSignal): Promise<PlatformFacts> {
    const manifest = await manifestOf(ref, digest, { ...ctx, signal });
    if (manifest.kind !== 'image') {
      throw new RegistryError('unsupported', ref.registry, `${digest} is an index inside an index; nested indexes are not supported`);
    }
    if (manifest.layers.length > maxLayers) {
      throw new RegistryError('too-large', ref.registry, `image ${digest} lists ${manifest.layers.length} layers, more than the ${maxLayers} a manifest may have`);
    }
    scanning.set(digest, `the config of ${short(digest)}`);
    const config = await configOf(ref, manifest.config, { ...ctx, signal });
    return foldLayers(ref, digest, platform, manifest, config, ctx, earlyStop, signal);
  }

  async function foldLayers(
    ref: ImageReference,
    digest: string,
    platform: string | undefined,
    manifest: ImageManifest,
    config: ImageConfig,
    ctx: CallContext,
    earlyStop: boolean,
    signal: AbortSignal,
  ): Promise<PlatformFacts> {
    const topFirst = [...manifest.layers].reverse();
    // Layers not yet needed are dropped (not started) when this scan stops early or is cancelled.
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const layerCtx: CallContext = { ...ctx, signal: stop.signal };
    const pending = topFirst.map((d) => layerOf(ref, d, layerCtx));
    for (const p of pending) p.catch(() => undefined);
    const builder = createUnionBuilder();
    const read: LayerIndex[] = [];
    let stoppedEarly = false;
    try {
      for (const [i, p] of pending.entries()) {
        const layer = topFirst[i];
        if (layer !== undefined) scanning.set(digest, `layer ${topFirst.length - i} of ${topFirst.length} (${short(layer.digest)}, ${mib(layer.size)} compressed)`);
        const index = await p;
        builder.addLower(index);
        read.push(index);
        if (earlyStop && i < pending.length - 1 && scanSettled(builder.view())) {
          stoppedEarly = true;
          break;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort(new Error('platform scan finished'));
    }
    scanning.delete(digest);
    const facts = derivePlatformFacts({
      platform,
      digest,
      config,
      layers: read,
      union: builder.view(),
      scan: { layersTotal: topFirst.length, layersRead: read.length, stoppedEarly },
    });
    if (!stoppedEarly) cache.set('platform', digest, facts);
    return facts;
  }

  async function platformFacts(ref: ImageReference, digest: string, platform: string | undefined, ctx: CallContext, earlyStop: boolean): Promise<PlatformFacts> {
    const hit = await cache.get('platform', digest, ctx.signal);
    if (hit !== undefined) return hit;
    // Cached (complete) facts serve every caller; a running early-stop scan cannot serve a full one, hence two keys.
    const key = `${digest}|${earlyStop ? 'early' : 'full'}|${client.access(ref, ctx)}`;
    const scan = (control: FlightControl): Promise<PlatformFacts> =>
      track(
        scanPlatform(ref, digest, platform, ctx, earlyStop, control.signal).finally(() => {
          scanning.delete(digest);
        }),
      );
    return platformFlights.run(key, ctx.signal, scan);
  }

  async function run(ref: ImageReference, reference: string, ctx: CallContext, earlyStop: boolean, progress: Progress, platform?: Platform): Promise<ImageFacts> {
    let digest = ref.digest;
    let staleTag: StaleTag | undefined;
    if (digest === undefined) {
      progress.step = `the registry's answer for tag ${ref.tag ?? ''}`;
      const key = tagKey(ref, ctx);
      const resolveAtRegistry = (signal: AbortSignal, deadline?: number) => client.resolveTag(ref, { signal, credentials: ctx.credentials, ...(deadline !== undefined ? { deadline } : {}) });
      const resolved = await tags.resolve(key, ref.registry, resolveAtRegistry, ctx.signal, ctx.deadline);
      digest = resolved.digest;
      staleTag = resolved.stale;
      if (resolved.fetched !== undefined && cache.peek('manifest', digest) === undefined) cache.set('manifest', digest, resolved.fetched.manifest);
    }
    progress.step = `manifest ${short(digest)}`;
    const manifest = await manifestOf(ref, digest, ctx);
    let platforms: PlatformFacts[];
    if (manifest.kind === 'index') {
      const entries = linuxPlatforms(manifest);
      if (entries.length === 0) {
        throw new InspectError('no-platform', reference, `${reference} is an index with no linux image (only attestations or other operating systems)`, { registry: ref.registry });
      }
      if (entries.length > maxPlatforms) {
        throw new InspectError('too-large', reference, `${reference} is an index of ${entries.length} linux platforms, more than the ${maxPlatforms} inspected`, { registry: ref.registry });
      }
      let chosen = entries;
      if (platform !== undefined) {
        const picked = pickPlatform(entries, platform);
        const have = entries.map((e) => platformString(e.platform)).join(', ');
        if (picked === undefined) throw new InspectError('no-platform', reference, `${reference} has no ${platformString(platform)} image (it has ${have})`, { registry: ref.registry });
        chosen = [picked];
      }
      progress.scans = chosen.map((e) => e.digest);
      platforms = await Promise.all(chosen.map((e) => platformFacts(ref, e.digest, platformString(e.platform), ctx, earlyStop)));
    } else {
      progress.scans = [digest];
      platforms = [await platformFacts(ref, digest, undefined, ctx, earlyStop)];
      const only = platforms[0];
      const actual = only === undefined ? undefined : parsePlatform(only.platform);
      if (platform !== undefined && only !== undefined && (actual === undefined || !platformMatches(platform, actual))) {
        throw new InspectError('no-platform', reference, `${reference} is a ${only.platform} image, not ${platformString(platform)}`, { registry: ref.registry });
      }
    }
    const facts = combinePlatforms(reference, digest, platforms);
    return staleTag === undefined ? facts : { ...facts, staleTag };
  }

  return {
    async inspect(reference, callOptions) {
      const { signal } = callOptions;
      let ref: ImageReference | undefined;
      const started = Date.now();
      const progress: Progress = { step: 'the start', scans: [] };
      try {
        signal.throwIfAborted();
        ref = parseReference(reference);
        let facts: ImageFacts | undefined;
        let refused: unknown;
        progress.step = 'the registry credentials';
        for await (const credentials of credentialsToTry(ref, callOptions.credentials, signal)) {
          try {
            const ctx: CallContext = { signal, deadline: callOptions.deadline, credentials };
            facts = await abortable(run(ref, reference, ctx, callOptions.earlyStop ?? earlyStopDefault, progress, callOptions.platform), signal);
            break;
          } catch (err) {
            if (!(err instanceof RegistryError && err.code === 'unauthorized') || signal.aborted) throw err;
            refused = err;
            progress.step = 'the registry credentials';
          }
        }
        if (facts === undefined) throw refused;
        // One platform's facts are not the reference's: the answer from memory (known) must be every platform's.
        const complete = facts.platforms.every((p) => !p.scan.stoppedEarly) && callOptions.platform === undefined;
        if (complete && ref.digest !== undefined) knownFacts.set(reference, facts, 1);
        if (complete && ref.digest === undefined && facts.staleTag === undefined) knownTags.set(reference, { ref, facts }, 1);
        logger.debug({ image: reference, digest: facts.digest, ms: Date.now() - started }, 'image inspected');
        return facts;
      } catch (err) {
        const waitingFor = (): string => {
          const scans = progress.scans.map((d) => scanning.get(d)).filter((s): s is string => s !== undefined);
          const what = scans.length > 0 ? scans.join('; ') : progress.step;
          return `waiting for ${what}${ref !== undefined ? ` from ${ref.registry}` : ''}`;
        };
        const error = toInspectError(err, reference, signal, ref?.registry, waitingFor);
        logger.debug({ image: reference, code: error.code, detail: error.detail, ms: Date.now() - started }, 'image inspection failed');
        throw error;
      }
    },

    known(reference, credentials) {
      const tag = knownTags.get(reference);
      const access = tag === undefined ? undefined : knownCallCredentials(tag.ref, credentials);
      const facts = tag === undefined ? knownFacts.get(reference) : access !== undefined && tags.peek(tagKey(tag.ref, { credentials: access.lookup })) === tag.facts.digest ? tag.facts : undefined;
      if (facts !== undefined) knownHits++;
      return facts;
    },

    stats() {
      const digestCache = cache.stats();
      return { cache: { ...digestCache, hits: digestCache.hits + knownHits }, layersRunning: limiter.running, layersQueued: limiter.waiting, inFlight: running.size };
    },

    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
      await cache.flush();
    },
  };
}

/** Where one inspect call is, for the message when its deadline passes. */
interface Progress {
  /** The step it waits for before any platform scan: "the registry's answer for tag 1.0", "manifest sha256:…". */
  step: string;
  /** The platform digests it waits for once scanning (their shared scans say which layer). */
  scans: readonly string[];
}

function short(digest: string): string {
  return digest.length > 19 ? `${digest.slice(0, 19)}…` : digest;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
