import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAdmissionReview } from '../../../src/admission/decode.js';
import { WorkloadShapeError } from '../../../src/workload/shape.js';
import { podTargetOf } from '../../../src/workload/targets.js';
import { admissionReview, objectOf, podSpec, type ReviewOptions } from '../../support/reviews.js';

const targetsOf = (kind: Parameters<typeof admissionReview>[0], object: unknown, options?: ReviewOptions) =>
  podTargetOf(decodeAdmissionReview(JSON.stringify(admissionReview(kind, object, options))));

describe('pod targets', () => {
  for (const kind of ['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const) {
    it(`a ${kind} has its pod spec judged, every container kind included`, () => {
      const spec = { ...podSpec('nginx'), initContainers: [{ name: 'init', image: 'busybox' }] };
      const result = targetsOf(kind, objectOf(kind, 'web', spec));
      assert.equal(result.kind, 'targets');
      if (result.kind !== 'targets') return;
      assert.deepEqual(result.target.containers.map((c) => `${c.kind}:${c.name}:${c.image}`), ['container:app:nginx', 'initContainer:init:busybox']);
      assert.equal(result.target.patchable, true);
    });
  }
  const skips: Array<[string, Parameters<typeof admissionReview>[0], ReviewOptions, string]> = [
    ['DELETE is not judged', 'Pod', { operation: 'DELETE' }, 'operation DELETE is not judged'],
    ['the status subresource is not judged', 'Pod', { operation: 'UPDATE', subResource: 'status' }, 'subresource status is not judged'],
    ['a ConfigMap is not judged', 'ConfigMap', {}, 'kind ConfigMap is not judged'],
  ];
  for (const [name, kind, options, reason] of skips) {
    it(`${name}, and says why`, () => assert.deepEqual(targetsOf(kind, objectOf(kind, 'x', podSpec('nginx')), options), { kind: 'skip', reason }));
  }
  it("pod labels are a Pod's own, or its workload's pod template's (not the workload's)", () => {
    const pod = targetsOf('Pod', objectOf('Pod', 'web', podSpec('nginx'), { tier: 'front' }));
    const deployment = objectOf('Deployment', 'web', podSpec('nginx'), { tier: 'front' });
    (deployment['metadata'] as Record<string, unknown>)['labels'] = { owner: 'team-a' };
    const cronJob = targetsOf('CronJob', objectOf('CronJob', 'nightly', podSpec('nginx')));
    assert.deepEqual(pod.kind === 'targets' && pod.target.podLabels, { tier: 'front' });
    const fromTemplate = targetsOf('Deployment', deployment);
    assert.deepEqual(fromTemplate.kind === 'targets' && fromTemplate.target.podLabels, { app: 'web', tier: 'front' });
    assert.deepEqual(cronJob.kind === 'targets' && cronJob.target.podLabels, { app: 'nightly' });
    const unlabelled = targetsOf('Pod', objectOf('Pod', 'web', podSpec('nginx')));
    assert.deepEqual(unlabelled.kind === 'targets' && unlabelled.target.podLabels, {});
  });
  it('on UPDATE only new or changed containers are judged', () => {
    const before = objectOf('Deployment', 'web', podSpec('nginx:1', 'redis:7'));
    const after = objectOf('Deployment', 'web', {
      containers: [
        { name: 'app', image: 'nginx:2' },
        { name: 'app2', image: 'redis:7' },
        { name: 'side', image: 'envoy' },
      ],
    });
    const result = targetsOf('Deployment', after, { operation: 'UPDATE', oldObject: before });
    assert.equal(result.kind, 'targets');
    if (result.kind === 'targets') assert.deepEqual(result.target.containers.map((c) => c.name), ['app', 'side']);
  });
  it('kubectl debug: only the new ephemeral container of the ephemeralcontainers subresource is judged', () => {
    const old = objectOf('Pod', 'web', { ...podSpec('nginx'), ephemeralContainers: [{ name: 'debugger-1', image: 'busybox' }] });
    const now = objectOf('Pod', 'web', {
      ...podSpec('nginx'),
      ephemeralContainers: [
        { name: 'debugger-1', image: 'busybox' },
        { name: 'debugger-2', image: 'busybox:debug' },
      ],
    });
    const result = targetsOf('Pod', now, { operation: 'UPDATE', subResource: 'ephemeralcontainers', oldObject: old });
    assert.equal(result.kind, 'targets');
    if (result.kind !== 'targets') return;
    assert.deepEqual(result.target.containers.map((c) => `${c.kind}:${c.name}`), ['ephemeralContainer:debugger-2']);
    assert.deepEqual(result.target.containers[0]?.path, ['spec', 'ephemeralContainers', 1]);
    assert.equal(result.target.patchable, true);
  });
  it('a Pod UPDATE cannot be patched (the spec is immutable)', () => {
    const result = targetsOf('Pod', objectOf('Pod', 'web', podSpec('nginx:2')), { operation: 'UPDATE', oldObject: objectOf('Pod', 'web', podSpec('nginx:1')) });
    assert.equal(result.kind === 'targets' && result.target.patchable, false);
  });
  const malformed: Array<[string, unknown, RegExp]> = [
    ['containers that are not an array', { spec: { containers: 'nginx' } }, /spec\.containers must be an array/],
    ['a container that is a string', { spec: { containers: ['nginx'] } }, /containers\[0\] must be an object/],
    [
      'a runAsUser that is a string',
      { spec: { containers: [{ name: 'a', image: 'b', securityContext: { runAsUser: '0' } }] } },
      /runAsUser must be an integer/,
    ],
    ['a pod without a spec', { metadata: {} }, /spec must be an object/],
    [
      'a mount path that is a number',
      { spec: { containers: [{ name: 'a' }], initContainers: [{ name: 'i' }, { name: 'j', volumeMounts: [{ name: 'v', mountPath: 5 }] }] } },
      /^request\.object\.spec\.initContainers\[1\]\.volumeMounts\[0\]\.mountPath must be a string$/,
    ],
    [
      'capabilities.drop that are numbers',
      { spec: { containers: [{ name: 'a', securityContext: { capabilities: { drop: [1] } } }] } },
      /^request\.object\.spec\.containers\[0\]\.securityContext\.capabilities\.drop must be an array of strings$/,
    ],
    [
      'a pod seccompProfile without a type',
      { spec: { containers: [{ name: 'a' }], securityContext: { seccompProfile: {} } } },
      /^request\.object\.spec\.securityContext\.seccompProfile\.type must be a string$/,
    ],
    [
      'a pull secret whose name is a number',
      { spec: { containers: [{ name: 'a' }], imagePullSecrets: [{ name: 1 }] } },
      /^request\.object\.spec\.imagePullSecrets\[0\]\.name must be a string$/,
    ],
    ['an os without a name', { spec: { containers: [{ name: 'a' }], os: {} } }, /^request\.object\.spec\.os\.name must be a string$/],
  ];
  for (const [name, object, message] of malformed) {
    it(`a Pod with ${name} is a clear error`, () =>
      assert.throws(
        () => targetsOf('Pod', object),
        (e: unknown) => e instanceof WorkloadShapeError && message.test(e.message),
      ));
  }
});
