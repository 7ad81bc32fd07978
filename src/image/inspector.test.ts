/** Inspector behaviour that needs no real registry: input errors and index shapes, over a scripted fetch. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createImageInspector, InspectError, type InspectErrorCode } from './inspector.js';
import { MEDIA_TYPES } from './registry/manifest.js';

const sha = (b: string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const never = new AbortController().signal;
const isCode = (code: InspectErrorCode) => (e: unknown) => e instanceof InspectError && e.code === code;

/** A registry holding exactly `manifests` (by digest), tagged `v1` → the first one. */
function fakeRegistry(manifests: string[]): typeof fetch {
  const byDigest = new Map(manifests.map((m) => [sha(m), m]));
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const ref = url.pathname.split('/manifests/')[1] ?? '';
    const body = ref === 'v1' ? manifests[0] : byDigest.get(ref);
    if (body === undefined) return new Response('', { status: 404 });
    const headers = { 'docker-content-digest': sha(body), 'content-type': MEDIA_TYPES.ociIndex };
    return new Response(init.method === 'HEAD' ? null : body, { headers });
  }) as typeof fetch;
}

describe('createImageInspector', () => {
  it('refuses a bad reference as invalid-reference without any request', async () => {
    let calls = 0;
    const inspector = createImageInspector({ fetch: (async () => (calls++, new Response(''))) as typeof fetch });
    await assert.rejects(inspector.inspect('library/Nginx', { signal: never }), isCode('invalid-reference'));
    assert.equal(calls, 0);
  });

  it('an index of attestations and windows images has no linux platform', async () => {
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { mediaType: MEDIA_TYPES.ociManifest, digest: `sha256:${'1'.repeat(64)}`, size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
        { mediaType: MEDIA_TYPES.ociManifest, digest: `sha256:${'2'.repeat(64)}`, size: 1, platform: { os: 'windows', architecture: 'amd64' } },
      ],
    });
    const inspector = createImageInspector({ fetch: fakeRegistry([index]) });
    await assert.rejects(inspector.inspect('localhost:5000/app:v1', { signal: never }), isCode('no-platform'));
  });

  it('an index inside an index is unsupported', async () => {
    const inner = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] });
    const outer = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: sha(inner), size: inner.length, platform: { os: 'linux', architecture: 'amd64' } }],
    });
    const inspector = createImageInspector({ fetch: fakeRegistry([outer, inner]) });
    await assert.rejects(inspector.inspect('localhost:5000/app:v1', { signal: never }), isCode('unsupported'));
  });

  it('rejects a non-positive concurrency at creation', () => {
    assert.throws(() => createImageInspector({ concurrency: 0 }), RangeError);
  });
});
