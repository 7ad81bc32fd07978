import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { startLeaderElection } from '../../src/kube/leader.js';
import { syncPoliciesFromCluster, type PolicySync } from '../../src/kube/policy-sync.js';
import { watchNamespaces } from '../../src/kube/namespace-watch.js';
import { PolicyStore } from '../../src/policy/store.js';
import { staticNamespaces } from '../../src/review/namespace-directory.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';

/**
 * The in-cluster policy path against a local endpoint speaking the Kubernetes list/watch protocol, for what a real
 * API server cannot be made to do on demand or lets no one observe: the requests the informer makes (an edit is a
 * watch event, not a relist), 410 Gone after compaction while the watch was down, and a leader stopped while its
 * renewal is in flight. The rest (status by the leader, edits applied within the watch, a bad edit keeping the last
 * good generation, take-over after release or expiry) runs against the real control plane in
 * test/e2e/policies.test.ts.
 */
const POLICIES = '/apis/distroless-guard.io/v1alpha1/distrolesspolicies';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/distroless-guard/leases';
const NAMESPACES = '/api/v1/namespaces';
const silent = pino({ level: 'silent' });

const policy = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'distroless-guard.io/v1alpha1',
  kind: 'DistrolessPolicy',
  metadata: { name },
  spec,
});

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let api: FakeKubeApi;
let kubeConfig: KubeConfig;

before(async () => {
  api = await startFakeKubeApi();
  api.collection(POLICIES, 'DistrolessPolicy', 'distroless-guard.io/v1alpha1');
  api.collection(LEASES, 'Lease', 'coordination.k8s.io/v1');
  api.collection(NAMESPACES, 'Namespace', 'v1');
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(api.kubeconfig());
});

after(async () => {
  await api.close();
});

describe('DistrolessPolicy informer: the requests behind it', () => {
  let store: PolicyStore;
  let sync: PolicySync;
  const lists = (): number => api.requests.filter((r) => r.startsWith(`GET ${POLICIES}`) && !r.includes('watch=true')).length;

  before(async () => {
    api.put(POLICIES, policy('baseline', { mode: 'Enforce' }));
    store = new PolicyStore({ guardNamespace: 'distroless-guard' });
    sync = syncPoliciesFromCluster(kubeConfig, {
      store,
      logger: silent,
      namespace: 'distroless-guard',
      identity: 'replica-a',
      retryPeriodMs: 100,
      leaseDurationMs: 1_000,
    });
    await sync.watch.firstSync;
    await until('baseline in force', () => store.current().some((p) => p.name === 'baseline'));
  });
  after(async () => {
    await sync.stop();
  });

  it('a new object arrives as a watch event: no relist', async () => {
    const before = lists();
    api.put(POLICIES, policy('second', { mode: 'DryRun', match: { namespaces: ['shop'] } }));
    await until('second in force', () => store.current().some((p) => p.name === 'second'));
    assert.equal(lists(), before, 'no new list');
  });

  it('after 410 Gone (history compacted while the watch was down) it relists and sees adds and deletes it missed', async () => {
    const before = lists();
    const watchBefore = api.requests.filter((r) => r.startsWith(`GET ${POLICIES}?`) && r.includes('watch=true')).length;
    api.dropWatches();
    api.remove(POLICIES, 'second');
    api.put(POLICIES, policy('late', { mode: 'Enforce' }));
    api.compact();
    await until('relisted', () => lists() > before);
    await until('set after relist', () => store.current().map((p) => p.name).join() === 'baseline,late');
    await until('watch reopened', () => api.openWatches() >= 1);
    const watches = api.requests.filter((r) => r.startsWith(`GET ${POLICIES}?`) && r.includes('watch=true')).slice(watchBefore);
    assert.ok(watches.length >= 2, `a watch from the old resourceVersion, then one after the relist: ${watches.join(' | ')}`);
    api.put(POLICIES, policy('after-relist', { mode: 'DryRun' }));
    await until('events flow again', () => store.current().some((p) => p.name === 'after-relist'));
  });
});

describe('leader election over a Lease', () => {
  it('a leader stopped while its renewal is in flight still releases the lease', async () => {
    // Renewals back to back (retryPeriod 1 ms), so stop() lands on one in flight: its write must not void the release.
    for (let attempt = 0; attempt < 8; attempt++) {
      const lease = `release-race-${attempt}`;
      const election = startLeaderElection(kubeConfig, {
        namespace: 'distroless-guard',
        leaseName: lease,
        identity: 'r1',
        retryPeriodMs: 1,
        leaseDurationMs: 5_000,
      });
      await until('leading', () => election.isLeader());
      await sleep(5 + attempt * 3);
      await election.stop();
      const spec = api.get(LEASES, lease)?.['spec'] as { holderIdentity: string } | undefined;
      assert.equal(spec?.holderIdentity, '', `released when stop() resolves (attempt ${attempt})`);
    }
  });
});

describe('Namespace informer', () => {
  it('a relabelled namespace counts with its new labels within a watch event; an unseen one falls back', async () => {
    api.put(NAMESPACES, { metadata: { name: 'shop', labels: { environment: 'staging' } } });
    const namespaces = watchNamespaces(kubeConfig, staticNamespaces({ other: { environment: 'fallback' } }), () => undefined);
    try {
      await namespaces.watch.firstSync;
      const signal = AbortSignal.timeout(5_000);
      assert.equal((await namespaces.lookup('shop', signal)).labels['environment'], 'staging');
      api.put(NAMESPACES, { metadata: { name: 'shop', labels: { environment: 'production' } } });
      const deadline = Date.now() + 5_000;
      while ((await namespaces.lookup('shop', signal)).labels['environment'] !== 'production') {
        assert.ok(Date.now() < deadline, 'relabel not seen within 5 s');
        await sleep(20);
      }
      assert.equal((await namespaces.lookup('other', signal)).labels['environment'], 'fallback');
      assert.equal((await namespaces.lookup('shop', signal)).labels['kubernetes.io/metadata.name'], 'shop');
    } finally {
      await namespaces.watch.stop();
    }
  });
});
