/**
 * The real control plane the end-to-end tests run against (test/support/control-plane.ts): kube-apiserver, etcd and
 * kube-controller-manager built from Go modules of the pinned release (scripts/control-plane.sh; the first run on a
 * machine builds them, 11-14 minutes on 2 cores). It fails, never skips, when the control plane cannot be built or
 * started: the suites built on it would otherwise pass vacuously.
 *
 *   npm run test:e2e
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pinnedKubernetesVersion, waitFor, type KubectlResult } from '../support/control-plane.js';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';

const NAMESPACE = 'e2e-control-plane';

interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid: string;
  readonly ownerReferences?: readonly { readonly kind: string; readonly name: string; readonly controller?: boolean }[];
}

interface Container {
  readonly name: string;
  readonly image: string;
}

interface Pod {
  readonly kind: 'Pod';
  readonly metadata: ObjectMeta & { readonly labels?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly containers: readonly Container[];
    readonly ephemeralContainers?: readonly Container[];
    readonly serviceAccountName?: string;
    readonly volumes?: readonly { readonly name: string }[];
  };
  readonly status: { readonly phase?: string };
}

interface List<T> {
  readonly items: readonly T[];
}

let plane: Cluster | undefined;
let startError: Error | undefined;
let startErrorShown = false;

/**
 * The running control plane. When it could not be built or started every test fails (a failed `before` hook would
 * only mark them cancelled): the first with the whole reason, the others pointing to it.
 */
function cluster(): Cluster {
  if (plane !== undefined) return plane;
  const reason = startError?.message ?? 'unknown reason';
  if (startErrorShown) throw new Error(`the control plane did not start (the first failing test has the reason): ${reason.split('\n')[0]}`);
  startErrorShown = true;
  throw new Error(`the control plane could not be built or started:\n${reason}`, { cause: startError });
}

