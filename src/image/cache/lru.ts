/**
 * A least-recently-used map bounded by entry count and by approximate bytes, evicting by second chance (CLOCK, as
 * page caches do): a hit only marks its entry, and the entry is moved behind the others when eviction reaches it.
 * Moving it on every hit (delete + set) made each admission rebuild the Map's hash table now and then, garbage
 * that outlived the young generation and brought mark-compact pauses with it.
 */

export interface LruOptions {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export class LruCache<V> {
  private readonly map = new Map<string, { readonly value: V; readonly bytes: number; used: boolean }>();
  private totalBytes = 0;

  constructor(private readonly options: LruOptions) {
    if (!(options.maxEntries > 0) || !(options.maxBytes > 0)) throw new RangeError('LRU bounds must be positive');
  }

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (hit === undefined) return undefined;
    hit.used = true;
    return hit.value;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Stores a value of about `bytes` bytes; a value larger than the whole budget is not kept. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.options.maxBytes) return;
    this.map.set(key, { value, bytes, used: false });
    this.totalBytes += bytes;
    while (this.map.size > this.options.maxEntries || this.totalBytes > this.options.maxBytes) {
      // Oldest first (insertion order). Terminates: each entry is given at most one second chance per pass.
      const [oldest, entry] = this.map.entries().next().value as [string, { value: V; bytes: number; used: boolean }];
      this.map.delete(oldest);
      if (oldest === key) this.map.set(oldest, entry); // never the entry being stored (it fits on its own)
      else if (entry.used) {
        entry.used = false;
        this.map.set(oldest, entry);
      } else this.totalBytes -= entry.bytes;
    }
  }

  delete(key: string): void {
    const old = this.map.get(key);
    if (old === undefined) return;
    this.map.delete(key);
    this.totalBytes -= old.bytes;
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }
}
