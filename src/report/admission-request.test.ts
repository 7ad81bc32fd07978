import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourceOf, syntheticCreate } from './admission-request.js';

describe('syntheticCreate: the request kubectl apply would make', () => {
  const options = { defaultNamespace: 'team-a', uid: 'u-1', username: 'tester' };

  it('takes group, version and kind from apiVersion and kind, the namespace from the object', () => {
    const object = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } };
    assert.deepEqual(syntheticCreate(object, options), {
      uid: 'u-1',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      subResource: '',
      operation: 'CREATE',
      namespace: 'shop',
      name: 'web',
      object,
      oldObject: null,
      dryRun: true,
      userInfo: { username: 'tester' },
    });
  });

  it('a core kind has the empty group; an object naming no namespace gets the default; generateName stands in for a name', () => {
    const request = syntheticCreate({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'job-' } }, options);
    assert.deepEqual([request.kind, request.namespace, request.name], [{ group: '', version: 'v1', kind: 'Pod' }, 'team-a', 'job-']);
  });

  const plurals: [string, string][] = [
    ['Pod', 'pods'],
    ['CronJob', 'cronjobs'],
    ['Ingress', 'ingresses'],
    ['NetworkPolicy', 'networkpolicies'],
    ['Gateway', 'gateways'],
  ];
  for (const [kind, resource] of plurals) {
    it(`the resource of ${kind} is ${resource}`, () => assert.equal(resourceOf(kind), resource));
  }
});
