/**
 * Streams a layer straight into a registry: entries → tar (tar-stream) → sha256 (diff_id) → gzip → sha256 (digest)
 * → one chunked PATCH upload, then PUT ?digest=. Nothing but the current entry is held in memory, so a 250 MiB layer
 * costs a few MiB. Configs and manifests are small and go through the test bed's registry client.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';
import { DEFAULT_PATH, MEDIA_TYPES } from '../test/support/image-builder.js';
import { createRegistryClient, sha256Digest } from '../test/support/registry-client.js';
import { HashTap, streamUpload } from '../test/support/blob-upload.js';
import { relativePath } from '../test/support/tree.js';
import type { TreeEntry } from '../test/support/tree.js';

export interface PushedLayer {
  readonly mediaType: string;
  readonly digest: string;
  /** Compressed (blob) bytes. */
  readonly size: number;
  readonly diffId: string;
  readonly uncompressedSize: number;
  readonly entries: number;
  readonly buildMs: number;
}

const MTIME = new Date('2024-01-01T00:00:00Z');

function headerOf(entry: TreeEntry): { header: Partial<Header> & { name: string }; body?: Buffer } {
  const base = { mtime: MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  const name = relativePath(entry.path);
  switch (entry.type) {
    case 'file': {
      const body = typeof entry.content === 'string' ? Buffer.from(entry.content) : Buffer.from(entry.content.buffer, entry.content.byteOffset, entry.content.byteLength);
      return { header: { ...base, uid: entry.uid ?? 0, gid: entry.gid ?? 0, name, type: 'file', mode: entry.mode ?? 0o644 }, body };
    }
    case 'dir':
      return { header: { ...base, uid: entry.uid ?? 0, gid: entry.gid ?? 0, name: `${name}/`, type: 'directory', mode: entry.mode ?? 0o755 } };
    case 'symlink':
      return { header: { ...base, name, type: 'symlink', mode: 0o777, linkname: entry.target } };
    case 'hardlink':
      return { header: { ...base, name, type: 'link', mode: 0o755, linkname: relativePath(entry.target) } };
    default:
      throw new Error(`bench layers do not write ${entry.type} entries`);
  }
}

/** Builds one gzip layer from `entries` (consumed lazily) and uploads it as it is produced. */
export async function pushStreamedLayer(host: string, repository: string, entries: Iterable<TreeEntry> | AsyncIterable<TreeEntry>, level = 6): Promise<PushedLayer> {
  const started = performance.now();
  const pack = tar.pack();
  const raw = new HashTap();
  const blob = new HashTap();
  let count = 0;
  const { digest, size } = await streamUpload(host, repository, blob, async (patch) => {
    const piped = pipeline(Readable.from(pack as AsyncIterable<Buffer>), raw, createGzip({ level }), blob, patch);
    // A failed pipeline must also end the entry loop (an entry callback would otherwise never come).
    const failed = new Promise<never>((_resolve, reject) => piped.catch(reject));
    failed.catch(() => undefined);
    for await (const entry of entries) {
      const { header, body } = headerOf(entry);
      const written = new Promise<void>((resolve, reject) => {
        const done = (error?: Error | null): void => (error ? reject(error) : resolve());
        if (body === undefined) pack.entry(header, done);
        else pack.entry(header, body, done);
      });
      await Promise.race([written, failed]);
      count++;
    }
    pack.finalize();
    await piped;
  });
  return {
    mediaType: MEDIA_TYPES.ociLayerGzip,
    digest,
    size,
    diffId: `sha256:${raw.hash.digest('hex')}`,
    uncompressedSize: raw.bytes,
    entries: count,
    buildMs: performance.now() - started,
  };
}

export interface PushedImage {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly layers: readonly PushedLayer[];
  readonly configDigest: string;
}

/** Pushes the config and an OCI manifest over already pushed layers (bottom first), tagged `tag`. */
export async function pushImage(host: string, repository: string, tag: string, layers: readonly PushedLayer[], config: Record<string, unknown>): Promise<PushedImage> {
  const client = createRegistryClient(host);
  const created = '2024-01-01T00:00:00Z';
  const configBlob = Buffer.from(
    JSON.stringify({
      created,
      architecture: 'amd64',
      os: 'linux',
      config: { Env: [DEFAULT_PATH], ...config },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created, created_by: 'distroless-guard bench' })),
    }),
  );
  const configDigest = sha256Digest(configBlob);
  await client.uploadBlob(repository, configDigest, configBlob);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: configBlob.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  const digest = await client.putManifest(repository, tag, MEDIA_TYPES.ociManifest, manifest);
  return { repository, tag, digest, layers, configDigest };
}
