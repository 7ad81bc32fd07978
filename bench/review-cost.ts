/**
 * What one review costs in-process, and how much more once the rest of a request has run in between: a diagnostic
 * for the admission benchmark's throughput target (bench/PERFORMANCE.md), where a review costs several times its
 * in-process time.
 *
 *   npm run bench:review-cost        (node --import tsx bench/review-cost.ts; ~40 s)
 *
 * The benchmark's Pod (bench/admission-pod.ts) and policies, image facts in memory (distroless, nonroot). Steps:
 * JSON.parse of the body (the floor's own work), and decode + review + encode for /validate and /mutate. Each is timed
 * on its own (the clock read around the step only) back to back; after a write(2) of one byte to /dev/null (a server
 * enters the kernel at least twice per request: read and write); and after that write and a sweep over other memory
 * (what TLS, HTTP and the other connections' requests do to the CPU caches between two reviews). Medians of 9 runs
 * of 5,000 steps, in a child pinned to one core with the guard's runtime flags.
 */
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync, writeSync } from 'node:fs';
import { decodeAdmissionReview } from '../src/admission/decode.js';
import { encodeAdmissionReview } from '../src/admission/encode.js';
import { RUNTIME_ENV, RUNTIME_NODE_FLAGS } from '../src/cli/runtime-flags.js';
import { PolicyStore } from '../src/policy/store.js';
import type { FactsSource } from '../src/review/facts-source.js';
import { staticNamespaces } from '../src/review/namespace-directory.js';
import { mutate, validate } from '../src/review/review.js';
import { imageFacts } from '../test/support/reviews.js';
import { BENCH_POLICY_YAML, podReview } from './admission-pod.js';
import { median } from './measure.js';
import { has } from './tools.js';

const CHILD = 'DISTROLESS_GUARD_REVIEW_COST_CHILD';
const RUNS = 9;
const STEPS = 5_000;
const SWEEPS_MIB = [1, 4] as const;

if (process.env[CHILD] !== '1') {
  const pin = has('taskset') ? ['taskset', '-c', '0'] : [];
  const [command = process.execPath, ...args] = [...pin, process.execPath, ...RUNTIME_NODE_FLAGS, '--import', 'tsx', import.meta.filename];
  const child = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...RUNTIME_ENV, [CHILD]: '1' } });
  process.exit(child.status ?? 1);
}

const images = {
  app: `registry.test/shop/api@sha256:${'a'.repeat(64)}`,
  sidecar: `registry.test/shop/sidecar@sha256:${'b'.repeat(64)}`,
  agent: `registry.test/shop/agent@sha256:${'c'.repeat(64)}`,
};
const body = Buffer.from(podReview(images));
const policies = new PolicyStore({ guardNamespace: 'distroless-guard' });
const loaded = policies.loadText(BENCH_POLICY_YAML, 'bench policy');
if (!loaded.ok) throw new Error(`bench policy: ${loaded.error}`);
const known = new Map(Object.values(images).map((image, i) => [image, { kind: 'known' as const, facts: imageFacts(image, 'abc'.charAt(i)) }]));
const facts: FactsSource = async (request) => known.get(request.image) ?? { kind: 'not-inspected' };
const deps = { policies: () => policies.current(), namespaces: staticNamespaces(), facts };
const signal = new AbortController().signal;

let sink = 0;
const steps: Record<string, () => Promise<void> | void> = {
  'JSON.parse (the floor)': () => {
    sink += (JSON.parse(body.toString('utf8')) as { kind: string }).kind.length;
  },
  '/validate': async () => {
    sink += encodeAdmissionReview('u', (await validate(decodeAdmissionReview(body), deps, signal)).verdict).length;
  },
  '/mutate': async () => {
    sink += encodeAdmissionReview('u', (await mutate(decodeAdmissionReview(body), deps, signal)).verdict).length;
  },
};
const mutated = (await mutate(decodeAdmissionReview(body), deps, signal)).verdict;
if (!mutated.allowed || mutated.patch.length === 0) throw new Error('the bench pod was not admitted with a patch');

const devNull = openSync('/dev/null', 'w');
const oneByte = Buffer.from('x');
const sweepArea = new Int32Array((Math.max(...SWEEPS_MIB) * 1024 * 1024) / 4);
/** Writes one int per 64-byte cache line over `mib` MiB. */
function sweep(mib: number): void {
  const end = (mib * 1024 * 1024) / 4;
  for (let i = 0; i < end; i += 16) sweepArea[i] = (sweepArea[i] ?? 0) + 1;
}

interface Condition {
  readonly name: string;
  readonly between?: () => void;
}
const conditions: Condition[] = [
  { name: 'back to back' },
  { name: 'after a write(2)', between: () => writeSync(devNull, oneByte) },
  ...SWEEPS_MIB.map((mib) => ({ name: `+ ${mib} MiB swept`, between: () => (writeSync(devNull, oneByte), sweep(mib)) })),
];

/** Microseconds per step (a review's promise awaited), the clock read around the step only. */
async function run(step: () => Promise<void> | void, between: (() => void) | undefined): Promise<number> {
  let ms = 0;
  for (let i = 0; i < STEPS; i++) {
    between?.();
    const t0 = performance.now();
    await step();
    ms += performance.now() - t0;
  }
  return (ms / STEPS) * 1000;
}

const samples = new Map<string, number[]>();
for (let r = 0; r < RUNS; r++) {
  for (const [stepName, step] of Object.entries(steps)) {
    for (const condition of conditions) {
      const key = `${stepName}|${condition.name}`;
      samples.set(key, [...(samples.get(key) ?? []), await run(step, condition.between)]);
    }
  }
}
const us = (stepName: string, condition: string): number => median(samples.get(`${stepName}|${condition}`) ?? []);

/** A kernel file's text, or '' where the kernel has none. */
function kernelText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}
const pti = kernelText('/sys/devices/system/cpu/vulnerabilities/meltdown') || 'unknown';
const pcid = /\bpcid\b/.test(kernelText('/proc/cpuinfo'));
console.log(`review cost in-process — node ${process.version}, ${RUNTIME_NODE_FLAGS.join(' ')}; ${body.length}-byte AdmissionReview; meltdown: ${pti}, pcid ${pcid ? 'yes' : 'no'}`);
console.log(`medians of ${RUNS} runs of ${STEPS} steps, microseconds per step`);
const header = ['step', ...conditions.map((c) => c.name)];
const rows = Object.keys(steps).map((stepName) => [stepName, ...conditions.map((c) => us(stepName, c.name).toFixed(2))]);
const reviewRows = ['/validate', '/mutate'].map((stepName) => [
  `${stepName} beyond JSON.parse`,
  ...conditions.map((c) => (us(stepName, c.name) - us('JSON.parse (the floor)', c.name)).toFixed(2)),
]);
const table = [header, ...rows, ...reviewRows];
const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
if (sink === 0) console.log('(nothing computed)');
