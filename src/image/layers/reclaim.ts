/**
 * Memory of layer scans. Stream chunks (compressed and decompressed, ~128 KiB each) are garbage as soon as they are
 * parsed, but V8 returns their off-heap memory only when it collects the small objects that own it, and with a
 * normal young generation it waits until some 64 MiB of it has piled up. With `--expose-gc` (the guard's runtime
 * flags), a young-generation collection is asked for every RECLAIM_BYTES of decompressed layer data, all scans
 * together: a fraction of a millisecond each (little survives), and the scan's memory stays bounded, while the
 * admission path keeps V8's normal young generation. Without the flag (tests, a library caller) this does nothing.
 */
const RECLAIM_BYTES = 4 * 1024 * 1024;

type Collect = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;
const collect = (globalThis as { gc?: Collect }).gc;
let sinceCollect = 0;

/** Counts `bytes` of layer data read; collects the young generation every RECLAIM_BYTES. */
export function layerBytesRead(bytes: number): void {
  if (collect === undefined) return;
  sinceCollect += bytes;
  if (sinceCollect < RECLAIM_BYTES) return;
  sinceCollect = 0;
  collect({ type: 'minor' });
}
