/**
 * Manifest media types and parsing: OCI image manifest and index, Docker schema2 manifest and manifest list.
 * Pure: bytes in, a typed manifest out, RegistryError('bad-response' | 'unsupported') otherwise.
 */
import { isSha256Digest } from '../reference/reference.js';
import { RegistryError } from './errors.js';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** Every manifest type we understand, best first: sent on every manifest request so no registry falls back to schema 1. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(', ');

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest {
  readonly kind: 'image';
  readonly mediaType: string;
  readonly config: Descriptor;
  /** Bottom layer first, as in the manifest. */
  readonly layers: readonly Descriptor[];
}

export interface IndexManifest {
  readonly kind: 'index';
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
}

export type Manifest = ImageManifest | IndexManifest;

/** Parses manifest bytes; `contentType` is the response's Content-Type, used when the body names no mediaType. */
export function parseManifest(body: Uint8Array, contentType: string | undefined, registry: string, what: string): Manifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    throw new RegistryError('bad-response', registry, `manifest ${what} is not valid JSON`, { cause: err });
  }
  if (!isRecord(doc)) throw new RegistryError('bad-response', registry, `manifest ${what} is not a JSON object`);
  const headerType = contentType?.split(';')[0]?.trim().toLowerCase();
  const declared = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  let mediaType = declared ?? headerType ?? '';
  if (doc['schemaVersion'] === 1 || mediaType === MEDIA_TYPES.dockerSchema1 || mediaType === MEDIA_TYPES.dockerSchema1Signed) {
    throw new RegistryError('unsupported', registry, `manifest ${what} is Docker schema 1, which is deprecated and not supported; push the image again with a current client`);
  }
  if (!INDEX_TYPES.has(mediaType) && !IMAGE_TYPES.has(mediaType)) {
    // OCI allows omitting mediaType: decide by shape.
    if (Array.isArray(doc['manifests'])) mediaType = MEDIA_TYPES.ociIndex;
    else if (Array.isArray(doc['layers'])) mediaType = MEDIA_TYPES.ociManifest;
    else throw new RegistryError('unsupported', registry, `manifest ${what} has unsupported media type ${JSON.stringify(mediaType)}`);
  }
  if (INDEX_TYPES.has(mediaType)) {
    const list = doc['manifests'];
    if (!Array.isArray(list)) throw new RegistryError('bad-response', registry, `index ${what} has no "manifests" array`);
    return { kind: 'index', mediaType, manifests: list.map((d, i) => parseDescriptor(d, registry, `${what} manifests[${i}]`)) };
  }
  const layers = doc['layers'];
  if (!Array.isArray(layers)) throw new RegistryError('bad-response', registry, `manifest ${what} has no "layers" array`);
  const config = parseDescriptor(doc['config'], registry, `${what} config`);
  if (!CONFIG_TYPES.has(config.mediaType)) {
    throw new RegistryError('unsupported', registry, `${what} is not a container image (config media type ${JSON.stringify(config.mediaType)})`);
  }
  return { kind: 'image', mediaType, config, layers: layers.map((d, i) => parseDescriptor(d, registry, `${what} layers[${i}]`)) };
}

function parseDescriptor(value: unknown, registry: string, where: string): Descriptor {
  if (!isRecord(value)) throw new RegistryError('bad-response', registry, `${where} is not a descriptor object`);
  const { mediaType, digest, size, platform, annotations } = value;
  if (typeof mediaType !== 'string') throw new RegistryError('bad-response', registry, `${where} has no mediaType`);
  if (typeof digest !== 'string') throw new RegistryError('bad-response', registry, `${where} has no digest`);
  if (!isSha256Digest(digest)) {
    throw new RegistryError(digest.startsWith('sha256:') ? 'bad-response' : 'unsupported', registry, `${where} has digest ${JSON.stringify(digest.slice(0, 80))}; only sha256 is supported`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new RegistryError('bad-response', registry, `${where} has no valid size`);
  }
  const out: { -readonly [K in keyof Descriptor]: Descriptor[K] } = { mediaType, digest, size };
  if (isRecord(platform) && typeof platform['os'] === 'string' && typeof platform['architecture'] === 'string') {
    out.platform = {
      os: platform['os'],
      architecture: platform['architecture'],
      ...(typeof platform['variant'] === 'string' && platform['variant'] !== '' ? { variant: platform['variant'] } : {}),
    };
  }
  if (isRecord(annotations)) {
    const a: Record<string, string> = {};
    for (const [k, v] of Object.entries(annotations)) if (typeof v === 'string') a[k] = v;
    out.annotations = a;
  }
  return out;
}

/** "linux/arm64/v8" */
export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant !== undefined ? `/${p.variant}` : ''}`;
}

/**
 * The index entries worth inspecting: image manifests for linux, without attestations (`unknown/unknown` or
 * `vnd.docker.reference.type: attestation-manifest`), each platform once.
 */
export function linuxPlatforms(index: IndexManifest): Array<Descriptor & { platform: Platform }> {
  const seen = new Set<string>();
  const out: Array<Descriptor & { platform: Platform }> = [];
  for (const d of index.manifests) {
    const p = d.platform;
    if (p === undefined || p.os !== 'linux' || p.architecture === 'unknown') continue;
    if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
    if (!IMAGE_TYPES.has(d.mediaType)) continue; // nested indexes and artifacts
    const key = platformString(p);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...d, platform: p });
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
