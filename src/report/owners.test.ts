import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownerIndex, workloadOf, type OwnedObject, type OwnerReference } from './owners.js';

const ref = (kind: string, name: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({
  apiVersion: 'apps/v1',
  kind,
  name,
  uid: `uid-${name}`,
  controller: true,
  ...extra,
});
const pod = (...ownerReferences: OwnerReference[]): OwnedObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  namespace: 'shop',
  name: 'p-1',
  ...(ownerReferences.length ? { ownerReferences } : {}),
});

const owners = ownerIndex([
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: 'web-7d4', ownerReferences: [ref('Deployment', 'web')] },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: 'bare-rs' },
  { apiVersion: 'batch/v1', kind: 'Job', namespace: 'shop', name: 'nightly-1', ownerReferences: [ref('CronJob', 'nightly', { apiVersion: 'batch/v1' })] },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'other', name: 'web-7d4', ownerReferences: [ref('Deployment', 'elsewhere')] },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: 'loop-a', ownerReferences: [ref('ReplicaSet', 'loop-b')] },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: 'loop-b', ownerReferences: [ref('ReplicaSet', 'loop-a')] },
]);

describe('workloadOf: the workload a pod belongs to', () => {
  const cases: [string, OwnedObject, string][] = [
    ['a Deployment pod rolls up through its ReplicaSet to the Deployment', pod(ref('ReplicaSet', 'web-7d4')), 'apps/v1 Deployment shop/web'],
    ['a CronJob pod rolls up through its Job to the CronJob', pod(ref('Job', 'nightly-1', { apiVersion: 'batch/v1' })), 'batch/v1 CronJob shop/nightly'],
    ['a ReplicaSet nothing owns is the workload', pod(ref('ReplicaSet', 'bare-rs')), 'apps/v1 ReplicaSet shop/bare-rs'],
    ['an owner not listed (a StatefulSet) ends the chain', pod(ref('StatefulSet', 'db')), 'apps/v1 StatefulSet shop/db'],
    ['an owner is looked up in the pod’s namespace only', pod(ref('ReplicaSet', 'web-7d4')), 'apps/v1 Deployment shop/web'],
    ['a pod with no owner is its own workload', pod(), 'v1 Pod shop/p-1'],
    ['a mirror pod (owned by its Node) is its own workload', pod(ref('Node', 'node1', { apiVersion: 'v1' })), 'v1 Pod shop/p-1'],
    [
      'the controller reference wins over the first one',
      pod(ref('Foo', 'not-controller', { controller: false }), ref('ReplicaSet', 'web-7d4')),
      'apps/v1 Deployment shop/web',
    ],
    ['a cycle of owners ends instead of looping', pod(ref('ReplicaSet', 'loop-a')), 'apps/v1 ReplicaSet shop/'],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      const w = workloadOf(input, owners);
      assert.ok(`${w.apiVersion} ${w.kind} ${w.namespace}/${w.name}`.startsWith(want), `${w.apiVersion} ${w.kind} ${w.namespace}/${w.name}`);
    });
  }

  it('keeps the uid of the workload when the reference gives it', () => {
    assert.equal(workloadOf(pod(ref('ReplicaSet', 'web-7d4')), owners).uid, 'uid-web');
  });
});
