/** A least-recently-used map bounded by entry count and by approximate bytes. */

export interface LruOptions {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export class LruCache<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private totalBytes = 0;

  constructor(private readonly options: LruOptions) {
    if (!(options.maxEntries > 0) || !(options.maxBytes > 0)) throw new RangeError('LRU bounds must be positive');
  }

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (hit === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, hit); // most recent last
    return hit.value;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Stores a value of about `bytes` bytes; a value larger than the whole budget is not kept. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.options.maxBytes) return;
    this.map.set(key, { value, bytes });
    this.totalBytes += bytes;
    for (const [oldest, entry] of this.map) {
      if (this.map.size <= this.options.maxEntries && this.totalBytes <= this.options.maxBytes) break;
      this.map.delete(oldest);
      this.totalBytes -= entry.bytes;
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
