/**
 * Image inspection benchmark: one command, everything measured in the same run against baselines measured in that
 * run, then a PASS/FAIL table against the targets of the issue.
 *
 *   npm run bench            (node --import tsx bench/inspect.ts)
 *
 * Environment: BENCH_REPS (default 7, the repetitions of the slow measurements; fast ones run 3-5× as often),
 * BENCH_RSS_RUNS (default 5), BENCH_BREAKDOWN=0 to skip the target-1 cost breakdown, BENCH_RSS_DIAG=0 to skip the
 * target-5 diagnostic runs (the child without forced collections: the guard's runtime flags but --expose-gc;
 * reported, never used for the verdict), BENCH_TARGETS (comma list of 1-5, default all).
 *
 * Timed runs talk to the registry directly; request counts come from separate runs through the counting proxy
 * (it runs on this process's event loop and would otherwise take CPU from the inspector being timed).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import tar from 'tar-stream';
import { RUNTIME_ENV, RUNTIME_NODE_FLAGS } from '../src/cli/runtime-flags.js';
import { createImageInspector, type CachingImageInspector } from '../src/image/inspector.js';
import { indexLayer } from '../src/image/layers/index-layer.js';
import type { ImageFacts } from '../src/image/facts/types.js';
import type { TestRegistry } from '../test/support/registry.js';
import { buildBenchImages, REPOSITORY, type BenchImages } from './images.js';
import { MIB } from './content.js';
import { ensureTools, has, runBenchmark, type Verdict } from './tools.js';
import { fmtMs, mark, median, since, summarise, summaryLine, table, timed, type Sample, type Summary } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPS = Math.max(5, Number(process.env['BENCH_REPS'] ?? 7));
const RSS_RUNS = Math.max(1, Number(process.env['BENCH_RSS_RUNS'] ?? 5));
const BREAKDOWN = process.env['BENCH_BREAKDOWN'] !== '0';
const RSS_LIMIT_BYTES = 150e6;
const BIG_CHUNK = 128 * 1024;
/** The same child without forced collections (the guard's flags but --expose-gc): what force-minor-gc.ts buys. */
const RSS_DIAG_FLAGS: readonly string[] = RUNTIME_NODE_FLAGS.filter((flag) => flag !== '--expose-gc');
const RSS_DIAG = process.env['BENCH_RSS_DIAG'] !== '0';
/** Which targets run (comma list of 1-5; default all). */
const TARGETS = new Set((process.env['BENCH_TARGETS'] ?? '1,2,3,4,5').split(',').map((t) => t.trim()));

const log = (line = ''): void => console.log(line);
const signal = (): AbortSignal => AbortSignal.timeout(180_000);

const verdicts: Verdict[] = [];

// ---------------------------------------------------------------------------------------------------------------
// Tools


function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    child.once('error', reject);
    child.once('exit', (code, sig) => (code === 0 ? resolvePromise() : reject(new Error(`${command} ${args.join(' ')}: ${code ?? sig} ${stderr}`))));
  });
}

function runCapture(command: string, args: readonly string[], cwd: string, env: Readonly<Record<string, string>> = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code, sig) => (code === 0 ? resolvePromise(stdout) : reject(new Error(`${command}: ${code ?? sig} ${stderr}`))));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Pieces being timed

const sink = (): Writable => new Writable({ write: (_chunk, _encoding, callback) => callback() });

async function openBlob(host: string, digest: string): Promise<Readable> {
  const response = await fetch(`http://${host}/v2/${REPOSITORY}/blobs/${digest}`);
  if (response.status !== 200 || response.body === null) throw new Error(`GET blob ${digest}: ${response.status}`);
  return Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
}

async function inspectOnce(inspector: CachingImageInspector, ref: string, earlyStop: boolean): Promise<{ sample: Sample; facts: ImageFacts }> {
  const start = mark();
  const facts = await inspector.inspect(ref, { signal: signal(), earlyStop });
  return { sample: since(start), facts };
}

/**
 * Cold inspection: fresh inspector (empty in-memory cache, no cacheDir). Timed up to the facts; background scans
 * still running then are awaited untimed, so they cannot slow the next repetition.
 */
async function coldInspect(ref: string, earlyStop: boolean, check: (facts: ImageFacts) => void): Promise<Sample> {
  const inspector = createImageInspector({ earlyStop });
  const { sample, facts } = await inspectOnce(inspector, ref, earlyStop);
  await inspector.idle();
  check(facts);
  return sample;
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(`benchmark sanity check failed: ${message}`);
}

