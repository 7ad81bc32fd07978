import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { isRunning, pinnedImage, podAdmissionObject } from './running-pods.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('pinnedImage: judge the digest the kubelet runs', () => {
  const cases: [string, string, string | undefined, string][] = [
    ['a tag gets the repository digest containerd reports', 'nginx:1.27', `docker.io/library/nginx@${DIGEST}`, `nginx:1.27@${DIGEST}`],
    ['CRI-O and docker-pullable:// forms carry the same digest', 'shop/web:2', `docker-pullable://shop/web@${DIGEST}`, `shop/web:2@${DIGEST}`],
    ['an image ID (the config digest, no repository) names no manifest: left alone', 'web:2', DIGEST, 'web:2'],
    ['an image already pinned is left alone', `web@${DIGEST}`, `web@sha256:${'cd'.repeat(32)}`, `web@${DIGEST}`],
    ['no status yet (a pending pod): the tag', 'web:2', undefined, 'web:2'],
  ];
  for (const [name, image, imageID, want] of cases) {
    it(name, () => assert.equal(pinnedImage(image, imageID), want));
  }
});

describe('podAdmissionObject', () => {
  const pod: V1Pod = {
    metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' }, annotations: { 'distroless-guard.io/opt-out': 'nonRoot' }, resourceVersion: '9' },
    spec: {
      containers: [{ name: 'web', image: 'web:2' }],
      initContainers: [{ name: 'init', image: 'busybox' }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'web', image: 'web:2', imageID: `registry/web@${DIGEST}`, ready: true, restartCount: 0 }],
      initContainerStatuses: [{ name: 'init', image: 'busybox', imageID: DIGEST, ready: false, restartCount: 0 }],
    },
  };

  it('is the Pod a CREATE would carry: labels and annotations, the spec with running digests pinned, no status', () => {
    assert.deepEqual(podAdmissionObject(pod), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' }, annotations: { 'distroless-guard.io/opt-out': 'nonRoot' } },
      spec: { containers: [{ name: 'web', image: `web:2@${DIGEST}` }], initContainers: [{ name: 'init', image: 'busybox' }] },
    });
  });

  it('leaves the pod it was given untouched', () => {
    podAdmissionObject(pod);
    assert.equal(pod.spec?.containers[0]?.image, 'web:2');
  });

  it('finished pods are not audited', () => {
    assert.deepEqual(
      ['Running', 'Pending', 'Unknown', undefined, 'Succeeded', 'Failed'].map((phase) => isRunning({ status: phase ? { phase } : {} })),
      [true, true, true, true, false, false],
    );
  });
});
