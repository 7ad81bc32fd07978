/**
 * Tag → digest, remembered. Most Pods name their images by tag; asking the registry on every admission puts its
 * round trip (20-300 ms across the internet) into every pod creation and turns a registry outage into failurePolicy
 * for images already judged. A resolved tag is reused for `ttlMs`, keyed by the caller's access (registry,
 * repository, credential: a pod without access to a private image never rides on another pod's resolution).
 *
 * - A tag still in use is refreshed in the background once it is past `REFRESH_AHEAD` of its life, so a steady
 *   stream of admissions never waits on the registry.
 * - When a refresh fails for a reason that looks like an outage (timeout, 5xx, reset, DNS, 429), the last digest
 *   keeps serving, marked stale, for up to `maxStaleMs` past its expiry; after that first failed refresh no
 *   admission waits on the registry again (refreshes retry in the background).
 * - A 404 (the tag was deleted) or 401/403 (access revoked) is no outage: the entry goes at once.
 *
 * Mutable tags can move within the TTL; the kubelet pulls the tag again later anyway, and pinDigest closes that gap
 * by running exactly the digest that was judged (docs/image-inspection.md).
 */
import { RegistryError, type RegistryErrorCode } from '../registry/errors.js';
import type { StaleTag } from '../facts/types.js';
import type { ResolvedTag } from '../registry/client.js';
import { SingleFlight } from './single-flight.js';

export type TagResolutionResult = 'hit' | 'miss' | 'refresh' | 'stale' | 'error';

export interface TagCacheOptions {
  /** How long a resolution is reused; 0 resolves on every call. */
  readonly ttlMs: number;
  /** How long past its expiry a resolution may serve while its registry cannot be reached. */
  readonly maxStaleMs: number;
  /** Tags remembered at most (oldest first out). Default 10,000. */
  readonly maxEntries?: number;
  /** Bound on a background refresh. Default 10 s. */
  readonly refreshTimeoutMs?: number;
  /** Counts every resolution by how it was answered (the tag_resolutions_total metric). */
  readonly onResult?: (result: TagResolutionResult) => void;
  readonly now?: () => number;
}

/** A digest, and when it comes from a resolution the registry could not confirm, why. */
export interface TagDigest extends ResolvedTag {
  readonly stale?: StaleTag;
}

/**
 * Resolves the tag at the registry. In the foreground it gets the caller's deadline (epoch ms: no registry retry is
 * waited for past it); a background refresh has its own signal and no deadline.
 */
export type TagResolver = (signal: AbortSignal, deadline?: number) => Promise<ResolvedTag>;

interface Entry {
  digest: string;
  resolvedAt: number;
  /** Set while refreshes fail with an outage: from then on nobody waits for the registry. */
  failing?: { readonly since: number; reason: string; lastTry: number };
  refreshing: boolean;
}

/** Past this share of its life a resolution in use is refreshed in the background. */
const REFRESH_AHEAD = 0.8;
/** While a registry is failing, background retries are at most this often. */
const RETRY_EVERY_MS = 5_000;
/** Not an outage: the registry answered that the tag or the access is gone. */
const INVALIDATING: ReadonlySet<RegistryErrorCode> = new Set<RegistryErrorCode>(['not-found', 'unauthorized', 'forbidden', 'unsupported']);

