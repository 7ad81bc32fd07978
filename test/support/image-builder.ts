/**
 * Builds images in code (layers → config → manifest → index) and pushes them through the registry API. Everything
 * is deterministic: the same spec gives the same digests, so blobs already in a registry are not uploaded again.
 */
import { promisify } from 'node:util';
import { gzip, zstdCompress } from 'node:zlib';
import { sha256Digest } from './registry-client.js';
import type { RegistryClient } from './registry-client.js';
import { packTar } from './tree.js';
import type { NameStyle, TreeEntry } from './tree.js';
import type { Descriptor, Platform } from '../../src/image/registry/manifest.js';

const gzipAsync = promisify(gzip);
const zstdAsync = promisify(zstdCompress);

export type Compression = 'gzip' | 'zstd' | 'none';
export type ImageFormat = 'oci' | 'docker';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  inToto: 'application/vnd.in-toto+json',
} as const;

export interface LayerSpec {
  readonly entries: readonly TreeEntry[];
  /** Default gzip. */
  readonly compression?: Compression;
  /** Default plain. */
  readonly names?: NameStyle;
  /** gzip level (default 6, zlib's default); 1 is much faster for big incompressible layers. */
  readonly level?: number;
  /** Shown in the config history ("created_by"). */
  readonly createdBy?: string;
}

export interface BuiltLayer {
  readonly compression: Compression;
  /** Digest and size of the blob as stored (compressed). */
  readonly digest: string;
  readonly size: number;
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry. */
  readonly diffId: string;
  readonly uncompressedSize: number;
  readonly blob: Buffer;
  readonly createdBy: string;
}

/** The same descriptor shapes the product reads (OCI image-spec descriptor.md); the test bed writes them. */
export type { Descriptor, Platform } from '../../src/image/registry/manifest.js';

export interface ContainerConfig {
  readonly User?: string;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>>;
}

export interface ImageSpec {
  /** Layer specs are built here; built layers are reused as they are (same blob, media type per `format`). */
  readonly layers: readonly (LayerSpec | BuiltLayer)[];
  readonly config?: ContainerConfig;
  /** Default linux/amd64. */
  readonly platform?: Platform;
  /** Default oci. */
  readonly format?: ImageFormat;
  readonly annotations?: Readonly<Record<string, string>>;
}


export interface BuiltImage {
  readonly kind: 'image';
  readonly format: ImageFormat;
  readonly platform: Platform;
  readonly mediaType: string;
  readonly manifest: Buffer;
  readonly digest: string;
  readonly config: { readonly mediaType: string; readonly digest: string; readonly size: number; readonly blob: Buffer };
  readonly layers: readonly (BuiltLayer & { readonly mediaType: string })[];
}

export interface BuiltIndex {
  readonly kind: 'index';
  readonly format: ImageFormat;
  readonly mediaType: string;
  readonly manifest: Buffer;
  readonly digest: string;
  /** Every manifest the index lists, attestations included, in index order. */
  readonly children: readonly BuiltImage[];
}

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CREATED = '2024-01-01T00:00:00Z';

function isBuilt(layer: LayerSpec | BuiltLayer): layer is BuiltLayer {
  return 'digest' in layer;
}

async function compress(tar: Buffer, compression: Compression, level: number): Promise<Buffer> {
  switch (compression) {
    case 'gzip':
      return gzipAsync(tar, { level });
    case 'zstd':
      return zstdAsync(tar);
    case 'none':
      return tar;
  }
}

export async function buildLayer(spec: LayerSpec): Promise<BuiltLayer> {
  const tar = await packTar(spec.entries, spec.names ?? 'plain');
  const compression = spec.compression ?? 'gzip';
  const blob = await compress(tar, compression, spec.level ?? 6);
  return {
    compression,
    digest: sha256Digest(blob),
    size: blob.length,
    diffId: sha256Digest(tar),
    uncompressedSize: tar.length,
    blob,
    createdBy: spec.createdBy ?? `layer of ${spec.entries.length} entries`,
  };
}

export function layerMediaType(format: ImageFormat, compression: Compression): string {
  switch (compression) {
    case 'gzip':
      return format === 'oci' ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.dockerLayerGzip;
    case 'none':
      return format === 'oci' ? MEDIA_TYPES.ociLayer : MEDIA_TYPES.dockerLayer;
    case 'zstd':
      // Docker schema2 has no zstd type; BuildKit puts the OCI one into Docker manifests, and so do we.
      return MEDIA_TYPES.ociLayerZstd;
  }
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const format = spec.format ?? 'oci';
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const built = await Promise.all(spec.layers.map((layer) => (isBuilt(layer) ? layer : buildLayer(layer))));
  const layers = built.map((layer) => ({ ...layer, mediaType: layerMediaType(format, layer.compression) }));
  const configBlob = json({
    created: CREATED,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    config: { Env: [DEFAULT_PATH], ...spec.config },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map((layer) => ({ created: CREATED, created_by: layer.createdBy })),
  });
  const config = {
    mediaType: format === 'oci' ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig,
    digest: sha256Digest(configBlob),
    size: configBlob.length,
    blob: configBlob,
  };
  const mediaType = format === 'oci' ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const manifest = json({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((layer) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size })),
    ...(spec.annotations === undefined ? {} : { annotations: spec.annotations }),
  });
  return { kind: 'image', format, platform, mediaType, manifest, digest: sha256Digest(manifest), config, layers };
}

