/**
 * A small cluster on the fake API for `audit`: namespaces with labels, one DistrolessPolicy, Deployments with their
 * ReplicaSets (one mid-rollout), a CronJob with its Job, a StatefulSet, a bare pod, a finished Job's pod,
 * kube-system pods (a DaemonSet's and a mirror pod) and ServiceAccounts. Pods carry status.containerStatuses[].imageID
 * as containerd reports it.
 */
import type { FakeKubeApi } from './fake-kube-api.js';

export const PATHS = {
  namespaces: '/api/v1/namespaces',
  policies: '/apis/distroless-guard.io/v1alpha1/distrolesspolicies',
  pods: '/api/v1/pods',
  serviceAccounts: '/api/v1/serviceaccounts',
  replicaSets: '/apis/apps/v1/replicasets',
  deployments: '/apis/apps/v1/deployments',
  jobs: '/apis/batch/v1/jobs',
  cronJobs: '/apis/batch/v1/cronjobs',
} as const;

/** An image as a pod names it, and the digest its registry serves for it (what the kubelet reports as imageID). */
export interface ClusterImage {
  /** "host/repository:tag" */
  readonly ref: string;
  readonly digest: string;
}

export interface ClusterImages {
  /** Debian with shells, apt and root: denied by noShell, noPackageManager, nonRoot. */
  readonly debian: ClusterImage;
  /** distroless nonroot: compliant. */
  readonly distroless: ClusterImage;
  /** distroless :debug: busybox shell, root. */
  readonly debug: ClusterImage;
}

export const AUDIT_POLICY = {
  apiVersion: 'distroless-guard.io/v1alpha1',
  kind: 'DistrolessPolicy',
  metadata: { name: 'prod' },
  spec: {
    mode: 'DryRun',
    failurePolicy: 'Fail',
    match: { namespaces: ['shop', 'dev'] },
    production: { namespaceSelector: { matchLabels: { environment: 'production' } } },
    rules: { noPrivilegeEscalation: { action: 'Disabled' } },
  },
};

/** What the scenario should come to (the test's expectations, next to the data they follow from). */
export const EXPECTED = {
  runningPods: 11,
} as const;

export function declareCollections(api: FakeKubeApi): void {
  api.collection(PATHS.namespaces, 'Namespace', 'v1');
  api.collection(PATHS.policies, 'DistrolessPolicy', 'distroless-guard.io/v1alpha1');
  api.namespacedCollection('/api/v1', 'pods', 'Pod', 'v1');
  api.namespacedCollection('/api/v1', 'serviceaccounts', 'ServiceAccount', 'v1');
  api.namespacedCollection('/apis/apps/v1', 'replicasets', 'ReplicaSet', 'apps/v1');
  api.namespacedCollection('/apis/apps/v1', 'deployments', 'Deployment', 'apps/v1');
  api.namespacedCollection('/apis/batch/v1', 'jobs', 'Job', 'batch/v1');
  api.namespacedCollection('/apis/batch/v1', 'cronjobs', 'CronJob', 'batch/v1');
}

const owner = (apiVersion: string, kind: string, name: string, controller = true) => ({
  apiVersion,
  kind,
  name,
  uid: `uid-${kind}-${name}`,
  controller,
  blockOwnerDeletion: true,
});

function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  const bare = at === -1 ? ref : ref.slice(0, at);
  const slash = bare.lastIndexOf('/');
  const colon = bare.lastIndexOf(':');
  return colon > slash ? bare.slice(0, colon) : bare;
}

interface PodInput {
  readonly namespace: string;
  readonly name: string;
  readonly image: string;
  /** The digest the kubelet runs (status imageID); absent: a pod not started yet. */
  readonly runs?: string;
  readonly owner?: ReturnType<typeof owner>;
  readonly phase?: string;
}

function pod({ namespace, name, image, runs, owner: ownerRef, phase = 'Running' }: PodInput) {
  return {
    metadata: { name, namespace, labels: { app: name.split('-')[0] ?? name }, ...(ownerRef ? { ownerReferences: [ownerRef] } : {}) },
    spec: { serviceAccountName: 'default', containers: [{ name: 'app', image }] },
    status: {
      phase,
      ...(runs
        ? { containerStatuses: [{ name: 'app', image, imageID: `${repositoryOf(image)}@${runs}`, ready: phase === 'Running', restartCount: 0, started: true }] }
        : {}),
    },
  };
}

