/**
 * Open-loop HTTPS load at a fixed rate (a child process of bench/admission.ts, pinned to its own core):
 *   node --import tsx bench/pacer.ts CONFIG.json        (prints one JSON line of results on stdout)
 * Request i is due at start + i/rate whatever happened to the ones before it, and its latency is measured from that
 * due time, so a slow answer delays nobody's clock (no coordinated omission). Requests go over a pool of keep-alive
 * connections, as kube-apiserver sends reviews; when every connection is busy a request waits, and that wait counts.
 * (autocannon's rate limit sends each connection's quota for the second back to back, and wrk has no rate at all:
 * neither measures latency at a fixed offered load.)
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

export interface PacerRequest {
  readonly path: string;
  /** A file holding the body. */
  readonly bodyFile: string;
  /** Relative share of this request in the mix (default 1). */
  readonly weight?: number;
}

export interface PacerConfig {
  readonly port: number;
  readonly ca: string;
  readonly servername: string;
  readonly rate: number;
  readonly durationS: number;
  /** Sent at the same rate before measuring, not counted. */
  readonly warmupS: number;
  readonly connections: number;
  readonly requests: readonly PacerRequest[];
  /** Report latency percentiles per window of this many seconds too (soak runs). */
  readonly windowS?: number;
}

export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface PacerResult {
  readonly sent: number;
  readonly completed: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly statuses: Record<string, number>;
  readonly achievedRate: number;
  readonly latencyMs: LatencySummary;
  readonly windows?: readonly (LatencySummary & { readonly fromS: number })[];
}

export function summariseLatency(values: number[]): LatencySummary {
  const sorted = values.sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: sorted[sorted.length - 1] ?? Number.NaN };
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (configPath === undefined) throw new Error('usage: node --import tsx bench/pacer.ts CONFIG.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as PacerConfig;
  const agent = new Agent({ keepAlive: true, maxSockets: config.connections, ca: config.ca, servername: config.servername });
  const bodies = config.requests.map((r) => ({ path: r.path, body: readFileSync(r.bodyFile), weight: r.weight ?? 1 }));
  // A fixed, interleaved schedule of the mix: weights as repeats, spread evenly.
  const cycle: (typeof bodies)[number][] = [];
  const total = bodies.reduce((s, b) => s + b.weight, 0);
  const credit = bodies.map(() => 0);
  for (let i = 0; i < total; i++) {
    let best = 0;
    bodies.forEach((b, j) => {
      credit[j] = (credit[j] ?? 0) + b.weight;
      if ((credit[j] ?? 0) > (credit[best] ?? 0)) best = j;
    });
    credit[best] = (credit[best] ?? 0) - total;
    const chosen = bodies[best];
    if (chosen !== undefined) cycle.push(chosen);
  }

  const interval = 1000 / config.rate;
  const start = performance.now() + 50;
  const measureFrom = start + config.warmupS * 1000;
  const end = measureFrom + config.durationS * 1000;
  const latencies: number[] = [];
  const windows = new Map<number, number[]>();
  const statuses: Record<string, number> = {};
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  let outstanding = 0;
  let i = 0;

  const send = (due: number, n: number): void => {
    const item = cycle[n % cycle.length];
    if (item === undefined) return;
    const counted = due >= measureFrom;
    if (counted) sent++;
    outstanding++;
    const req = request({ host: '127.0.0.1', port: config.port, path: item.path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': item.body.length } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => {
        outstanding--;
        if (!counted) return;
        const ms = performance.now() - due;
        completed++;
        statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
        latencies.push(ms);
        if (config.windowS !== undefined) {
          const w = Math.floor((due - measureFrom) / 1000 / config.windowS);
          const list = windows.get(w) ?? [];
          list.push(ms);
          windows.set(w, list);
        }
      });
    });
    req.on('error', (err) => {
      outstanding--;
      if (!counted) return;
      errors++;
      firstError ??= err.message;
    });
    req.end(item.body);
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      for (let due = start + i * interval; due <= now && due < end; due = start + i * interval) send(due, i++);
      if (start + i * interval >= end) {
        resolve();
        return;
      }
      setTimeout(tick, Math.max(0, Math.min(start + i * interval - performance.now(), 5)));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  const drainUntil = performance.now() + 30_000;
  while (outstanding > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();
  const result: PacerResult = {
    sent,
    completed,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    statuses,
    achievedRate: completed / config.durationS,
    latencyMs: summariseLatency(latencies),
    ...(config.windowS === undefined ? {} : { windows: [...windows].sort((a, b) => a[0] - b[0]).map(([w, list]) => ({ fromS: w * (config.windowS ?? 0), ...summariseLatency(list) })) }),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

await main();