/** Runs `a` and `b` alternately (order flipped every round), after one untimed warm-up of each. */
async function paired(reps: number, a: () => Promise<number | Sample | void>, b: () => Promise<number | Sample | void>): Promise<[Sample[], Sample[]]> {
  await a();
  await b();
  const as: Sample[] = [];
  const bs: Sample[] = [];
  for (let i = 0; i < reps; i++) {
    if (i % 2 === 0) {
      as.push(await timed(a));
      bs.push(await timed(b));
    } else {
      bs.push(await timed(b));
      as.push(await timed(a));
    }
  }
  return [as, bs];
}

async function repeated(reps: number, fn: () => Promise<number | Sample | void>, warmup = 1): Promise<Sample[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: Sample[] = [];
  for (let i = 0; i < reps; i++) out.push(await timed(fn));
  return out;
}

const ratio = (a: Summary, b: Summary): number => a.median / b.median;
const x = (r: number): string => `${r.toFixed(3)}x`;

// ---------------------------------------------------------------------------------------------------------------
// Target 1: ~100 MiB single layer without a shell, cold, vs fetch + gunzip of the same blob

async function target1(host: string, images: BenchImages): Promise<void> {
  const layer = images.layers.base;
  const ref = `${host}/${REPOSITORY}:t1`;
  log(`\n== 1. time-to-facts, ~100 MiB single-layer image without a shell (${(layer.uncompressedSize / MIB).toFixed(0)} MiB tar, ${(layer.size / MIB).toFixed(1)} MiB gzip, ${layer.entries} entries)`);
  const inspect = (): Promise<Sample> =>
    coldInspect(ref, true, (facts) => expect(facts.shells.length === 0 && facts.platforms[0]?.scan.layersRead === 1, `t1 facts ${JSON.stringify(facts.shells)}`));
  const raw = async (): Promise<void> => {
    await pipeline(await openBlob(host, layer.digest), createGunzip(), sink());
  };
  const [inspected, baseline] = await paired(REPS + 4, inspect, raw);
  const si = summarise(inspected);
  const sb = summarise(baseline);
  log(summaryLine('inspector, cold (fresh inspector, no cache)', si));
  log(summaryLine('(a) baseline: fetch blob + zlib gunzip → sink', sb));
  const r = ratio(si, sb);
  const pairs = inspected.map((s, i) => s.ms / (baseline[i]?.ms ?? Number.NaN));
  const pairRatio = median(pairs);
  // The verdict takes the worse of the two statistics: on a noisy machine either can flatter a borderline result.
  const judged = Math.max(r, pairRatio);
  log(`  ratio inspector/(a): ${x(r)} (ratio of medians), ${x(pairRatio)} (median of per-pair ratios); judged on ${x(judged)}`);
  log(`  throughput: inspector ${((layer.size / MIB) / (si.median / 1000)).toFixed(0)} MiB/s gzip in, baseline ${((layer.size / MIB) / (sb.median / 1000)).toFixed(0)} MiB/s`);
  verdicts.push({ target: '1. 100 MiB no-shell image, cold vs fetch+gunzip', measured: `${fmtMs(si.median)} / ${fmtMs(sb.median)} ms = ${x(r)}; per-pair ${x(pairRatio)}`, goal: '<= 1.2x (worse of both)', pass: judged <= 1.2 });
  // The inspector's gunzip uses a 128 KiB output chunk (src/image/layers/compression.ts); the baseline above is
  // Node's gunzip as it comes. Against a baseline given the same tuning, the inspector's own overhead shows.
  const tunedRaw = async (): Promise<void> => {
    await pipeline(await openBlob(host, layer.digest), createGunzip({ chunkSize: BIG_CHUNK }), sink());
  };
  const [inspectedAgain, tuned] = await paired(REPS, inspect, tunedRaw);
  const st = summarise(tuned);
  const tunedRatio = Math.max(ratio(summarise(inspectedAgain), st), median(inspectedAgain.map((s, i) => s.ms / (tuned[i]?.ms ?? Number.NaN))));
  log(summaryLine("(a') reference: fetch blob + zlib gunzip with the inspector's 128 KiB chunk → sink", st));
  log(`  ratio inspector/(a'): ${x(tunedRatio)} (worse of both statistics; reported, not a target)`);

  if (!BREAKDOWN) return;
  log('  breakdown (same blob, pipeline variants, each timed alone; where the time goes):');
  const extractAll = (): Writable => {
    const extract = tar.extract();
    extract.on('entry', (_header, body, next) => {
      body.on('end', () => next());
      body.resume();
    });
    return extract as unknown as Writable;
  };
  const hashing = (): Writable => {
    const hash = createHash('sha256');
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback();
      },
      final(callback) {
        hash.digest();
        callback();
      },
    });
  };
  const hashThrough = (): Transform => {
    const hash = createHash('sha256');
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
      flush(callback) {
        hash.digest();
        callback();
      },
    });
  };
  const stages: [string, () => Promise<void>][] = [
    ['fetch → sink', async () => pipeline(await openBlob(host, layer.digest), sink())],
    ['fetch → sha256', async () => pipeline(await openBlob(host, layer.digest), hashing())],
    ['fetch → gunzip → sink  (= baseline a)', async () => pipeline(await openBlob(host, layer.digest), createGunzip(), sink())],
    ['fetch → sha256 → gunzip → sink', async () => pipeline(await openBlob(host, layer.digest), hashThrough(), createGunzip(), sink())],
    ['fetch → gunzip → tar-stream extract (drain bodies)', async () => pipeline(await openBlob(host, layer.digest), createGunzip(), extractAll())],
    // zlib's default chunkSize is 16 KiB: one thread-pool round trip and one JS callback per 16 KiB of tar.
    ['fetch → gunzip (chunkSize 128 KiB) → sink', async () => pipeline(await openBlob(host, layer.digest), createGunzip({ chunkSize: BIG_CHUNK }), sink())],
    ['fetch → gunzip (chunkSize 128 KiB) → tar-stream extract', async () => pipeline(await openBlob(host, layer.digest), createGunzip({ chunkSize: BIG_CHUNK }), extractAll())],
    [
      'fetch → indexLayer (src/image/layers/index-layer.ts)',
      async () => {
        await indexLayer(await openBlob(host, layer.digest), { digest: layer.digest, mediaType: layer.mediaType, signal: signal() });
      },
    ],
    [
      'fetch → sha256 → indexLayer',
      async () => {
        const source = (await openBlob(host, layer.digest)).pipe(hashThrough());
        await indexLayer(source, { digest: layer.digest, mediaType: layer.mediaType, signal: signal() });
      },
    ],
  ];
  for (const [name, fn] of stages) {
    const s = summarise(await repeated(Math.max(5, REPS - 2), fn));
    log(summaryLine(name, s, `  (${x(s.median / sb.median)} of a)`));
  }
  log(summaryLine('full inspector (from above)', si, `  (${x(r)} of a)`));
}

