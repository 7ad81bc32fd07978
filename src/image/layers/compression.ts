/**
 * Layer compression: what the manifest declares (media type) and what the bytes say (magic numbers).
 */
import type { Transform } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'zstd';

/** Layer media types (OCI image-spec media-types.md, Docker image manifest v2 schema 2). */
const LAYER_MEDIA_TYPES: ReadonlyMap<string, Compression> = new Map<string, Compression>([
  ['application/vnd.oci.image.layer.v1.tar', 'none'],
  ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar', 'none'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', 'zstd'],
  ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
  ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
]);

/** The compression a layer media type declares, or undefined when it is not a layer media type we know. */
export function declaredCompression(mediaType: string): Compression | undefined {
  const bare = mediaType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return LAYER_MEDIA_TYPES.get(bare);
}

/** Bytes needed by {@link sniffCompression}. */
export const SNIFF_BYTES = 4;

/**
 * The compression the first bytes show: gzip (RFC 1952: 1f 8b), zstd (RFC 8878: 28 b5 2f fd), otherwise an
 * uncompressed tar. Undefined when fewer than {@link SNIFF_BYTES} bytes are available.
 */
export function sniffCompression(head: Uint8Array): Compression | undefined {
  if (head.length < SNIFF_BYTES) return undefined;
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * Output chunk of the decompressors. zlib's default (16 KiB) costs one thread-pool round trip and one JS callback
 * per 16 KiB of tar; 128 KiB makes a cold scan markedly faster (bench/PERFORMANCE.md, "Measurements behind source
 * choices").
 */
const DECOMPRESSED_CHUNK_BYTES = 128 * 1024;

/** A fresh decompressor for the compression, or null for an uncompressed tar. */
export function decompressor(compression: Compression): Transform | null {
  switch (compression) {
    case 'none':
      return null;
    case 'gzip':
      return createGunzip({ chunkSize: DECOMPRESSED_CHUNK_BYTES });
    case 'zstd':
      return createZstdDecompress({ chunkSize: DECOMPRESSED_CHUNK_BYTES });
  }
}