/**
 * The attestation manifest BuildKit attaches to each platform image of an index (an in-toto SPDX statement as its
 * only layer); the index lists it with platform unknown/unknown and vnd.docker.reference.* annotations.
 */
export async function buildAttestation(subject: BuiltImage): Promise<BuiltImage> {
  const statement = json({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://spdx.dev/Document',
    subject: [{ name: 'image', digest: { sha256: subject.digest.slice('sha256:'.length) } }],
    predicate: { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'sbom', packages: [] },
  });
  const layer: BuiltLayer & { mediaType: string } = {
    compression: 'none',
    digest: sha256Digest(statement),
    size: statement.length,
    diffId: sha256Digest(statement),
    uncompressedSize: statement.length,
    blob: statement,
    createdBy: 'attestation',
    mediaType: MEDIA_TYPES.inToto,
  };
  const configBlob = json({
    architecture: 'unknown',
    os: 'unknown',
    config: {},
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
  });
  const config = {
    mediaType: MEDIA_TYPES.ociConfig,
    digest: sha256Digest(configBlob),
    size: configBlob.length,
    blob: configBlob,
  };
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: [
      {
        mediaType: layer.mediaType,
        digest: layer.digest,
        size: layer.size,
        annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' },
      },
    ],
  });
  return {
    kind: 'image',
    format: 'oci',
    platform: { os: 'unknown', architecture: 'unknown' },
    mediaType: MEDIA_TYPES.ociManifest,
    manifest,
    digest: sha256Digest(manifest),
    config,
    layers: [layer],
  };
}

export interface IndexOptions {
  /** Default oci (OCI image index); docker gives a Docker manifest list. */
  readonly format?: ImageFormat;
  /** Add a BuildKit-style attestation manifest (platform unknown/unknown) per image. Default false. */
  readonly attestations?: boolean;
}

export async function buildIndex(images: readonly BuiltImage[], options: IndexOptions = {}): Promise<BuiltIndex> {
  const format = options.format ?? 'oci';
  const mediaType = format === 'oci' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerList;
  const children: BuiltImage[] = [];
  const descriptors: Descriptor[] = [];
  for (const image of images) {
    children.push(image);
    const { mediaType: childType, digest, platform } = image;
    descriptors.push({ mediaType: childType, digest, size: image.manifest.length, platform });
  }
  if (options.attestations === true) {
    for (const image of images) {
      const attestation = await buildAttestation(image);
      children.push(attestation);
      descriptors.push({
        mediaType: attestation.mediaType,
        digest: attestation.digest,
        size: attestation.manifest.length,
        platform: attestation.platform,
        annotations: { 'vnd.docker.reference.digest': image.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
      });
    }
  }
  const manifest = json({ schemaVersion: 2, mediaType, manifests: descriptors });
  return { kind: 'index', format, mediaType, manifest, digest: sha256Digest(manifest), children };
}

export interface PushedManifest {
  readonly repository: string;
  readonly tags: readonly string[];
  readonly digest: string;
  readonly mediaType: string;
}

/** Uploads config and layers (skipping blobs the repository has), then the manifest under each tag (or by digest). */
export async function pushImage(
  client: RegistryClient,
  repository: string,
  image: BuiltImage,
  tags: readonly string[] = [],
): Promise<PushedManifest> {
  await Promise.all([
    client.uploadBlob(repository, image.config.digest, image.config.blob),
    ...image.layers.map((layer) => client.uploadBlob(repository, layer.digest, layer.blob)),
  ]);
  for (const reference of tags.length === 0 ? [image.digest] : tags) {
    await client.putManifest(repository, reference, image.mediaType, image.manifest);
  }
  return { repository, tags, digest: image.digest, mediaType: image.mediaType };
}

/** Pushes every child by digest (the registry checks that an index only names manifests it has), then the index. */
export async function pushIndex(
  client: RegistryClient,
  repository: string,
  index: BuiltIndex,
  tags: readonly string[] = [],
): Promise<PushedManifest> {
  for (const child of index.children) await pushImage(client, repository, child);
  for (const reference of tags.length === 0 ? [index.digest] : tags) {
    await client.putManifest(repository, reference, index.mediaType, index.manifest);
  }
  return { repository, tags, digest: index.digest, mediaType: index.mediaType };
}

/** Pushes an image or an index. */
export function push(
  client: RegistryClient,
  repository: string,
  built: BuiltImage | BuiltIndex,
  tags: readonly string[] = [],
): Promise<PushedManifest> {
  return built.kind === 'image' ? pushImage(client, repository, built, tags) : pushIndex(client, repository, built, tags);
}
