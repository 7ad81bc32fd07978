/**
 * Node flags every way of running the guard passes (bin/distroless-guard and the Dockerfile's ENTRYPOINT, which the
 * Deployment keeps: its args replace CMD only; test/cli/dockerfile.test.ts keeps them in step, bench/inspect.ts and
 * bench/admission.ts measure with them). What each is for; the measurements behind each: bench/PERFORMANCE.md,
 * "Runtime flags".
 *
 * --expose-gc: a layer scan forces a young-generation collection every 4 MiB it reads
 * (src/image/layers/force-minor-gc.ts), so the off-heap memory of the stream buffers it is done with is returned at
 * once instead of piling up until V8 collects on its own.
 *
 * --max-semi-space-size=8 (MiB): the young generation admissions live in: small enough for short scavenges, large
 * enough that a review's short-lived objects die young instead of being promoted.
 *
 * --no-memory-reducer: V8's memory reducer shrinks the heap when a process falls idle (made for browser tabs); a
 * webhook idles between bursts of pod creations, and the reducer's collections made the first seconds of each burst
 * the p99. The heap keeps its size instead.
 *
 * --heap-growing-percent=100: after each mark-compact, the old generation may grow to twice what survived (V8 picks
 * up to 4x by itself). Registry calls promote each request's HTTP objects, which only a full collection frees: with
 * V8's own factor the process grew well past what it keeps live.
 */
export const RUNTIME_NODE_FLAGS = ['--expose-gc', '--max-semi-space-size=8', '--no-memory-reducer', '--heap-growing-percent=100'] as const;

/**
 * Environment of the same runs (Dockerfile ENV, bin/distroless-guard). glibc gives each thread that allocates its
 * own malloc arena and keeps freed memory there; zlib work on libuv's pool threads spread freed buffers over up to
 * 8×cores arenas. Two arenas keep a scan's freed memory together (bench/PERFORMANCE.md, "Runtime flags").
 */
export const RUNTIME_ENV = { MALLOC_ARENA_MAX: '2' } as const;
