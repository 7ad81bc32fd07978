import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from './errors.js';
import { linuxPlatforms, MEDIA_TYPES, parseManifest, type IndexManifest } from './manifest.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const bytes = (doc: unknown): Uint8Array => Buffer.from(JSON.stringify(doc));
const image = { mediaType: MEDIA_TYPES.ociManifest, size: 10 };

describe('parseManifest', () => {
  it('reads an OCI image manifest', () => {
    const m = parseManifest(
      bytes({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: { mediaType: MEDIA_TYPES.ociConfig, digest: d('a'), size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('b'), size: 3 }],
      }),
      undefined,
      'r',
      'm',
    );
    assert.equal(m.kind, 'image');
    assert.equal(m.kind === 'image' ? m.layers.length : 0, 1);
  });
  it('takes the media type from Content-Type when the body has none', () => {
    const m = parseManifest(bytes({ schemaVersion: 2, manifests: [] }), `${MEDIA_TYPES.dockerList}; charset=utf-8`, 'r', 'm');
    assert.deepEqual(m, { kind: 'index', mediaType: MEDIA_TYPES.dockerList, manifests: [] });
  });
  it('decides by shape when neither names a known type', () => {
    assert.equal(parseManifest(bytes({ schemaVersion: 2, manifests: [] }), 'application/json', 'r', 'm').kind, 'index');
  });
  const bad: Array<[string, unknown, string]> = [
    ['schema 1 is unsupported', { schemaVersion: 1, fsLayers: [] }, 'unsupported'],
    [
      'an artifact config is not an image',
      {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: d('a'), size: 1 },
        layers: [],
      },
      'unsupported',
    ],
    [
      'a sha512 descriptor is unsupported',
      { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: `sha512:${'a'.repeat(128)}`, size: 1 }] },
      'unsupported',
    ],
    [
      'a negative size is a bad response',
      { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: d('a'), size: -1 }] },
      'bad-response',
    ],
    ['an image manifest without layers is a bad response', { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: {} }, 'bad-response'],
    ['an unknown media type is unsupported', { schemaVersion: 2, mediaType: 'application/x-weird' }, 'unsupported'],
  ];
  for (const [name, doc, code] of bad) {
    it(name, () => assert.throws(() => parseManifest(bytes(doc), undefined, 'r', 'm'), (e: unknown) => e instanceof RegistryError && e.code === code));
  }
  it('invalid JSON is a bad response', () => {
    assert.throws(() => parseManifest(Buffer.from('{'), undefined, 'r', 'm'), (e: unknown) => e instanceof RegistryError && e.code === 'bad-response');
  });
});

describe('linuxPlatforms', () => {
  const index: IndexManifest = {
    kind: 'index',
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [
      { ...image, digest: d('1'), platform: { os: 'linux', architecture: 'amd64' } },
      { ...image, digest: d('2'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { ...image, digest: d('3'), platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
      { ...image, digest: d('4'), platform: { os: 'linux', architecture: 'amd64' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
      { ...image, digest: d('5'), platform: { os: 'windows', architecture: 'amd64' } },
      { ...image, digest: d('6'), platform: { os: 'linux', architecture: 'amd64' } },
      { ...image, digest: d('7') },
      { mediaType: MEDIA_TYPES.ociIndex, size: 1, digest: d('8'), platform: { os: 'linux', architecture: 's390x' } },
    ],
  };
  it('keeps each linux platform once, skipping attestations, other systems, nested indexes and unlabelled entries', () => {
    assert.deepEqual(linuxPlatforms(index).map((e) => e.digest), [d('1'), d('2')]);
  });
});
