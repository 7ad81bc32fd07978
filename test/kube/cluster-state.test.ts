import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { readClusterState } from '../../src/kube/cluster-state.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { declareCollections, EXPECTED, populateCluster } from '../support/fake-cluster.js';

/**
 * What an audit reads, from the local Kubernetes API: every page of every list (the requests counted), and no policy
 * list when a file replaces them. Owners, namespace labels and policies as a real API server serves them are read in
 * test/e2e/audit.test.ts.
 */
let api: FakeKubeApi;
let kubeConfig: KubeConfig;
const digest = `sha256:${'0'.repeat(64)}`;

before(async () => {
  api = await startFakeKubeApi();
  declareCollections(api);
  populateCluster(api, { debian: { ref: 'r/debian:12', digest }, distroless: { ref: 'r/static:nonroot', digest }, debug: { ref: 'r/static:debug', digest } });
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(api.kubeconfig());
});
after(() => api.close());

describe('readClusterState', () => {
  it('follows continue tokens to the end of each list', async () => {
    const state = await readClusterState(kubeConfig, { policies: true, pageSize: 3 }, AbortSignal.timeout(10_000));
    assert.equal(state.pods.length, EXPECTED.runningPods + 1, 'every pod, the finished one included (the audit filters)');
    const podPages = api.requests.filter((r) => r.startsWith('GET /api/v1/pods?'));
    assert.equal(podPages.length, Math.ceil(state.pods.length / 3));
    assert.ok(podPages.slice(1).every((r) => r.includes('continue=')));
  });

  it('does not list policies when a file replaces them', async () => {
    const before = api.requests.length;
    const state = await readClusterState(kubeConfig, { policies: false }, AbortSignal.timeout(10_000));
    assert.deepEqual(state.policies, []);
    assert.ok(!api.requests.slice(before).some((r) => r.includes('distrolesspolicies')));
  });
});
