/**
 * RSA-2048 key generation: node-forge in pure JavaScript vs node-forge using Node's crypto vs Node's own
 * crypto.generateKeyPair (async, on the libuv thread pool), with how long each blocks the event loop, and the whole
 * certificate set of src/server/tls/generate.ts (two async keys, X.509 built by node-forge, signed natively).
 *   node --import tsx bench/keygen.ts [repetitions]
 */
import { generateKeyPair, generateKeyPairSync } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { generateCertificates } from '../src/server/tls/generate.js';

/** node-forge's switch to its JavaScript implementations (not in @types/node-forge). */
const forgeOptions = (forge as unknown as { options: { usePureJavaScript: boolean } }).options;
const REPS = Math.max(1, Number(process.argv[2] ?? 5));
const generateAsync = promisify(generateKeyPair);

interface Sample {
  readonly ms: number;
  /** Longest the event loop was held up while this ran. */
  readonly maxLoopDelayMs: number;
}

async function measure(run: () => Promise<unknown> | unknown): Promise<Sample> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  // A timer that must fire every 5 ms: its worst lateness is how long the loop was blocked.
  let last = performance.now();
  let worst = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
  }, 5);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(ticker);
  histogram.disable();
  return { ms, maxLoopDelayMs: Math.max(worst, histogram.max / 1e6 - 5) };
}

const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length - 1) * p))] ?? Number.NaN;

async function report(label: string, run: () => Promise<unknown> | unknown): Promise<void> {
  const samples: Sample[] = [];
  for (let i = 0; i < REPS; i++) samples.push(await measure(run));
  const ms = samples.map((s) => s.ms);
  const blocked = samples.map((s) => s.maxLoopDelayMs);
  console.log(
    `${label.padEnd(58)} median ${pct(ms, 0.5).toFixed(0).padStart(6)} ms  min ${Math.min(...ms).toFixed(0).padStart(6)}  max ${Math.max(...ms).toFixed(0).padStart(6)}   event loop blocked up to ${Math.max(...blocked).toFixed(0)} ms`,
  );
}

console.log(`node ${process.version}, ${REPS} repetitions each, RSA 2048`);
await report('node-forge, pure JavaScript (usePureJavaScript)', () => {
  forgeOptions.usePureJavaScript = true;
  try {
    forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  } finally {
    forgeOptions.usePureJavaScript = false;
  }
});
await report("node-forge default (calls Node's generateKeyPairSync)", () => forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 }));
await report('crypto.generateKeyPairSync', () => generateKeyPairSync('rsa', { modulusLength: 2048 }));
await report('crypto.generateKeyPair (async, thread pool)', () => generateAsync('rsa', { modulusLength: 2048 }));
await report('generateCertificates (2 async keys, forge X.509, native sign)', () => generateCertificates({ dnsNames: ['a.b.svc'], ipAddresses: [] }));
