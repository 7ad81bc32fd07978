import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { startLeaderElection } from '../../src/kube/leader.js';
import { syncPoliciesFromCluster, type PolicySync } from '../../src/kube/policy-sync.js';
import { watchNamespaces } from '../../src/kube/namespace-watch.js';
import { PolicyStore } from '../../src/policy/store.js';
import { staticNamespaces } from '../../src/review/namespaces.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';

/**
 * The in-cluster policy path against a local endpoint speaking the Kubernetes list/watch protocol: DistrolessPolicy
 * objects reach the store within a watch event, 410 Gone makes the informer relist, only the Lease holder writes
 * status, and a bad object never replaces a good generation.
 */
const POLICIES = '/apis/distroless-guard.io/v1alpha1/distrolesspolicies';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/distroless-guard/leases';
const NAMESPACES = '/api/v1/namespaces';
const silent = pino({ level: 'silent' });

const policy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'distroless-guard.io/v1alpha1', kind: 'DistrolessPolicy', metadata: { name }, spec });

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

type Status = { observedGeneration?: number; conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[] };
const statusOf = (api: FakeKubeApi, name: string): Status | undefined => api.get(POLICIES, name)?.['status'] as Status | undefined;

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

describe('DistrolessPolicy informer → policy store → status', () => {
  let store: PolicyStore;
  let sync: PolicySync;
  const loads: boolean[] = [];

  before(async () => {
    api.put(POLICIES, policy('baseline', { mode: 'DryRun' }));
    store = new PolicyStore({ guardNamespace: 'distroless-guard' });
    sync = syncPoliciesFromCluster(kubeConfig, { store, logger: silent, namespace: 'distroless-guard', identity: 'replica-a', retryPeriodMs: 100, leaseDurationMs: 1_000, onLoad: (o) => loads.push(o.ok) });
    await sync.watch.firstSync;
  });
  after(async () => {
    await sync.stop();
  });

  it('loads what the first list returns, then writes Ready status as the elected leader', async () => {
    await until('baseline in force', () => store.current().some((p) => p.name === 'baseline'));
    assert.equal(store.current()[0]?.actionOf('noShell'), 'DryRun');
    const status = await until('status written', () => statusOf(api, 'baseline'));
    assert.equal(status.observedGeneration, 1);
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration]),
      [['Ready', 'True', 'Loaded', 1]],
    );
    assert.equal(sync.election.isLeader(), true);
    assert.equal(api.get(LEASES, 'distroless-guard')?.['spec'] && (api.get(LEASES, 'distroless-guard')?.['spec'] as { holderIdentity: string }).holderIdentity, 'replica-a');
  });

  it('applies an edit within a watch event (no relist), and records the new generation', async () => {
    const lists = api.requests.filter((r) => r.startsWith(`GET ${POLICIES}`) && !r.includes('watch=true')).length;
    api.put(POLICIES, policy('baseline', { mode: 'Enforce' }));
    await until('edit applied', () => store.current()[0]?.actionOf('noShell') === 'Enforce');
    assert.equal(api.requests.filter((r) => r.startsWith(`GET ${POLICIES}`) && !r.includes('watch=true')).length, lists, 'no new list');
    await until('status generation 2', () => statusOf(api, 'baseline')?.observedGeneration === 2);
  });

  it('an invalid object is rejected with a False Ready condition; the other policies apply', async () => {
    api.put(POLICIES, policy('typo', { mode: 'Enforse' }));
    api.put(POLICIES, policy('second', { mode: 'DryRun', match: { namespaces: ['shop'] } }));
    await until('second in force', () => store.current().some((p) => p.name === 'second'));
    assert.deepEqual(store.current().map((p) => p.name), ['baseline', 'second']);
    const status = await until('typo status', () => statusOf(api, 'typo'));
    const ready = status.conditions?.[0];
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.reason, 'Invalid');
    assert.match(ready?.message ?? '', /spec\.mode must be one of "Enforce", "DryRun"/);
    assert.ok(loads.includes(false), 'a failed load was reported');
  });

  it('a bad edit of a good policy keeps its last good generation in force', async () => {
    api.put(POLICIES, policy('baseline', { mode: 'Enforce', rules: { noShell: { action: 'Sometimes' } } }));
    const status = await until('baseline rejected', () => (statusOf(api, 'baseline')?.conditions?.[0]?.status === 'False' ? statusOf(api, 'baseline') : undefined));
    assert.equal(status.observedGeneration, 3);
    assert.match(status.conditions?.[0]?.message ?? '', /last good generation stays in force/);
    assert.equal(store.current().find((p) => p.name === 'baseline')?.actionOf('noShell'), 'Enforce');
    assert.equal(store.current().find((p) => p.name === 'baseline')?.generation, 2);
  });

  it('after 410 Gone (history compacted while the watch was down) it relists and sees adds and deletes it missed', async () => {
    const lists = (): number => api.requests.filter((r) => r.startsWith(`GET ${POLICIES}`) && !r.includes('watch=true')).length;
    const before = lists();
    const watchBefore = api.requests.filter((r) => r.startsWith(`GET ${POLICIES}?`) && r.includes('watch=true')).length;
    api.dropWatches();
    api.remove(POLICIES, 'second');
    api.remove(POLICIES, 'typo');
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
  it('exactly one of two replicas writes status; when it stops, the other takes over', async () => {
    const lease = 'election-test';
    const stores = [new PolicyStore({ guardNamespace: 'g' }), new PolicyStore({ guardNamespace: 'g' })];
    const writes: string[] = [];
    const writer = (who: string) => ({ write: async () => void writes.push(who) });
    const [a, b] = ['r1', 'r2'].map((identity, i) =>
      syncPoliciesFromCluster(kubeConfig, { store: stores[i] as PolicyStore, logger: silent, namespace: 'distroless-guard', identity, leaseName: lease, retryPeriodMs: 50, leaseDurationMs: 5_000, statusWriter: writer(identity) }),
    ) as [PolicySync, PolicySync];
    try {
      await until('a leader', () => a.election.isLeader() || b.election.isLeader());
      await sleep(400);
      assert.equal(Number(a.election.isLeader()) + Number(b.election.isLeader()), 1, 'exactly one leader');
      const [leader, follower] = a.election.isLeader() ? [a, b] : [b, a];
      const leaderName = leader === a ? 'r1' : 'r2';
      await until('leader wrote status', () => writes.includes(leaderName));
      assert.ok(writes.every((w) => w === leaderName), `only the leader writes: ${writes.join()}`);
      const started = Date.now();
      await leader.stop();
      await until('follower takes over', () => follower.election.isLeader());
      // Released, not expired: no wait for the 5 s lease duration of an abandoned lease.
      assert.ok(Date.now() - started < 2_500, `take-over after ${Date.now() - started} ms`);
      const holder = (api.get(LEASES, lease)?.['spec'] as { holderIdentity: string; leaseTransitions: number }).holderIdentity;
      assert.equal(holder, leader === a ? 'r2' : 'r1');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('a leader stopped while its renewal is in flight still releases the lease', async () => {
    // Renewals back to back (retryPeriod 1 ms), so stop() lands on one in flight: its write must not void the release.
    for (let attempt = 0; attempt < 8; attempt++) {
      const lease = `release-race-${attempt}`;
      const election = startLeaderElection(kubeConfig, { namespace: 'distroless-guard', leaseName: lease, identity: 'r1', retryPeriodMs: 1, leaseDurationMs: 5_000 });
      await until('leading', () => election.isLeader());
      await sleep(5 + attempt * 3);
      await election.stop();
      const spec = api.get(LEASES, lease)?.['spec'] as { holderIdentity: string } | undefined;
      assert.equal(spec?.holderIdentity, '', `released when stop() resolves (attempt ${attempt})`);
    }
  });

  it('a lease held by a replica that stopped renewing is taken after its duration', async () => {
    api.put(LEASES, { metadata: { name: 'abandoned' }, spec: { holderIdentity: 'gone', leaseDurationSeconds: 1, renewTime: '2020-01-01T00:00:00.000000Z' } });
    const store = new PolicyStore({ guardNamespace: 'g' });
    const started = Date.now();
    const sync = syncPoliciesFromCluster(kubeConfig, { store, logger: silent, namespace: 'distroless-guard', identity: 'heir', leaseName: 'abandoned', retryPeriodMs: 50, statusWriter: { write: async () => undefined } });
    try {
      await sleep(500);
      assert.equal(sync.election.isLeader(), false, 'not before the lease duration has passed on our clock');
      await until('taken over', () => sync.election.isLeader(), 5_000);
      assert.ok(Date.now() - started >= 1_000);
      const spec = api.get(LEASES, 'abandoned')?.['spec'] as { holderIdentity: string; leaseTransitions: number; renewTime: string };
      assert.equal(spec.holderIdentity, 'heir');
      assert.equal(spec.leaseTransitions, 1);
      assert.match(spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime with six fractional digits');
    } finally {
      await sync.stop();
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