export class TagCache {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new SingleFlight<ResolvedTag>(0);
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(private readonly options: TagCacheOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The tag's digest for `key` (access + tag) of `registry`: from memory when it may be, else from `resolve`. */
  async resolve(key: string, registry: string, resolve: TagResolver, signal: AbortSignal, deadline?: number): Promise<TagDigest> {
    const { ttlMs, maxStaleMs } = this.options;
    if (ttlMs <= 0) return this.count('miss', await this.foreground(key, resolve, signal, deadline));
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry === undefined) {
      const resolved = await this.foreground(key, resolve, signal, deadline);
      this.store(key, resolved.digest, now);
      return this.count('miss', resolved);
    }
    const age = now - entry.resolvedAt;
    if (age < ttlMs && entry.failing === undefined) {
      if (age >= ttlMs * REFRESH_AHEAD) this.background(key, entry, resolve);
      return this.count('hit', { digest: entry.digest });
    }
    const servable = age < ttlMs + maxStaleMs;
    if (entry.failing !== undefined) {
      // A known outage: answer from memory at once (or fail, past max-stale), retry in the background.
      if (!servable) return this.expire(key, registry, entry.failing.reason);
      this.background(key, entry, resolve);
      return this.count('stale', { digest: entry.digest, stale: { resolvedAt: entry.resolvedAt, reason: entry.failing.reason } });
    }
    try {
      const resolved = await this.foreground(key, resolve, signal, deadline);
      this.store(key, resolved.digest, this.now());
      return this.count('refresh', resolved);
    } catch (error) {
      if (!isOutage(error)) {
        this.entries.delete(key);
        throw error;
      }
      const reason = reasonOf(error);
      entry.failing = { since: this.now(), reason, lastTry: this.now() };
      if (!servable) return this.expire(key, registry, reason);
      return this.count('stale', { digest: entry.digest, stale: { resolvedAt: entry.resolvedAt, reason } });
    }
  }

  /**
   * The digest for `key` when memory may answer without any registry work now: resolved, within the part of its TTL
   * before the background refresh, and no outage known. Anything else (a miss, a refresh due, an outage) is
   * `resolve`'s to answer, asynchronously.
   */
  peek(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.failing !== undefined || this.now() - entry.resolvedAt >= this.options.ttlMs * REFRESH_AHEAD) return undefined;
    this.options.onResult?.('hit');
    return entry.digest;
  }

  get size(): number {
    return this.entries.size;
  }

  private async foreground(key: string, resolve: TagResolver, signal: AbortSignal, deadline: number | undefined): Promise<ResolvedTag> {
    try {
      return await this.flights.run(key, signal, (control) => resolve(control.signal, deadline));
    } catch (error) {
      this.options.onResult?.('error');
      throw error;
    }
  }

  /** Refreshes `entry` without anyone waiting; outcomes land in the entry. */
  private background(key: string, entry: Entry, resolve: TagResolver): void {
    const now = this.now();
    if (entry.refreshing || (entry.failing !== undefined && now - entry.failing.lastTry < RETRY_EVERY_MS)) return;
    entry.refreshing = true;
    if (entry.failing !== undefined) entry.failing.lastTry = now;
    void resolve(AbortSignal.timeout(this.options.refreshTimeoutMs ?? 10_000)).then(
      (resolved) => {
        entry.refreshing = false;
        if (this.entries.get(key) === entry) this.store(key, resolved.digest, this.now());
      },
      (error: unknown) => {
        entry.refreshing = false;
        if (this.entries.get(key) !== entry) return;
        if (!isOutage(error)) {
          this.entries.delete(key);
          return;
        }
        const reason = reasonOf(error);
        entry.failing = entry.failing === undefined ? { since: this.now(), reason, lastTry: this.now() } : { ...entry.failing, reason };
      },
    );
  }

  private store(key: string, digest: string, resolvedAt: number): void {
    this.entries.delete(key); // re-inserted last: the Map's order is the eviction order
    this.entries.set(key, { digest, resolvedAt, refreshing: false });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  private expire(key: string, registry: string, reason: string): never {
    this.entries.delete(key);
    this.options.onResult?.('error');
    throw new RegistryError('unavailable', registry, `${stripRegistry(reason, registry)}; the tag's last resolution is past the allowed staleness`);
  }

  private count<T>(result: TagResolutionResult, value: T): T {
    this.options.onResult?.(result);
    return value;
  }
}

function isOutage(error: unknown): boolean {
  return !(error instanceof RegistryError && INVALIDATING.has(error.code));
}

/** RegistryError messages start with "<registry>: "; a message built on one must not say it twice. */
function stripRegistry(message: string, registry: string): string {
  return message.startsWith(`${registry}: `) ? message.slice(registry.length + 2) : message;
}

function reasonOf(error: unknown): string {
  return error instanceof RegistryError ? error.message : 'the registry could not be reached';
}
