/**
 * A large single-layer image for benchmarks (not part of the seeded catalog): real files from libc6 and coreutils
 * plus incompressible pseudo-random 1 MiB files up to the requested uncompressed size, optionally with dash. The
 * random bytes come from AES-CTR with a fixed key, so the layer (and its digest) is the same every run and a
 * registry that has it is not uploaded to again.
 */
import { createCipheriv } from 'node:crypto';
import { buildImage, push } from './image-builder.js';
import type { Compression } from './image-builder.js';
import { debPackages, mergedUsrLinks, packageTree } from './debian.js';
import type { ExpectedFacts, RegistryTarget, SeededImage } from './images.js';
import { createRegistryClient } from './registry-client.js';
import { DISTROLESS_GROUP, DISTROLESS_OS_RELEASE, DISTROLESS_PASSWD, shellsTree } from './rootfs.js';
import { dir, file, mergeTrees, withParents } from './tree.js';
import type { TreeEntry } from './tree.js';

const MIB = 1024 * 1024;

export interface LargeImageOptions {
  /** Add dash (and bash) — at the start or the end of the tar (default end: the worst case for a top-down scan). */
  readonly withShell?: boolean;
  readonly shellAt?: 'start' | 'end';
  /** Default gzip (level 1: random data does not compress, and level 6 only costs time). */
  readonly compression?: Compression;
}

export interface LargeImage extends SeededImage {
  /** The one layer: compressed size, uncompressed size, and how much of it is incompressible random data. */
  readonly layer: { readonly digest: string; readonly size: number; readonly uncompressedSize: number };
  readonly randomBytes: number;
}

function randomFiles(count: number): TreeEntry[] {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(MIB);
  const files: TreeEntry[] = [dir('data')];
  for (let i = 0; i < count; i++) {
    files.push(file(`data/chunk-${String(i).padStart(4, '0')}.bin`, cipher.update(zeros)));
  }
  return files;
}

function entriesSize(entries: readonly TreeEntry[]): number {
  return entries.reduce((sum, entry) => sum + (entry.type === 'file' ? Buffer.byteLength(entry.content) + 512 : 512), 0);
}

/**
 * Builds and pushes `large:<sizeMB>mb` (or `large:<sizeMB>mb-shell-<at>`); returns it with the facts it must
 * yield. `sizeMB` is the approximate uncompressed layer size.
 */
export async function buildLargeImage(
  registry: RegistryTarget,
  sizeMB: number,
  options: LargeImageOptions = {},
): Promise<LargeImage> {
  await debPackages(['libc6', 'coreutils']);
  const real = mergeTrees(mergedUsrLinks(), await packageTree('libc6'), await packageTree('coreutils'), [
    file('etc/passwd', DISTROLESS_PASSWD),
    file('etc/group', DISTROLESS_GROUP),
    file('etc/os-release', DISTROLESS_OS_RELEASE),
  ]);
  const shells = options.withShell === true ? await shellsTree() : [];
  const fill = Math.max(0, Math.ceil((sizeMB * MIB - entriesSize(real) - entriesSize(shells)) / MIB));
  const at = options.shellAt ?? 'end';
  const entries = withParents(
    at === 'start' ? mergeTrees(real, shells, randomFiles(fill)) : mergeTrees(real, randomFiles(fill), shells),
  );
  const compression = options.compression ?? 'gzip';
  const image = await buildImage({
    layers: [{ entries, compression, level: 1, createdBy: `large ${sizeMB} MB` }],
    config: { User: '65532', Entrypoint: ['/usr/bin/true'] },
  });
  const tag = options.withShell === true ? `${sizeMB}mb-shell-${at}` : `${sizeMB}mb`;
  const client = createRegistryClient(
    registry.host,
    registry.credentials === undefined ? {} : { credentials: registry.credentials },
  );
  const pushed = await push(client, 'large', image, [tag]);
  const shellPaths = options.withShell === true ? ['/usr/bin/bash', '/usr/bin/dash', '/usr/bin/rbash', '/usr/bin/sh'] : [];
  const facts = {
    shells: shellPaths,
    packageManagers: [],
    user: { configured: '65532', uid: 65532, gid: 65532, name: 'nonroot' },
    nonRoot: true,
    hasTmpDir: false,
    debugVariant: false,
    distroless: shellPaths.length === 0,
    base: 'Distroless',
    distribution: { id: 'debian', versionId: '12' },
    runtimes: [],
  };
  const expected: ExpectedFacts = { ...facts, platforms: [{ platform: 'linux/amd64', ...facts }] };
  const [layer] = image.layers;
  if (layer === undefined) throw new Error('large image without its layer');
  return {
    layer: { digest: layer.digest, size: layer.size, uncompressedSize: layer.uncompressedSize },
    randomBytes: fill * MIB,
    entry: {
      name: `large:${tag}`,
      repository: 'large',
      tag,
      about: `a ${sizeMB} MB single-layer image${options.withShell === true ? ` with a shell at the ${at}` : ''}`,
      expected,
      build: () => Promise.resolve(image),
    },
    ref: `${registry.host}/large:${tag}`,
    digest: pushed.digest,
    pinned: `${registry.host}/large@${pushed.digest}`,
    mediaType: pushed.mediaType,
  };
}
