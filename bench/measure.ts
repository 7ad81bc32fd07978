/** Timing and reporting helpers for the benchmark. */

export interface Sample {
  /** Wall time, ms. */
  readonly ms: number;
  /** Process CPU (user + system, all threads: zlib runs on the libuv pool), ms. */
  readonly cpuMs: number;
}

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly cpuMedian: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarise(samples: readonly Sample[]): Summary {
  const ms = samples.map((s) => s.ms);
  return {
    n: samples.length,
    median: median(ms),
    min: Math.min(...ms),
    max: Math.max(...ms),
    cpuMedian: median(samples.map((s) => s.cpuMs)),
  };
}

/**
 * Times `fn`. `fn` may return its own measurement when only part of it is to be timed: a wall time in ms, or a
 * whole Sample (wall and CPU up to the point that matters, e.g. facts returned, before background work is awaited).
 */
export async function timed(fn: () => Promise<number | Sample | void>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const own = await fn();
  if (typeof own === 'object') return own;
  const ms = typeof own === 'number' ? own : performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Wall and CPU time since `start` (from {@link mark}). */
export function since(start: { readonly t0: number; readonly cpu0: NodeJS.CpuUsage }): Sample {
  const cpu = process.cpuUsage(start.cpu0);
  return { ms: performance.now() - start.t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export function mark(): { readonly t0: number; readonly cpu0: NodeJS.CpuUsage } {
  return { t0: performance.now(), cpu0: process.cpuUsage() };
}

export const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** One line of a timing summary: median, range, count and CPU time. */
export function summaryLine(name: string, s: Summary, extra = ''): string {
  return `  ${name.padEnd(58)} median ${fmtMs(s.median).padStart(7)} ms  [min ${fmtMs(s.min)}, max ${fmtMs(s.max)}, n=${s.n}]  cpu ${fmtMs(s.cpuMedian)} ms${extra}`;
}

/** A plain text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ') + ' |';
  const rule = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [line(header), rule, ...rows.map(line)].join('\n');
}
