/**
 * The benchmark's images, built in code and streamed into the registry:
 *   base     one ~100 MiB layer: a distroless/python3-like rootfs (real Debian files, no shell) + filler
 *   app-a/b  small app layers (~6 MiB), different content
 *   shell    a small top layer with real busybox and /usr/bin/sh -> busybox
 *   big-1..4 four ~250 MiB layers (real files + filler): ~1 GiB uncompressed
 * and tagged as
 *   bench:t1  [base]                       target 1 (no shell)
 *   bench:t2  [base, app-a, shell]         target 2 (shell found early)
 *   bench:a   [base, app-a]                targets 3, 4
 *   bench:b   [base, app-b]                target 3 (new image on a seen base)
 *   bench:big [big-1, big-2, big-3, big-4] target 5 (peak RSS)
 */
import { appTree, baseTree, binaryPool, fillerFiles, MIB, pythonCopy, shellTree, treeSize } from './content.js';
import { pushImage, pushStreamedLayer, type PushedImage, type PushedLayer } from './push.js';
import type { TreeEntry } from '../test/support/tree.js';

export const REPOSITORY = 'bench';

export interface BenchImages {
  readonly t1: PushedImage;
  readonly t2: PushedImage;
  readonly a: PushedImage;
  readonly b: PushedImage;
  readonly big: PushedImage;
  readonly layers: Readonly<Record<'base' | 'appA' | 'appB' | 'shell', PushedLayer>> & { readonly big: readonly PushedLayer[] };
}

export interface BuildOptions {
  readonly baseMiB?: number;
  readonly bigLayers?: number;
  readonly bigLayerMiB?: number;
  readonly log?: (line: string) => void;
}

const NONROOT = { User: '65532', Entrypoint: ['/app/bin/server'] };

function* concat(...parts: Iterable<TreeEntry>[]): Generator<TreeEntry> {
  for (const part of parts) yield* part;
}

/** Runs the jobs at most `limit` at a time, results in order. */
async function limited<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const job = jobs[i];
      if (job !== undefined) results[i] = await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

export async function buildBenchImages(host: string, options: BuildOptions = {}): Promise<BenchImages> {
  const log = options.log ?? (() => undefined);
  const baseMiB = options.baseMiB ?? 100;
  const bigLayers = options.bigLayers ?? 4;
  const bigLayerMiB = options.bigLayerMiB ?? 250;
  const [pool, real] = await Promise.all([binaryPool(), baseTree()]);
  const describeLayer = (name: string, l: PushedLayer): void =>
    log(
      `  ${name.padEnd(7)} ${(l.uncompressedSize / MIB).toFixed(1).padStart(6)} MiB tar, ${(l.size / MIB).toFixed(1).padStart(6)} MiB gzip ` +
        `(${(l.uncompressedSize / l.size).toFixed(2)}x), ${String(l.entries).padStart(5)} entries, built+pushed in ${(l.buildMs / 1000).toFixed(1)} s`,
    );

  const realBytes = treeSize(real);
  const baseFill = Math.max(0, baseMiB * MIB - realBytes);
  const small = await limited(
    [
      () => pushStreamedLayer(host, REPOSITORY, concat(real, fillerFiles({ dir: 'usr/share/app-data', bytes: baseFill, seed: 1, pool }))),
      async () => pushStreamedLayer(host, REPOSITORY, await appTree('server', 2, pool, 6 * MIB)),
      async () => pushStreamedLayer(host, REPOSITORY, await appTree('server', 3, pool, 6 * MIB)),
      async () => pushStreamedLayer(host, REPOSITORY, await shellTree()),
    ],
    2,
  );
  const [base, appA, appB, shell] = small as [PushedLayer, PushedLayer, PushedLayer, PushedLayer];
  describeLayer('base', base);
  describeLayer('app-a', appA);
  describeLayer('app-b', appB);
  describeLayer('shell', shell);

  const bigJobs = Array.from({ length: bigLayers }, (_, i) => async (): Promise<PushedLayer> => {
    // Layer 1 carries the real rootfs, the others a relocated python stdlib copy each: thousands of real entries.
    const head = i === 0 ? real : await pythonCopy(`opt/venv-${i}`);
    const fill = Math.max(0, bigLayerMiB * MIB - treeSize(head));
    return pushStreamedLayer(host, REPOSITORY, concat(head, fillerFiles({ dir: `srv/data-${i}`, bytes: fill, seed: 100 + i, pool, maxFile: 8 * MIB })));
  });
  const big = await limited(bigJobs, 2);
  big.forEach((l, i) => describeLayer(`big-${i + 1}`, l));

  const [t1, t2, a, b, bigImage] = await Promise.all([
    pushImage(host, REPOSITORY, 't1', [base], NONROOT),
    pushImage(host, REPOSITORY, 't2', [base, appA, shell], NONROOT),
    pushImage(host, REPOSITORY, 'a', [base, appA], NONROOT),
    pushImage(host, REPOSITORY, 'b', [base, appB], NONROOT),
    pushImage(host, REPOSITORY, 'big', big, NONROOT),
  ]);
  return { t1, t2, a, b, big: bigImage, layers: { base, appA, appB, shell, big } };
}
