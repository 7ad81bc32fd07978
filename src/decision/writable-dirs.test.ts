import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameImage } from './init-containers.js';
import { pinnedImage } from './pin-digest.js';
import { planWritableDirs, volumeNameFor } from './writable-dirs.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('volumeNameFor: an RFC 1123 label per container and directory', () => {
  const table: ReadonlyArray<[string, string, string, readonly string[], string | RegExp]> = [
    ['a plain directory', 'app', '/tmp', [], 'dg-app-tmp'],
    ['slashes and other characters become dashes', 'app', '/var/cache/Nginx_2', [], 'dg-app-var-cache-nginx-2'],
    ['a taken name gets a hash', 'app', '/tmp', ['dg-app-tmp'], /^dg-app-tmp-[0-9a-f]{8}$/],
    [
      'too long, it is cut and given a hash',
      'a-container-name-that-is-quite-long-already', '/var/lib/application/state/cache', [],
      /^dg-a-container-name-that-is-quite-long-already-var-lib-[0-9a-f]{8}$/,
    ],
  ];
  for (const [name, container, dir, taken, expected] of table) {
    it(name, () => {
      const got = volumeNameFor(container, dir, new Set(taken));
      if (typeof expected === 'string') assert.equal(got, expected);
      else assert.match(got, expected);
      assert.match(got, DNS_LABEL);
      assert.ok(got.length <= 63, got);
    });
  }
  it('is deterministic, so a plan is the same every time', () => {
    assert.equal(volumeNameFor('app', '/tmp', new Set(['dg-app-tmp'])), volumeNameFor('app', '/tmp', new Set(['dg-app-tmp'])));
  });
});

describe('planWritableDirs', () => {
  it('skips directories already mounted or planned, reports a readOnly mount, and never reuses a name', () => {
    const plan = planWritableDirs({
      containerName: 'app',
      existingMounts: [{ name: 'cache', mountPath: '/var/cache', readOnly: true }],
      plannedMountPaths: ['/config'],
      dirs: ['/tmp', '/var/cache', '/config', '/tmp-data'],
      reason: 'read-only root filesystem',
      takenVolumeNames: new Set(['dg-app-tmp']),
    });
    assert.equal(plan.mounts.length, 2);
    assert.match(plan.mounts[0]?.name ?? '', /^dg-app-tmp-[0-9a-f]{8}$/);
    assert.deepEqual(plan.mounts.map((m) => m.mountPath), ['/tmp', '/tmp-data']);
    assert.deepEqual(plan.volumes.map((v) => v.name), plan.mounts.map((m) => m.name));
    assert.deepEqual(plan.notes, [{ what: 'kept', text: 'volumeMount cache at /var/cache is readOnly; left as is' }]);
    assert.deepEqual(plan.changes.map((c) => c.text), ['emptyDir at /tmp (read-only root filesystem)', 'emptyDir at /tmp-data (read-only root filesystem)']);
  });
});

describe('digest pinning and recognising a pinned declaration', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it('pins a tag, or a bare name, to the digest inspected', () => {
    assert.equal(pinnedImage('gcr.io/distroless/static:nonroot', digest), `gcr.io/distroless/static:nonroot@${digest}`);
    assert.equal(pinnedImage('nginx', digest), `nginx@${digest}`);
  });
  it('leaves a reference with a digest alone, and an empty one', () => {
    assert.equal(pinnedImage(`nginx:1@${digest}`, `sha256:${'b'.repeat(64)}`), undefined);
    assert.equal(pinnedImage('', digest), undefined);
  });
  it('an injected image is the declared one, pinned or not; another tag or repository is not', () => {
    assert.equal(sameImage('busybox:1.36', 'busybox:1.36'), true);
    assert.equal(sameImage(`busybox:1.36@${digest}`, 'busybox:1.36'), true);
    assert.equal(sameImage('busybox:1.37', 'busybox:1.36'), false);
    assert.equal(sameImage('busybox:1.36-musl', 'busybox:1.36'), false);
    assert.equal(sameImage(`busybox:1.36@${digest}`, `busybox:1.36@sha256:${'b'.repeat(64)}`), false);
  });
});
