/**
 * Instructions per admission, counted by valgrind (cachegrind): a measure that does not move when other processes
 * load the machine, for weighing a code change with and without it when a quiet machine for bench/admission.ts is
 * not to be had (bench/PERFORMANCE.md says which changes were weighed this way).
 *
 *   npm run bench:instructions                        (this checkout)
 *   BENCH_VARIANT_ROOT=../other-checkout npm run bench:instructions   (and another one, e.g. a git worktree)
 *
 * Each checkout's own app (src/server/app.ts over plain HTTP: TLS costs the same in both) answers the benchmark's Pod
 * (bench/admission-pod.ts) under the benchmark's policies, from a client in the same process, one request at a time.
 * The image facts come through the production path (inspectorFacts) from an inspector that has them in memory, as
 * a warm guard does. Each (checkout, endpoint) runs twice, with SHORT and LONG requests after the same warm-up; the
 * difference of the two instruction totals over LONG - SHORT is the cost of one admission, start-up and warm-up
 * cancelled out. Valgrind runs every thread of the process (GC helpers included) on one core, ~50x slower.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHILD = 'DISTROLESS_GUARD_INSTRUCTIONS_CHILD';
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 2_000);
const SHORT = Number(process.env['BENCH_SHORT'] ?? 1_000);
const LONG = Number(process.env['BENCH_LONG'] ?? 4_000);
const ENDPOINTS = ['validate', 'mutate'] as const;

if (process.env[CHILD] !== undefined) {
  await child(process.env[CHILD]);
} else {
  await parent();
}

async function parent(): Promise<void> {
  const checkouts = [ROOT, ...(process.env['BENCH_VARIANT_ROOT'] ? [resolve(process.env['BENCH_VARIANT_ROOT'])] : [])];
  console.log(`instructions per admission (valgrind cachegrind), warm-up ${WARMUP}, runs of ${SHORT} and ${LONG} requests`);
  const perAdmission = new Map<string, number>();
  for (const endpoint of ENDPOINTS) {
    for (const root of checkouts) {
      const [short, long] = [await count(root, endpoint, SHORT), await count(root, endpoint, LONG)];
      const each = (long - short) / (LONG - SHORT);
      perAdmission.set(`${root} ${endpoint}`, each);
      console.log(`  /${endpoint} ${root}: ${(each / 1000).toFixed(1)} k instructions per admission (${(short / 1e9).toFixed(3)} / ${(long / 1e9).toFixed(3)} G in all)`);
    }
    if (checkouts.length === 2) {
      const [a, b] = checkouts.map((root) => perAdmission.get(`${root} ${endpoint}`) ?? Number.NaN) as [number, number];
      console.log(`  /${endpoint}: variant ${(b / a).toFixed(3)}x of this checkout (${((b - a) / 1000).toFixed(1)} k instructions per admission)`);
    }
  }
}

/** Total instructions (I refs) of one child process answering `requests` admissions after the warm-up. */
function count(root: string, endpoint: string, requests: number): Promise<number> {
  const script = join(root, 'bench/admission-instructions.ts');
  if (!existsSync(script)) throw new Error(`${script} is missing: copy this file into the other checkout`);
  const node = join(ROOT, 'node_modules/.bin/node');
  const args = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', node, '--import', 'tsx', script];
  return new Promise((resolvePromise, reject) => {
    const proc = spawn('valgrind', args, { cwd: root, env: { ...process.env, [CHILD]: `${endpoint}:${requests}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stdout.resume();
    proc.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-20_000)));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      const refs = /I\s+refs:\s+([\d,]+)/.exec(err)?.[1];
      if (code !== 0 || refs === undefined) return reject(new Error(`valgrind run failed (${code}): ${err.slice(-2000)}`));
      resolvePromise(Number(refs.replaceAll(',', '')));
    });
  });
}

async function child(spec: string): Promise<void> {
  const [endpoint = 'validate', requests = '0'] = spec.split(':');
  const { createServer, Agent, request } = await import('node:http');
  const pino = (await import('pino')).default;
  const { createApp } = await import('../src/server/app.js');
  const { PolicyStore } = await import('../src/policy/store.js');
  const { staticNamespaces } = await import('../src/review/namespace-directory.js');
  const { inspectorFacts } = await import('../src/review/inspector-facts.js');
  const { imageFacts } = await import('../test/support/reviews.js');
  const { BENCH_POLICY_YAML, podReview } = await import('./admission-pod.js');

  const images = {
    app: `registry.test/shop/api@sha256:${'a'.repeat(64)}`,
    sidecar: `registry.test/shop/sidecar@sha256:${'b'.repeat(64)}`,
    agent: `registry.test/shop/agent@sha256:${'c'.repeat(64)}`,
  };
  const known = new Map(Object.values(images).map((image, i) => [image, imageFacts(image, 'abc'.charAt(i))]));
  const inspector = {
    inspect: async (reference: string) => known.get(reference) ?? Promise.reject(new Error(`unknown ${reference}`)),
    known: (reference: string) => known.get(reference),
  };
  const policies = new PolicyStore({ guardNamespace: 'distroless-guard' });
  const loaded = policies.loadText(BENCH_POLICY_YAML, 'bench policy');
  if (!loaded.ok) throw new Error(`bench policy: ${loaded.error}`);
  const app = createApp({
    review: { policies: () => policies.current(), namespaces: staticNamespaces(), facts: inspectorFacts(inspector) },
    logger: pino({ level: 'info' }, { write: () => undefined }),
  });
  const server = createServer(app);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = Buffer.from(podReview(images));
  const post = (): Promise<void> =>
    new Promise((done, fail) => {
      const req = request({ agent, port, host: '127.0.0.1', method: 'POST', path: `/${endpoint}?timeout=10s`, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => (res.statusCode === 200 && text.includes('"allowed":true') ? done() : fail(new Error(`${res.statusCode}: ${text.slice(0, 300)}`))));
      });
      req.once('error', fail);
      req.end(body);
    });
  for (let i = 0; i < WARMUP + Number(requests); i++) await post();
  agent.destroy();
  server.close();
}
