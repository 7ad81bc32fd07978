/**
 * Node flags every way of running the guard passes (bin/distroless-guard, the Dockerfile's CMD, the Deployment's
 * args; test/cli/dockerfile.test.ts keeps the three in step, bench/inspect.ts measures peak RSS with them).
 *
 * --expose-gc: layer scans allocate ~1 GB of short-lived stream Buffers per GB of image, and V8 frees their memory
 * only when it collects the small objects that own it, after ~64 MiB of it has piled up. With the flag, the layer
 * scan asks for a young-generation collection every 4 MiB it reads (src/image/layers/reclaim.ts). Peak RSS scanning
 * a 1 GiB image: ~150-155 MiB without it, 111-114 MiB with it (compiled, bench/inspect.ts target 5). It replaces
 * --max-semi-space-size=1 (113-124 MiB), which shrank the young generation for everything: admissions then
 * promoted their short-lived objects into the old generation, and its mark-compacts made the admission p99 20-30 ms
 * instead of 4-11 ms (bench/admission.ts).
 */
export const RUNTIME_NODE_FLAGS = ['--expose-gc'] as const;

/**
 * Environment of the same runs (Dockerfile ENV, bin/distroless-guard). glibc gives each thread that allocates its
 * own malloc arena and keeps freed memory there; zlib work on libuv's pool threads spread freed buffers over up to
 * 8×cores arenas. Two arenas took another ~10-15 MiB off the 1 GiB scan's peak RSS (bench/inspect.ts, target 5).
 */
export const RUNTIME_ENV = { MALLOC_ARENA_MAX: '2' } as const;
