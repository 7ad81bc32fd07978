/**
 * The digest-keyed cache of what inspection computes. Everything here is content-addressed (a digest names
 * immutable bytes), so entries never go stale; tags are never cached here. Memory: one LRU bounded by entries and
 * approximate bytes. Optional persistence: one JSON file per kind+digest, written atomically (temp file + rename),
 * read back on a memory miss, so a restarted guard does not scan again.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlatformFacts } from '../facts/types.js';
import type { ImageConfig, LayerIndex } from '../layers/types.js';
import type { ImageLogger } from '../registry/logger.js';
import { noopLogger } from '../registry/logger.js';
import type { Manifest } from '../registry/manifest.js';
import { LruCache } from './lru.js';

/**
 * Bump when the shape or meaning of a cached value changes: old files are then ignored (2: PlatformFacts.hasTmpDir;
 * 3: PlatformFacts.distribution and runtimes).
 */
export const CACHE_FORMAT_VERSION = 3;

export interface CacheValues {
  /** A layer's index, by layer blob digest. */
  readonly layer: LayerIndex;
  /** Complete (not early-stopped) facts of one platform image, by its manifest digest. */
  readonly platform: PlatformFacts;
  /** A parsed manifest or index, by its digest. */
  readonly manifest: Manifest;
  /** An image config, by its blob digest. */
  readonly config: ImageConfig;
}

export type CacheKind = keyof CacheValues;

export interface DigestCacheOptions {
  /** Default 5000. */
  readonly maxEntries?: number;
  /** Approximate bytes held in memory, counted as JSON (the heap holds about 2-3 times that); default 64 MiB. */
  readonly maxBytes?: number;
  /** Persist entries under this directory. */
  readonly dir?: string;
  readonly logger?: ImageLogger;
}

export interface CacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly diskHits: number;
}

export interface DigestCache {
  get<K extends CacheKind>(kind: K, digest: string, signal: AbortSignal): Promise<CacheValues[K] | undefined>;
  /** Stores in memory at once; the disk write (if any) runs in the background and is awaited by `flush`. */
  set<K extends CacheKind>(kind: K, digest: string, value: CacheValues[K]): void;
  /** Memory only, synchronous. */
  peek<K extends CacheKind>(kind: K, digest: string): CacheValues[K] | undefined;
  stats(): CacheStats;
  /** Waits for pending disk writes. */
  flush(): Promise<void>;
}

export class CacheError extends Error {
  override readonly name = 'CacheError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface FileShape {
  readonly v: number;
  readonly kind: string;
  readonly digest: string;
  readonly value: unknown;
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function createDigestCache(options: DigestCacheOptions = {}): DigestCache {
  const lru = new LruCache<unknown>({ maxEntries: options.maxEntries ?? 5000, maxBytes: options.maxBytes ?? 64 * 1024 * 1024 });
  const logger = options.logger ?? noopLogger;
  const root = options.dir !== undefined ? join(options.dir, `v${CACHE_FORMAT_VERSION}`) : undefined;
  const pending = new Set<Promise<void>>();
  let ready: Promise<void> | undefined;
  let hits = 0;
  let misses = 0;
  let diskHits = 0;

  const key = (kind: CacheKind, digest: string): string => `${kind}:${digest}`;
  const fileOf = (dir: string, kind: CacheKind, digest: string): string => join(dir, kind, `${digest.replace(':', '-')}.json`);

  const ensureDirs = (dir: string): Promise<void> => {
    ready ??= Promise.all((['layer', 'platform', 'manifest', 'config'] as const).map((k) => mkdir(join(dir, k), { recursive: true }))).then(() => undefined);
    return ready;
  };

  async function writeFileAtomic(dir: string, kind: CacheKind, digest: string, text: string): Promise<void> {
    await ensureDirs(dir);
    const final = fileOf(dir, kind, digest);
    const temp = `${final}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, final);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw new CacheError(`cannot persist ${kind} ${digest} in ${dir}`, { cause: err });
    }
  }

  async function readFromDisk(dir: string, kind: CacheKind, digest: string, signal: AbortSignal): Promise<{ value: unknown; bytes: number } | undefined> {
    let text: string;
    try {
      text = await readFile(fileOf(dir, kind, digest), { encoding: 'utf8', signal });
    } catch {
      return undefined; // missing (the normal miss) or unreadable: either way, compute it again
    }
    try {
      const doc = JSON.parse(text) as FileShape;
      if (doc.v !== CACHE_FORMAT_VERSION || doc.kind !== kind || doc.digest !== digest || typeof doc.value !== 'object' || doc.value === null) return undefined;
      return { value: doc.value, bytes: text.length };
    } catch (err) {
      logger.warn({ kind, digest, err: err instanceof Error ? err.message : String(err) }, 'ignoring a corrupt cache file');
      return undefined;
    }
  }

  return {
    async get(kind, digest, signal) {
      const k = key(kind, digest);
      const hit = lru.get(k);
      if (hit !== undefined) {
        hits++;
        return hit as CacheValues[typeof kind];
      }
      if (root !== undefined && DIGEST_RE.test(digest)) {
        const loaded = await readFromDisk(root, kind, digest, signal);
        if (loaded !== undefined) {
          diskHits++;
          hits++;
          lru.set(k, loaded.value, loaded.bytes);
          return loaded.value as CacheValues[typeof kind];
        }
      }
      misses++;
      return undefined;
    },

    peek(kind, digest) {
      return lru.get(key(kind, digest)) as CacheValues[typeof kind] | undefined;
    },

    set(kind, digest, value) {
      const text = JSON.stringify({ v: CACHE_FORMAT_VERSION, kind, digest, value } satisfies FileShape);
      lru.set(key(kind, digest), value, text.length);
      if (root === undefined || !DIGEST_RE.test(digest)) return;
      const write = writeFileAtomic(root, kind, digest, text)
        .catch((err: unknown) => logger.warn({ kind, digest, err: err instanceof Error ? err.message : String(err) }, 'cache write failed'))
        .finally(() => pending.delete(write));
      pending.add(write);
    },

    stats() {
      return { entries: lru.size, bytes: lru.bytes, hits, misses, diskHits };
    },

    async flush() {
      await Promise.all([...pending]);
    },
  };
}
