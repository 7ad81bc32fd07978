/**
 * Realistic, deterministic layer content for the benchmark: real Debian 12 package files (test/support/debian.ts)
 * plus "filler" files that mix pseudo-random hex text (AES-CTR, 4 bits of entropy per byte) with slices of real ELF
 * binaries, so a layer gzips to about half its size (measured ~1.85×) instead of not at all (random bytes) or to
 * nothing (zeros). Filler is generated lazily, one file at a time, so a 250 MiB layer never sits in memory.
 */
import { createCipheriv } from 'node:crypto';
import { debPackages, mergedUsrLinks, packageTree } from '../test/support/debian.js';
import { DISTROLESS_GROUP, DISTROLESS_OS_RELEASE, DISTROLESS_PASSWD, packageFile } from '../test/support/rootfs.js';
import { dir, exe, file, mergeTrees, relativePath, symlink, withParents } from '../test/support/tree.js';
import type { TreeEntry } from '../test/support/tree.js';

export const MIB = 1024 * 1024;

/** Packages of a distroless/python3-like base: no shell, no package manager. */
export const BASE_PACKAGES = [
  'base-files',
  'netbase',
  'tzdata',
  'ca-certificates',
  'libc6',
  'coreutils',
  'libpython3.11-minimal',
  'libpython3.11-stdlib',
  'python3.11-minimal',
] as const;

/** mulberry32: a tiny seeded PRNG, so every run builds the same layers (same digests). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uncompressed tar bytes an entry takes (header + padded body; PAX headers ignored). */
export function tarSize(entry: TreeEntry): number {
  if (entry.type !== 'file') return 512;
  const size = typeof entry.content === 'string' ? Buffer.byteLength(entry.content) : entry.content.byteLength;
  return 512 + Math.ceil(size / 512) * 512;
}

export function treeSize(entries: readonly TreeEntry[]): number {
  return entries.reduce((sum, entry) => sum + tarSize(entry), 0);
}

/** Real files of the base packages, the usrmerge links and distroless's /etc files; no executable named like a shell. */
export async function baseTree(): Promise<TreeEntry[]> {
  await debPackages(BASE_PACKAGES);
  const packages = await Promise.all(BASE_PACKAGES.map((name) => packageTree(name)));
  return withParents(
    mergeTrees(mergedUsrLinks(), ...packages, [
      file('etc/passwd', DISTROLESS_PASSWD),
      file('etc/group', DISTROLESS_GROUP),
      file('etc/os-release', DISTROLESS_OS_RELEASE),
      { type: 'dir', path: 'home/nonroot', mode: 0o700, uid: 65532, gid: 65532 },
      dir('tmp', 0o1777),
    ]),
  );
}

/** The python stdlib relocated under `prefix` (a virtualenv-style copy): thousands of small real files. */
export async function pythonCopy(prefix: string): Promise<TreeEntry[]> {
  await debPackages(['libpython3.11-stdlib', 'libpython3.11-minimal']);
  const trees = await Promise.all([packageTree('libpython3.11-minimal'), packageTree('libpython3.11-stdlib')]);
  const moved: TreeEntry[] = [];
  for (const entry of mergeTrees(...trees)) {
    const path = relativePath(entry.path);
    if (!path.startsWith('usr/lib/python3.11')) continue;
    const target = `${prefix}/${path.slice('usr/'.length)}`;
    if (entry.type === 'hardlink') moved.push({ ...entry, path: target, target: `${prefix}/${relativePath(entry.target).slice('usr/'.length)}` });
    else moved.push({ ...entry, path: target });
  }
  return withParents(moved);
}

/** Concatenated bytes of the real ELF files of libc6 and coreutils: what filler files take binary slices from. */
export async function binaryPool(): Promise<Buffer> {
  await debPackages(['libc6', 'coreutils']);
  const parts: Buffer[] = [];
  for (const entry of [...(await packageTree('libc6')), ...(await packageTree('coreutils'))]) {
    if (entry.type !== 'file' || typeof entry.content === 'string') continue;
    const bytes = Buffer.from(entry.content);
    if (bytes.length > 4096 && bytes.subarray(0, 4).toString('latin1') === '\x7fELF') parts.push(bytes);
  }
  return Buffer.concat(parts);
}

export interface FillerOptions {
  /** Directory the files go to (created first). */
  readonly dir: string;
  /** Uncompressed tar bytes to produce (approximately; the last file is cut to fit). */
  readonly bytes: number;
  readonly seed: number;
  readonly pool: Buffer;
  /** File sizes are log-uniform in [minFile, maxFile]. */
  readonly minFile?: number;
  readonly maxFile?: number;
}

/**
 * Filler files: each is a run of 16–64 KiB segments, about half hex text from AES-CTR and half slices of real
 * binaries. Yields entries lazily; only the current file's bytes are in memory.
 */
export function* fillerFiles(options: FillerOptions): Generator<TreeEntry> {
  const random = prng(options.seed);
  const key = Buffer.alloc(16);
  key.writeUInt32BE(options.seed >>> 0, 0);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16, 0));
  const minFile = options.minFile ?? 4 * 1024;
  const maxFile = options.maxFile ?? 4 * MIB;
  const pool = options.pool;
  yield dir(options.dir);
  let left = options.bytes - 512;
  for (let i = 0; left > 1024; i++) {
    const want = Math.round(Math.exp(Math.log(minFile) + random() * (Math.log(maxFile) - Math.log(minFile))));
    const size = Math.min(want, left - 512);
    const content = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const segment = Math.min(size - at, 16384 + Math.floor(random() * 49152));
      if (random() < 0.5) {
        const hex = cipher.update(Buffer.alloc(Math.ceil(segment / 2))).toString('hex');
        content.write(hex.slice(0, segment), at, 'latin1');
      } else {
        const from = Math.floor(random() * (pool.length - segment));
        pool.copy(content, at, from, from + segment);
      }
      at += segment;
    }
    const name = `${options.dir}/blob-${String(i).padStart(5, '0')}.${i % 3 === 0 ? 'dat' : i % 3 === 1 ? 'bin' : 'idx'}`;
    yield file(name, content);
    left -= 512 + Math.ceil(size / 512) * 512;
  }
}

/** A small application layer: a real binary (coreutils' `true`) as the app, config files, some filler. */
export async function appTree(name: string, seed: number, pool: Buffer, fillBytes: number): Promise<TreeEntry[]> {
  const binary = await packageFile('coreutils', 'bin/true');
  return [
    dir('app'),
    dir('app/bin'),
    exe(`app/bin/${name}`, binary),
    dir('app/etc'),
    file('app/etc/config.yaml', `name: ${name}\nseed: ${seed}\nlisten: :8080\n`),
    ...fillerFiles({ dir: 'app/assets', bytes: fillBytes, seed, pool, maxFile: 512 * 1024 }),
  ];
}

/** A small top layer with a real shell: busybox-static's busybox at /usr/bin/busybox and /usr/bin/sh -> busybox. */
export async function shellTree(): Promise<TreeEntry[]> {
  await debPackages(['busybox-static']);
  const busybox = await packageFile('busybox-static', 'bin/busybox');
  return [dir('usr'), dir('usr/bin'), exe('usr/bin/busybox', busybox), symlink('usr/bin/sh', 'busybox')];
}