export function populateCluster(api: FakeKubeApi, images: ClusterImages): void {
  for (const [name, labels] of [
    ['shop', { environment: 'production' }],
    ['dev', {}],
    ['kube-system', {}],
    ['empty', {}],
  ] as const) {
    api.put(PATHS.namespaces, { metadata: { name, labels: { ...labels, 'kubernetes.io/metadata.name': name } } });
  }
  api.put(PATHS.policies, AUDIT_POLICY);
  for (const namespace of ['shop', 'dev']) api.put(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: 'default', namespace } });

  const { debian, distroless, debug } = images;
  // shop: web is mid-rollout from a distroless ReplicaSet (web-6c1) to a Debian one (web-7d4); both roll up to Deployment web.
  api.put('/apis/apps/v1/namespaces/shop/deployments', { metadata: { name: 'web' }, spec: { replicas: 4 } });
  api.put('/apis/apps/v1/namespaces/shop/deployments', { metadata: { name: 'api' }, spec: { replicas: 2 } });
  api.put('/apis/apps/v1/namespaces/shop/replicasets', { metadata: { name: 'web-7d4', ownerReferences: [owner('apps/v1', 'Deployment', 'web')] } });
  api.put('/apis/apps/v1/namespaces/shop/replicasets', { metadata: { name: 'web-6c1', ownerReferences: [owner('apps/v1', 'Deployment', 'web')] } });
  api.put('/apis/apps/v1/namespaces/shop/replicasets', { metadata: { name: 'api-5f9', ownerReferences: [owner('apps/v1', 'Deployment', 'api')] } });
  const pods: PodInput[] = [
    ...['a', 'b', 'c'].map((s) => ({
      namespace: 'shop',
      name: `web-7d4-${s}`,
      image: debian.ref,
      runs: debian.digest,
      owner: owner('apps/v1', 'ReplicaSet', 'web-7d4'),
    })),
    { namespace: 'shop', name: 'web-6c1-a', image: distroless.ref, runs: distroless.digest, owner: owner('apps/v1', 'ReplicaSet', 'web-6c1') },
    { namespace: 'shop', name: 'api-5f9-a', image: distroless.ref, runs: distroless.digest, owner: owner('apps/v1', 'ReplicaSet', 'api-5f9') },
    // Pending, not started: no imageID, so the tag is judged.
    { namespace: 'shop', name: 'api-5f9-b', image: distroless.ref, owner: owner('apps/v1', 'ReplicaSet', 'api-5f9'), phase: 'Pending' },
    // Already pinned by digest in its spec (the StatefulSet itself is not listed: the chain ends at it).
    {
      namespace: 'shop',
      name: 'db-0',
      image: `${repositoryOf(distroless.ref)}@${distroless.digest}`,
      runs: distroless.digest,
      owner: owner('apps/v1', 'StatefulSet', 'db'),
    },
    // dev: a CronJob's Job's pod, a finished Job's pod (not audited), a bare pod.
    { namespace: 'dev', name: 'nightly-28914-x2x', image: debug.ref, runs: debug.digest, owner: owner('batch/v1', 'Job', 'nightly-28914') },
    { namespace: 'dev', name: 'migrate-q8v', image: debian.ref, runs: debian.digest, owner: owner('batch/v1', 'Job', 'migrate'), phase: 'Succeeded' },
    { namespace: 'dev', name: 'scratchpad', image: distroless.ref, runs: distroless.digest },
    // kube-system: never judged.
    { namespace: 'kube-system', name: 'kube-proxy-abcde', image: debian.ref, runs: debian.digest, owner: owner('apps/v1', 'DaemonSet', 'kube-proxy') },
    { namespace: 'kube-system', name: 'etcd-node1', image: debian.ref, runs: debian.digest, owner: owner('v1', 'Node', 'node1', true) },
  ];
  api.put('/apis/batch/v1/namespaces/dev/cronjobs', { metadata: { name: 'nightly' }, spec: { schedule: '0 2 * * *' } });
  api.put('/apis/batch/v1/namespaces/dev/jobs', { metadata: { name: 'nightly-28914', ownerReferences: [owner('batch/v1', 'CronJob', 'nightly')] } });
  api.put('/apis/batch/v1/namespaces/dev/jobs', { metadata: { name: 'migrate' } });
  for (const p of pods) api.put(`/api/v1/namespaces/${p.namespace}/pods`, pod(p));

}
