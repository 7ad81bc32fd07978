/**
 * Memory of layer scans: a forced minor (young-generation) collection every 4 MiB of layer data. Stream chunks
 * (compressed and decompressed, ~128 KiB each) are garbage as soon as they are parsed, but V8 returns their off-heap
 * memory only when it collects the small objects that own it, and with a normal young generation it waits until some
 * 64 MiB of it has piled up. With `--expose-gc` (the guard's runtime flags), a young-generation collection is forced
 * every MINOR_GC_BYTES of decompressed layer data, all scans together: little survives, so each is short, and the
 * scan's memory stays bounded, while the admission path keeps V8's normal young generation. Without the flag (tests,
 * a library caller) this does nothing.
 */
const MINOR_GC_BYTES = 4 * 1024 * 1024;

type Collect = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;
const collect = (globalThis as { gc?: Collect }).gc;
let sinceCollect = 0;

/** Counts `bytes` of layer data read, and forces a young-generation collection every MINOR_GC_BYTES of them. */
export function forceMinorGcEvery4MiB(bytes: number): void {
  if (collect === undefined) return;
  sinceCollect += bytes;
  if (sinceCollect < MINOR_GC_BYTES) return;
  sinceCollect = 0;
  collect({ type: 'minor' });
}
