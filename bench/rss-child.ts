/**
 * Inspects one image in a process of its own and reports memory at exit, for the peak-RSS target:
 *   node --import tsx bench/rss-child.ts REF [concurrency]
 * Prints one JSON line at exit: start-up RSS (after imports, before any work), peak RSS
 * (process.resourceUsage().maxRSS, KiB), VmHWM from /proc/self/status as a cross-check, sampled
 * heap/external/arrayBuffers peaks, and the inspection time.
 *
 * Linux folds the pre-exec address space's high-water mark into ru_maxrss at execve: a child forked straight from
 * a big process reports that process's RSS as its own maxRSS. Start this from a small process (bench/inspect.ts
 * goes through `sh -c`), or compare with vmHwmKiB, which starts afresh at exec.
 * A full scan (earlyStop false): every layer is read, the worst case.
 */
import { readFileSync } from 'node:fs';
import { createImageInspector } from '../src/image/inspector.js';

/** VmHWM of /proc/self/status in KiB: the peak RSS of this process image only (a fresh mm at exec). */
function vmHwmKiB(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

const startup = { rssKiB: Math.round(process.memoryUsage().rss / 1024), maxRssKiB: process.resourceUsage().maxRSS };
const ref = process.argv[2];
if (ref === undefined) {
  console.error('usage: node --import tsx bench/rss-child.ts REF [concurrency]');
  process.exit(2);
}
const concurrency = Number(process.argv[3] ?? 2);

const peaks = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0, rss: 0 };
const sample = (): void => {
  const m = process.memoryUsage();
  peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
  peaks.heapTotal = Math.max(peaks.heapTotal, m.heapTotal);
  peaks.external = Math.max(peaks.external, m.external);
  peaks.arrayBuffers = Math.max(peaks.arrayBuffers, m.arrayBuffers);
  peaks.rss = Math.max(peaks.rss, m.rss);
};
const sampler = setInterval(sample, 20);

let result: Record<string, unknown> = { ok: false };
process.on('exit', () => {
  sample();
  const kib = (n: number): number => Math.round(n / 1024);
  console.log(
    JSON.stringify({
      ...result,
      startup,
      peakRssKiB: process.resourceUsage().maxRSS,
      vmHwmKiB: vmHwmKiB(),
      sampledPeakKiB: { rss: kib(peaks.rss), heapTotal: kib(peaks.heapTotal), heapUsed: kib(peaks.heapUsed), external: kib(peaks.external), arrayBuffers: kib(peaks.arrayBuffers) },
    }),
  );
});

const inspector = createImageInspector({ concurrency });
const started = performance.now();
try {
  const facts = await inspector.inspect(ref, { signal: AbortSignal.timeout(300_000), earlyStop: false });
  const ms = performance.now() - started;
  await inspector.idle();
  const scan = facts.platforms[0]?.scan;
  result = { ok: true, ms, layersRead: scan?.layersRead, layersTotal: scan?.layersTotal, shells: facts.shells };
} catch (error) {
  result = { ok: false, error: error instanceof Error ? error.message : String(error) };
  process.exitCode = 1;
} finally {
  clearInterval(sampler);
}