function ok(result: KubectlResult, what: string): string {
  assert.equal(result.code, 0, `${what} failed (exit ${String(result.code)}):\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

async function kubectlJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse(ok(await cluster().kubectl([...args, '-o', 'json']), `kubectl ${args.join(' ')}`)) as T;
}

const podManifest = `apiVersion: v1
kind: Pod
metadata:
  name: probe
  namespace: ${NAMESPACE}
  labels:
    app: probe
spec:
  containers:
    - name: main
      image: gcr.io/distroless/static-debian12:nonroot
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
`;

const deploymentManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NAMESPACE}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: gcr.io/distroless/static-debian12:nonroot
`;

// The suite's own timeout: --test-timeout (30 min in npm run test:e2e) would otherwise cut a cold build short.
describe('a real Kubernetes control plane (kube-apiserver, etcd, kube-controller-manager)', { timeout: 70 * 60_000 }, () => {
  before(
    async () => {
      try {
        plane = await e2eCluster();
      } catch (error) {
        startError = error instanceof Error ? error : new Error(String(error));
        return;
      }
      console.log(`kube-apiserver ${plane.version} (${plane.binDir})`);
    },
    // A cold build of the binaries took 11-14 minutes on 2 cores; the helper bounds it at 60.
    { timeout: 65 * 60_000 },
  );

  after(async () => {
    await plane?.release();
  });

  it('serves /version with the pinned release', async () => {
    const plane = cluster();
    const expected = process.env['KUBEBUILDER_ASSETS'] ? undefined : pinnedKubernetesVersion();
    const body = await plane.ok(['get', '--raw', '/version']);
    const info = JSON.parse(body) as { gitVersion: string; major: string; minor: string };
    if (expected !== undefined) {
      assert.equal(info.gitVersion, expected);
      assert.equal(info.major, '1');
      assert.equal(`v1.${info.minor}`, expected.split('.').slice(0, 2).join('.'));
    }
    assert.match(info.gitVersion, /^v1\.\d+\.\d+/);
    const client = ok(await plane.kubectl(['version', '--client']), 'kubectl version --client');
    if (expected !== undefined) assert.match(client, new RegExp(`Client Version: ${expected.replaceAll('.', '\\.')}\\b`));
  });

  it('stores a Pod applied with kubectl and reads it back', async () => {
    const plane = cluster();
    ok(await plane.kubectl(['create', 'namespace', NAMESPACE]), 'kubectl create namespace');
    if (plane.controllerManager) {
      // The ServiceAccount admission plugin refuses Pods until the serviceaccount controller made `default`.
      await waitFor(
        `ServiceAccount default in ${NAMESPACE}`,
        async () => ((await plane.kubectl(['get', 'serviceaccount', 'default', '-n', NAMESPACE, '-o', 'name'])).code === 0 ? true : undefined),
        { timeoutMs: 60_000 },
      );
    }
    ok(await plane.kubectl(['apply', '-f', '-'], { input: podManifest }), 'kubectl apply (pod)');

    const pod = await kubectlJson<Pod>(['get', 'pod', 'probe', '-n', NAMESPACE]);
    assert.equal(pod.kind, 'Pod');
    assert.equal(pod.metadata.name, 'probe');
    assert.equal(pod.metadata.namespace, NAMESPACE);
    assert.match(pod.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(pod.metadata.labels, { app: 'probe' });
    assert.deepEqual(
      pod.spec.containers.map((c) => [c.name, c.image]),
      [['main', 'gcr.io/distroless/static-debian12:nonroot']],
    );
    // No kubelet, no scheduler: stored and Pending.
    assert.equal(pod.status.phase, 'Pending');
    if (plane.controllerManager) {
      // The ServiceAccount admission plugin ran: default account and its projected token volume.
      assert.equal(pod.spec.serviceAccountName, 'default');
      assert.ok(
        pod.spec.volumes?.some((v) => v.name.startsWith('kube-api-access-')),
        `no kube-api-access volume: ${JSON.stringify(pod.spec.volumes)}`,
      );
    }
  });

  it('lets kube-controller-manager turn a Deployment into a ReplicaSet and a Pod', async () => {
    const plane = cluster();
    assert.ok(plane.controllerManager, `kube-controller-manager is not running (no binary in ${plane.binDir})`);
    ok(await plane.kubectl(['apply', '-f', '-'], { input: deploymentManifest }), 'kubectl apply (deployment)');
    let last = '';
    const replicaSet = await waitFor(
      'a ReplicaSet for Deployment web',
      async () => {
        const list = await kubectlJson<List<{ metadata: ObjectMeta }>>(['get', 'replicasets', '-n', NAMESPACE, '-l', 'app=web']);
        last = `${list.items.length} ReplicaSets`;
        return list.items[0];
      },
      { timeoutMs: 60_000, describe: () => last },
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\nkube-controller-manager log:\n${await plane.log('kube-controller-manager')}`);
    });
    assert.deepEqual(
      replicaSet.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.controller]),
      [['Deployment', 'web', true]],
    );
    const pod = await waitFor(
      'a Pod for ReplicaSet ' + replicaSet.metadata.name,
      async () => {
        const list = await kubectlJson<List<Pod>>(['get', 'pods', '-n', NAMESPACE, '-l', 'app=web']);
        last = `${list.items.length} Pods`;
        return list.items[0];
      },
      { timeoutMs: 60_000, describe: () => last },
    );
    assert.deepEqual(
      pod.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.controller]),
      [['ReplicaSet', replicaSet.metadata.name, true]],
    );
    assert.equal(pod.spec.containers[0]?.image, 'gcr.io/distroless/static-debian12:nonroot');
    assert.equal(pod.status.phase, 'Pending');
  });

  it('adds an ephemeral container with kubectl debug', async () => {
    const plane = cluster();
    const result = await plane.kubectl(['debug', 'probe', '-n', NAMESPACE, '--image=busybox', '-c', 'dbg'], { timeoutMs: 60_000 });
    ok(result, 'kubectl debug');
    const pod = await kubectlJson<Pod>(['get', 'pod', 'probe', '-n', NAMESPACE]);
    assert.deepEqual(
      pod.spec.ephemeralContainers?.map((c) => [c.name, c.image]),
      [['dbg', 'busybox']],
    );
  });
});