// ---------------------------------------------------------------------------------------------------------------
// Target 2: shell in a small top layer, earlyStop, vs skopeo copy + tar -t of every layer

async function skopeoBaseline(host: string, tag: string, work: string): Promise<number> {
  const dir = mkdtempSync(join(work, 'skopeo-'));
  const target = join(dir, 'x');
  try {
    const t0 = performance.now();
    await run('skopeo', ['copy', '--quiet', `docker://${host}/${REPOSITORY}:${tag}`, `dir:${target}`, '--src-tls-verify=false']);
    const manifest = JSON.parse(readFileSync(join(target, 'manifest.json'), 'utf8')) as { layers: { mediaType: string; digest: string }[] };
    for (const layer of manifest.layers) {
      const path = join(target, layer.digest.replace(/^sha256:/, ''));
      if (layer.mediaType.endsWith('+gzip') || layer.mediaType.endsWith('.gzip')) await run('tar', ['-tzf', path]);
      else if (layer.mediaType.endsWith('+zstd')) await run('tar', ['--zstd', '-tf', path]);
      else await run('tar', ['-tf', path]);
    }
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function target2(host: string, images: BenchImages, work: string, registry: TestRegistry): Promise<void> {
  const below = images.t2.layers.slice(0, -1).reduce((sum, l) => sum + l.uncompressedSize, 0);
  log(`\n== 2. time-to-facts, shell in a small top layer (${(images.layers.shell.size / MIB).toFixed(1)} MiB gzip) above ${(below / MIB).toFixed(0)} MiB in ${images.t2.layers.length - 1} layers, earlyStop`);
  const ref = `${host}/${REPOSITORY}:t2`;
  const inspect = (): Promise<Sample> =>
    coldInspect(ref, true, (facts) => {
      const scan = facts.platforms[0]?.scan;
      expect(facts.shells.includes('/usr/bin/sh') && scan?.stoppedEarly === true && scan.layersRead === 1, `t2 facts ${JSON.stringify({ shells: facts.shells, scan })}`);
    });
  const inspected = await repeated(REPS * 3, inspect);
  const baseline = await repeated(Math.max(5, REPS - 2), () => skopeoBaseline(host, 't2', work));
  const si = summarise(inspected);
  const sb = summarise(baseline);
  log(summaryLine('inspector, cold, earlyStop: true', si));
  log(summaryLine('(b) baseline: skopeo copy dir: + tar -t every layer', sb));
  const r = ratio(si, sb);
  log(`  ratio inspector/(b): ${x(r)}`);
  verdicts.push({ target: '2. shell found early vs skopeo copy + tar -t', measured: `${fmtMs(si.median)} / ${fmtMs(sb.median)} ms = ${x(r)}`, goal: '<= 0.1x', pass: r <= 0.1 });

  // What an early stop still fetches (through the counting proxy).
  const inspector = createImageInspector({ earlyStop: true });
  registry.proxy.reset();
  await inspector.inspect(`${registry.host}/${REPOSITORY}:t2`, { signal: signal() });
  const atFacts = registry.proxy.requests({ method: 'GET', path: /\/blobs\// }).map((r) => r.path.split('/').pop() ?? '');
  await inspector.idle();
  const afterIdle = registry.proxy.requests({ method: 'GET', path: /\/blobs\// }).map((r) => r.path.split('/').pop() ?? '');
  const name = (d: string): string =>
    d === images.layers.shell.digest ? 'shell' : d === images.layers.appA.digest ? 'app-a' : d === images.layers.base.digest ? 'base' : d === images.t2.configDigest ? 'config' : d.slice(0, 19);
  log(`  blob GETs when facts were returned: ${atFacts.map(name).join(', ')}; after background work settled: ${afterIdle.map(name).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Target 3: a new image on an already-seen base; target 4: a cached digest by tag

async function target3and4(host: string, images: BenchImages, registry: TestRegistry): Promise<void> {
  log(`\n== 3. new image B on a base already seen in image A (base ${(images.layers.base.size / MIB).toFixed(1)} MiB gzip, B's new layer ${(images.layers.appB.size / MIB).toFixed(1)} MiB gzip)`);
  const check = (facts: ImageFacts): void => expect(facts.shells.length === 0 && facts.platforms[0]?.scan.layersRead === 2, `a/b facts ${JSON.stringify(facts.shells)}`);
  const as: Sample[] = [];
  const bs: Sample[] = [];
  for (let i = -1; i < REPS; i++) {
    const inspector = createImageInspector({ earlyStop: true });
    let facts: ImageFacts | undefined;
    const a = await timed(async () => {
      const r = await inspectOnce(inspector, `${host}/${REPOSITORY}:a`, true);
      facts = r.facts;
      return r.sample;
    });
    await inspector.idle();
    if (facts !== undefined) check(facts);
    const b = await timed(async () => {
      const r = await inspectOnce(inspector, `${host}/${REPOSITORY}:b`, true);
      facts = r.facts;
      return r.sample;
    });
    await inspector.idle();
    if (facts !== undefined) check(facts);
    if (i >= 0) {
      as.push(a);
      bs.push(b);
    }
  }
  const sa = summarise(as);
  const sb = summarise(bs);
  log(summaryLine('A cold (fresh inspector)', sa));
  log(summaryLine('B after A (same inspector)', sb));
  const r = ratio(sb, sa);
  log(`  ratio B/A: ${x(r)} (median of per-pair ratios ${x(median(bs.map((s, i) => s.ms / (as[i]?.ms ?? Number.NaN))))})`);

  // Request counts through the proxy.
  const proxied = createImageInspector({ earlyStop: true });
  registry.proxy.reset();
  await proxied.inspect(`${registry.host}/${REPOSITORY}:a`, { signal: signal() });
  await proxied.idle();
  const aBlobs = registry.proxy.count({ method: 'GET', path: /\/blobs\// });
  registry.proxy.reset();
  await proxied.inspect(`${registry.host}/${REPOSITORY}:b`, { signal: signal() });
  await proxied.idle();
  const bRequests = registry.proxy.requests();
  const bBlobGets = registry.proxy.requests({ method: 'GET', path: /\/blobs\// }).map((e) => e.path.split('/').pop() ?? '');
  const label = (d: string): string =>
    d === images.layers.appB.digest ? "B's new layer" : d === images.b.configDigest ? "B's config" : d === images.layers.base.digest ? 'BASE LAYER' : d;
  log(`  requests for A (cold): blob GETs ${aBlobs}; requests for B: ${bRequests.map((e) => `${e.method} ${e.path.replace(/^\/v2\/[^/]+\//, '').replace(/sha256:([0-9a-f]{12})[0-9a-f]+/, 'sha256:$1…')}`).join(', ')}`);
  log(`  blob GETs for B: ${bBlobGets.length} (${bBlobGets.map(label).join(', ')})`);
  const layerGets = bBlobGets.filter((d) => d !== images.b.configDigest);
  const onlyNew = layerGets.length === 1 && layerGets[0] === images.layers.appB.digest && !bBlobGets.includes(images.layers.base.digest);
  verdicts.push({
    target: '3. new image on a seen base: only the new layer fetched',
    measured: `B ${fmtMs(sb.median)} ms vs A ${fmtMs(sa.median)} ms = ${x(r)}; layer GETs: ${layerGets.map(label).join(', ') || 'none'} (+ config)`,
    goal: "only B's new layer blob",
    pass: onlyNew,
  });

  log(`\n== 4. cached digest: inspect A again by tag`);
  const warm = createImageInspector({ earlyStop: true });
  await warm.inspect(`${host}/${REPOSITORY}:a`, { signal: signal() });
  await warm.idle();
  const again = summarise(await repeated(REPS * 7, async () => (await inspectOnce(warm, `${host}/${REPOSITORY}:a`, true)).sample, 3));
  log(summaryLine('A again by tag (direct)', again));
  const counts: number[] = [];
  let allHead = true;
  const viaProxy: Sample[] = [];
  for (let i = 0; i < REPS; i++) {
    registry.proxy.reset();
    viaProxy.push(await timed(async () => (await inspectOnce(proxied, `${registry.host}/${REPOSITORY}:a`, true)).sample));
    const requests = registry.proxy.requests();
    counts.push(requests.length);
    allHead &&= requests.every((e) => e.method === 'HEAD' && e.path === `/v2/${REPOSITORY}/manifests/a`);
  }
  log(summaryLine('A again by tag (through the counting proxy)', summarise(viaProxy)));
  log(`  requests per inspection: ${counts.join(', ')} (${allHead ? 'each a HEAD of /v2/bench/manifests/a' : 'NOT only manifest HEADs'})`);
  verdicts.push({
    target: '4. cached digest by tag: exactly one HEAD',
    measured: `${counts.every((c) => c === 1) ? '1 request' : `requests ${counts.join(',')}`}${allHead ? ' (HEAD manifest)' : ''}, ${fmtMs(again.median)} ms`,
    goal: '1 request, a manifest HEAD',
    pass: counts.every((c) => c === 1) && allHead,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Target 5: peak RSS of a child process inspecting the ~1 GiB image

interface ChildReport {
  readonly ok: boolean;
  readonly ms?: number;
  readonly error?: string;
  readonly layersRead?: number;
  readonly startup: { readonly rssKiB: number; readonly maxRssKiB: number };
  readonly peakRssKiB: number;
  readonly vmHwmKiB?: number;
  readonly sampledPeakKiB: Readonly<Record<string, number>>;
}

async function target5(host: string, images: BenchImages): Promise<void> {
  const big = images.big.layers;
  const tarBytes = big.reduce((s, l) => s + l.uncompressedSize, 0);
  const blobBytes = big.reduce((s, l) => s + l.size, 0);
  log(`\n== 5. peak RSS inspecting a ${(tarBytes / MIB).toFixed(0)} MiB image (${big.length} layers, ${(blobBytes / MIB).toFixed(0)} MiB gzip) in a child process, full scan`);
  const child = join(ROOT, 'bench/rss-child.ts');
  const runChild = async (label: string, nodeFlags: readonly string[], env: Readonly<Record<string, string>>): Promise<ChildReport> => {
    // Through a non-exec'ing `sh -c`: a child forked straight from this (big) process would inherit its RSS
    // high-water mark into ru_maxrss (Linux keeps it across execve), overstating the child's peak.
    const out = await runCapture('sh', ['-c', '"$0" "$@"; exit $?', process.execPath, ...nodeFlags, '--import', 'tsx', child, `${host}/${REPOSITORY}:big`], ROOT, env);
    const line = out.trim().split('\n').pop() ?? '';
    const report = JSON.parse(line) as ChildReport;
    if (!report.ok) throw new Error(`rss child failed: ${report.error}`);
    expect(report.layersRead === big.length, `big image: ${report.layersRead} of ${big.length} layers read`);
    const p = report.sampledPeakKiB;
    log(
      `  ${label}: start-up RSS ${(report.startup.rssKiB / 1024).toFixed(1)} MiB, peak RSS ${(report.peakRssKiB / 1024).toFixed(1)} MiB (VmHWM ${((report.vmHwmKiB ?? Number.NaN) / 1024).toFixed(1)}) ` +
        `(sampled peaks: heapTotal ${((p['heapTotal'] ?? 0) / 1024).toFixed(1)}, external ${((p['external'] ?? 0) / 1024).toFixed(1)}, arrayBuffers ${((p['arrayBuffers'] ?? 0) / 1024).toFixed(1)} MiB), inspected in ${fmtMs(report.ms ?? 0)} ms`,
    );
    return report;
  };
  log(`  command: ${Object.entries(RUNTIME_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} node ${RUNTIME_NODE_FLAGS.join(' ')} --import tsx bench/rss-child.ts ${host}/${REPOSITORY}:big   (the guard's runtime flags, src/cli/runtime-flags.ts; started via sh -c; this process's RSS now ${(process.memoryUsage().rss / MIB).toFixed(0)} MiB)`);
  const reports: ChildReport[] = [];
  for (let i = 0; i < RSS_RUNS; i++) reports.push(await runChild(`run ${i + 1}`, RUNTIME_NODE_FLAGS, RUNTIME_ENV));
  const peaks = reports.map((r) => r.peakRssKiB * 1024);
  const worst = Math.max(...peaks);
  const startup = median(reports.map((r) => r.startup.rssKiB * 1024));
  const ms = median(reports.map((r) => r.ms ?? 0));
  log(`  start-up RSS median ${(startup / MIB).toFixed(1)} MiB; peak RSS median ${(median(peaks) / MIB).toFixed(1)} MiB, max ${(worst / MIB).toFixed(1)} MiB (${(worst / 1e6).toFixed(1)} MB); growth ${((median(peaks) - startup) / MIB).toFixed(1)} MiB; ${((blobBytes / MIB) / (ms / 1000)).toFixed(0)} MiB/s gzip in`);
  verdicts.push({
    target: '5. peak RSS, ~1 GiB image, child process',
    measured: `max ${(worst / 1e6).toFixed(1)} MB (${(worst / MIB).toFixed(1)} MiB) of ${reports.length} runs; start-up ${(startup / 1e6).toFixed(1)} MB`,
    goal: '< 150 MB',
    pass: worst < RSS_LIMIT_BYTES,
  });
  if (!RSS_DIAG) return;
  // Without forced collections, most of the growth is garbage ArrayBuffers (stream chunks) that V8 frees only at its
  // next young-generation GC. Shown to weigh force-minor-gc.ts; the verdict above uses the guard's own command.
  log(`  diagnostic, without forced collections: ${Object.entries(RUNTIME_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} node ${RSS_DIAG_FLAGS.join(' ')} --import tsx bench/rss-child.ts …`);
  const diag: number[] = [];
  for (let i = 0; i < 3; i++) diag.push((await runChild(`diag ${i + 1}`, RSS_DIAG_FLAGS, RUNTIME_ENV)).peakRssKiB * 1024);
  log(`  diagnostic peak RSS max ${(Math.max(...diag) / 1e6).toFixed(1)} MB (${(Math.max(...diag) / MIB).toFixed(1)} MiB)`);
}

// ---------------------------------------------------------------------------------------------------------------

ensureTools(['docker-registry', 'zstd'], ['skopeo'], log);
await runBenchmark('dg-bench-', verdicts, log, async (work, registry) => {
  log(`distroless-guard inspection benchmark — node ${process.version}, ${process.env['BENCH_REPS'] === undefined ? '' : `BENCH_REPS=${REPS}, `}registry ${registry.directHost} (timed runs direct, counts through proxy ${registry.host})`);
  log('building and pushing images (streamed)…');
  const t0 = performance.now();
  const images = await buildBenchImages(registry.directHost, { log });
  log(`  built and pushed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  if (TARGETS.has('1')) await target1(registry.directHost, images);
  if (TARGETS.has('2')) await target2(registry.directHost, images, work, registry);
  if (TARGETS.has('3') || TARGETS.has('4')) await target3and4(registry.directHost, images, registry);
  if (TARGETS.has('5')) await target5(registry.directHost, images);
});
