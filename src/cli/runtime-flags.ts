/**
 * Node flags every way of running the guard passes (bin/distroless-guard and the Dockerfile's ENTRYPOINT, which the
 * Deployment keeps: its args replace CMD only; test/cli/dockerfile.test.ts keeps them in step, bench/inspect.ts and
 * bench/admission.ts measure with them).
 *
 * --expose-gc: layer scans allocate ~1 GB of short-lived stream Buffers per GB of image, and V8 frees their memory
 * only when it collects the small objects that own it, after ~64 MiB of it has piled up. With the flag, the layer
 * scan asks for a young-generation collection every 4 MiB it reads (src/image/layers/reclaim.ts): peak RSS scanning
 * a 1 GiB image 114-124 MiB (bench/inspect.ts target 5; ~150-155 MiB without).
 *
 * --max-semi-space-size=8 (MiB): the young generation admissions live in (bench/admission.ts). At 1 MiB (what the
 * guard ran with before, for scans) every review's short-lived objects were promoted and mark-compacts made the p99
 * 20-30 ms; V8's default here (32 MiB) makes each scavenge pause up to ~9 ms (p99 29-40 ms) and the guard's RSS
 * ~400 MiB under the soak load; 8 MiB gave the best p99 of those tried and ~200 MiB.
 *
 * --no-memory-reducer: V8's memory reducer shrinks the heap when a process falls idle (made for browser tabs). A
 * webhook idles between bursts of pod creations; after each idle spell the reducer's mark-compacts paused it 31-39
 * ms, and the first mark-compact under the next burst, on the shrunk heap, took 12-19 ms plus incremental steps of
 * up to 32 ms: the first 15-20 s of load at 1,000 req/s had a p99 of 12-28 ms (3.9-5.7 ms with the flag). The heap
 * keeps its size instead (~40-60 MiB; RSS after bench/admission.ts's throughput runs 175-225 MiB, 162-184 without).
 *
 * --heap-growing-percent=100: after each mark-compact, V8 lets the old generation grow to twice what survived before
 * the next one (by default it picks up to 4x from its own speed estimates). The guard keeps ~43-45 MB live, while its
 * registry calls (a HEAD per tag-referenced admission) promote each request's HTTP objects, freed only by a full
 * collection: under bench/admission.ts's mixed load the old generation filled to 132-181 MB between collections and
 * the RSS plateaued at ~300 MiB one to two minutes in. With the flag it stays under ~105 MB, one mark-compact every
 * ~12 s (8.7 ms atomic pause), the RSS flat at ~210 MiB from the first minute, and GC time unchanged (2.5 s against
 * 2.7 s per 3 minutes: smaller old generations make the scavenges cheaper); 50 gave ~190 MiB for 1.8x the
 * mark-compact time.
 */
export const RUNTIME_NODE_FLAGS = ['--expose-gc', '--max-semi-space-size=8', '--no-memory-reducer', '--heap-growing-percent=100'] as const;

/**
 * Environment of the same runs (Dockerfile ENV, bin/distroless-guard). glibc gives each thread that allocates its
 * own malloc arena and keeps freed memory there; zlib work on libuv's pool threads spread freed buffers over up to
 * 8×cores arenas. Two arenas took another ~10-15 MiB off the 1 GiB scan's peak RSS (bench/inspect.ts, target 5).
 */
export const RUNTIME_ENV = { MALLOC_ARENA_MAX: '2' } as const;
