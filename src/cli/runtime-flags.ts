/**
 * Node flags every way of running the guard passes (bin/distroless-guard, the Dockerfile's CMD, the Deployment's
 * args; test/cli/dockerfile.test.ts keeps the three in step, bench/inspect.ts measures peak RSS with them).
 *
 * --max-semi-space-size=1 (MiB): layer scans allocate ~1 GB of short-lived stream Buffers per GB of image. V8 frees
 * their backing stores only at a GC, and with the default young generation it waits until ~64 MiB of external
 * memory has piled up; a 1 MiB semi-space collects them every few MiB instead. Peak RSS scanning a 1 GiB image
 * went from ~170-186 MiB to ~130 MiB (bench/inspect.ts, target 5).
 */
export const RUNTIME_NODE_FLAGS = ['--max-semi-space-size=1'] as const;

/**
 * Environment of the same runs (Dockerfile ENV, bin/distroless-guard). glibc gives each thread that allocates its
 * own malloc arena and keeps freed memory there; zlib work on libuv's pool threads spread freed buffers over up to
 * 8×cores arenas. Two arenas took another ~10-15 MiB off the 1 GiB scan's peak RSS (bench/inspect.ts, target 5).
 */
export const RUNTIME_ENV = { MALLOC_ARENA_MAX: '2' } as const;
