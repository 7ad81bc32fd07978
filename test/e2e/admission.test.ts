/**
 * The guard as a cluster admin installs and meets it, on a real control plane (kube-apiserver, etcd,
 * kube-controller-manager) with the real kubectl: the install applied server-side, Pods and Deployments created
 * with kubectl against images in the test registry, `kubectl debug`, reinvocation by another mutating webhook,
 * failure modes. Everything asserted is what kubectl printed or what the API server stored.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { generateCertificates } from '../../src/server/tls/generate.js';
import { waitFor } from '../support/control-plane.js';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';
import { GUARD_ACCOUNT, GUARD_NAMESPACE, installGuard, renderInstall, type InstalledGuard } from '../support/e2e-guard.js';
import { createNamespaces, deploymentYaml, e2eSetUp, seededRegistry, tearDown, TEST_REGISTRY_FLAGS } from '../support/e2e-fixtures.js';
import type { SeededCatalog } from '../support/images.js';
import type { TestRegistry } from '../support/registry.js';

const SHOP = 'e2e-shop'; // production
const DEV = 'e2e-dev';
const IMAGES = ['distroless-static:nonroot', 'distroless-static:debug', 'debian-full:12', 'busybox-hardlinks:latest'];

interface Container {
  readonly name: string;
  readonly image: string;
  readonly securityContext?: Record<string, unknown>;
  readonly volumeMounts?: ReadonlyArray<{ readonly name: string; readonly mountPath: string }>;
}
interface Pod {
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string>; readonly ownerReferences?: ReadonlyArray<{ kind: string }> };
  readonly spec: {
    readonly containers: readonly Container[];
    readonly initContainers?: readonly Container[];
    readonly ephemeralContainers?: readonly Container[];
    readonly volumes?: ReadonlyArray<{ readonly name: string; readonly emptyDir?: unknown }>;
    readonly securityContext?: Record<string, unknown>;
  };
}

let cluster: Cluster;
let registry: TestRegistry;
let seeded: SeededCatalog;
let guard: InstalledGuard;

/** Every test fails with the set-up's reason when the cluster or the install could not be had (never skips). */
function ready(): { cluster: Cluster; guard: InstalledGuard; seeded: SeededCatalog } {
  assertSetUp();
  return { cluster, guard, seeded };
}

const policy = (initImage: string): string => `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: e2e-shop}
spec:
  mode: Enforce
  failurePolicy: Fail
  match: {namespaces: ["${SHOP}"]}
  production: {namespaces: ["${SHOP}"]}
  rules:
    noPackageManager:
      exceptions:
        - images: ["${initImage}"]
          reason: busybox's dpkg applet; the render step needs its shell
  mutate:
    action: Enforce
    securityContext: true
    readOnlyRootFilesystem: true
    writableDirs: ["/tmp"]
    pinDigest: Production
    initContainers:
      - name: render-config
        image: ${initImage}
        command: ["sh", "-c", "true"]
        allowRoot: true
        podSelector: {matchLabels: {app: web}}
        volume: {name: rendered-config, mountPath: /config}
`;

const assertSetUp = e2eSetUp(async () => {
  cluster = await e2eCluster();
  ({ registry, seeded } = await seededRegistry(IMAGES));
  guard = await installGuard(cluster, { extraArgs: TEST_REGISTRY_FLAGS });
  await createNamespaces(cluster, [SHOP, DEV]);
  await cluster.ok(['label', 'namespace', SHOP, 'environment=production']);
  await cluster.ok(['apply', '-f', '-'], { input: policy(seeded.get('busybox-hardlinks:latest').ref) });
  // The policy is watched: wait until it judges (a pod with a shell image is refused in production).
  await waitFor(
    'the e2e-shop policy in force',
    async () => ((await kubectlRun(SHOP, 'probe', seeded.get('debian-full:12').ref, ['--dry-run=server'])).code === 1 ? true : undefined),
    { timeoutMs: 30_000 },
  );
});

after(async () => {
  await cluster?.kubectl(['delete', 'distrolesspolicy', 'e2e-shop', '--ignore-not-found']);
  await tearDown({ cluster, guard, namespaces: [SHOP, DEV], registry });
});

function kubectlRun(namespace: string, name: string, image: string, extra: readonly string[] = []) {
  return cluster.kubectl(['run', name, '-n', namespace, `--image=${image}`, '--restart=Never', ...extra]);
}

describe('install: what kubectl kustomize renders is accepted by the real API server', () => {
  it('every object is stored; the webhooks call the guard by URL and carry the caBundle the guard itself patched in', async () => {
    const { cluster, guard } = ready();
    for (const o of guard.objects) {
      const where = o.metadata.namespace === undefined ? [] : ['-n', o.metadata.namespace];
      await cluster.ok(['get', o.kind, o.metadata.name, ...where, '-o', 'name']);
    }
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const config = await cluster.json<{ webhooks: Array<{ clientConfig: { url?: string; caBundle?: string } }> }>(['get', kind, 'distroless-guard']);
      for (const w of config.webhooks) {
        assert.match(w.clientConfig.url ?? '', new RegExp(`^https://127\\.0\\.0\\.1:${guard.port}/(validate|mutate)$`));
        assert.ok((w.clientConfig.caBundle ?? '').length > 100, 'the caBundle was written by the certificate leader (serve --certificate-secret)');
      }
    }
  });

  it('each overlay is accepted too (server-side dry run; cert-manager kinds left out: no cert-manager here)', async () => {
    const { cluster, guard } = ready();
    for (const overlay of ['manifests/overlays/dry-run', 'manifests/overlays/cert-manager']) {
      const docs = (await renderInstall(cluster, overlay, guard.port)).filter((o) => !o.apiVersion.startsWith('cert-manager.io/'));
      // Another field manager, forcing: the overlays change fields the installed base owns (failurePolicy, …).
      await cluster.ok(['apply', '--server-side', '--dry-run=server', '--force-conflicts', '--field-manager=e2e-overlay', '-f', '-'], {
        input: docs.map((d) => JSON.stringify(d)).join('\n'),
      });
    }
  });

  it('the RBAC of the install is enough for the guard (it is ready as its ServiceAccount) and grants nothing more', async () => {
    const { cluster } = ready();
    const can = async (...args: string[]): Promise<boolean> =>
      (await cluster.kubectl(['auth', 'can-i', ...args, `--as=${GUARD_ACCOUNT}`])).stdout.trim() === 'yes';
    const expected: Array<[string[], boolean]> = [
      [['get', 'secrets', '-n', SHOP], true],
      [['list', 'secrets', '-n', SHOP], false],
      [['watch', 'distrolesspolicies.distroless-guard.io'], true],
      [['update', 'distrolesspolicies.distroless-guard.io', '--subresource=status'], true],
      [['update', 'distrolesspolicies.distroless-guard.io'], false],
      [['patch', 'validatingwebhookconfigurations/distroless-guard'], true],
      [['patch', 'validatingwebhookconfigurations/another'], false],
      [['create', 'pods', '-n', SHOP], false],
      [['create', 'events', '-n', SHOP], true],
      [['patch', 'events', '-n', SHOP], true],
      [['delete', 'events', '-n', SHOP], false],
      [['delete', 'namespaces'], false],
      [['update', 'leases/distroless-guard', '-n', GUARD_NAMESPACE], true],
      [['update', 'leases/kube-controller-manager', '-n', 'kube-system'], false],
    ];
    const got = await Promise.all(expected.map(async ([args]) => can(...args)));
    assert.deepEqual(got, expected.map(([, want]) => want), expected.map(([args], i) => `${args.join(' ')}: ${String(got[i])}`).join('\n'));
  });
});

describe('Pods through kubectl', () => {
  it('Enforce: a shell image is refused in production, with the text kubectl prints', async () => {
    const { seeded } = ready();
    const image = seeded.get('debian-full:12').ref;
    const result = await kubectlRun(SHOP, 'shell', image);
    assert.equal(result.code, 1, result.stdout);
    console.log(`kubectl printed:\n${result.stderr}`);
    // kube-apiserver puts the guard's Status.message after its own prefix, as is: one finding per line, and
    // "denied the request" said once (by the API server).
    const error = result.stderr.slice(result.stderr.indexOf('Error from server'));
    assert.match(error, /^Error from server: admission webhook "validate\.distroless-guard\.io" denied the request: \[[\w-]+\/\w+\] /);
    assert.equal(error.split('denied the request').length, 2, error);
    assert.match(
      error,
      new RegExp(
        String.raw`(?:^|: )\[e2e-shop\/noShell\] container "shell" \(\S+debian-full:12@sha256:[0-9a-f]{64}\): image has a shell: ` +
          String.raw`\/usr\/bin\/bash.*\. Fix: build FROM gcr\.io\/distroless\/base-debian12:nonroot \(glibc found on Debian 12\)$`,
        'm',
      ),
    );
    assert.match(error, /^\[e2e-shop\/noPackageManager\] container "shell" /m);
    // The mutating webhook ran first (the image was pinned); its warnings and the default policy's come before.
    assert.ok(result.stderr.split('\n').filter((l) => l.startsWith('Warning: [distroless-guard] ')).length > 0, result.stderr);
    assert.equal((await cluster.kubectl(['get', 'pod', 'shell', '-n', SHOP])).code, 1, 'nothing was stored');
  });

  it('DryRun: outside production the default policy admits it, and kubectl prints its warnings', async () => {
    const { seeded } = ready();
    const result = await kubectlRun(DEV, 'shell', seeded.get('debian-full:12').ref);
    assert.equal(result.code, 0, result.stderr);
    console.log(`kubectl printed:\n${result.stderr}`);
    const warnings = result.stderr.split('\n').filter((l) => l.startsWith('Warning: '));
    assert.ok(warnings.some((w) => /noShell/.test(w)), result.stderr);
  });

  it('mutation: the stored Pod has the image pinned, runAsUser from the image, an emptyDir for /tmp, the init container', async () => {
    const { seeded } = ready();
    const image = seeded.get('distroless-static:nonroot');
    const result = await kubectlRun(SHOP, 'web', image.ref, ['--labels=app=web']);
    assert.equal(result.code, 0, result.stderr);
    const pod = await cluster.json<Pod>(['get', 'pod', 'web', '-n', SHOP]);
    const app = pod.spec.containers[0];
    assert.equal(app?.image, `${image.ref}@${image.digest}`);
    assert.equal(app?.securityContext?.['runAsUser'], 65532);
    assert.equal(app?.securityContext?.['runAsNonRoot'], true);
    assert.equal(app?.securityContext?.['readOnlyRootFilesystem'], true);
    assert.equal(app?.securityContext?.['allowPrivilegeEscalation'], false);
    const tmp = app?.volumeMounts?.find((m) => m.mountPath === '/tmp');
    assert.ok(tmp !== undefined, JSON.stringify(app?.volumeMounts));
    assert.ok(pod.spec.volumes?.some((v) => v.name === tmp.name && v.emptyDir !== undefined));
    assert.deepEqual(pod.spec.initContainers?.map((c) => c.name), ['render-config']);
    assert.ok(app?.volumeMounts?.some((m) => m.mountPath === '/config'));
  });

  it('--dry-run=server is judged like a real request and stores nothing', async () => {
    const { seeded } = ready();
    const result = await kubectlRun(SHOP, 'dry', seeded.get('debian-full:12').ref, ['--dry-run=server']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /denied the request: [\s\S]*noShell/);
    const allowed = await kubectlRun(SHOP, 'dry-ok', seeded.get('distroless-static:nonroot').ref, ['--dry-run=server', '-o', 'json']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match((JSON.parse(allowed.stdout) as Pod).spec.containers[0]?.image ?? '', /@sha256:/, 'mutated in the dry run too');
    assert.equal((await cluster.kubectl(['get', 'pod', 'dry-ok', '-n', SHOP])).code, 1, 'nothing was stored');
  });
});

describe('reinvocation: another mutating webhook adds a sidecar after the guard', () => {
  let injector: Server | undefined;

  after(async () => {
    await cluster?.kubectl(['delete', 'mutatingwebhookconfiguration', 'e2e-sidecar-injector', '--ignore-not-found']);
    injector?.closeAllConnections();
    injector?.close();
  });

  it('the guard is called again and hardens the sidecar; what it did the first time is not done twice', async () => {
    const { cluster, seeded } = ready();
    const sidecarImage = seeded.get('distroless-static:nonroot').ref;
    const certs = await generateCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    injector = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        const review = JSON.parse(body) as { request: { uid: string; object: Pod } };
        const has = review.request.object.spec.containers.some((c) => c.name === 'sidecar');
        const patch = has ? [] : [{ op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: sidecarImage } }];
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: { uid: review.request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => injector?.listen(0, '127.0.0.1', resolve));
    const port = (injector.address() as AddressInfo).port;
    await cluster.ok(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'e2e-sidecar-injector' },
        webhooks: [{
          name: 'sidecar.e2e.test',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          reinvocationPolicy: 'IfNeeded',
          clientConfig: { url: `https://127.0.0.1:${port}/`, caBundle: Buffer.from(certs.caCertPem).toString('base64') },
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': SHOP } },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        }],
      }),
    });
    const image = seeded.get('distroless-static:nonroot');
    const result = await kubectlRun(SHOP, 'with-sidecar', image.ref, ['--labels=app=web']);
    assert.equal(result.code, 0, result.stderr);
    const pod = await cluster.json<Pod>(['get', 'pod', 'with-sidecar', '-n', SHOP]);
    assert.deepEqual(pod.spec.containers.map((c) => c.name), ['with-sidecar', 'sidecar']);
    const sidecar = pod.spec.containers[1];
    assert.equal(sidecar?.image, `${image.ref}@${image.digest}`, 'the sidecar was pinned on reinvocation');
    assert.equal(sidecar?.securityContext?.['runAsUser'], 65532);
    assert.deepEqual(pod.spec.initContainers?.map((c) => c.name), ['render-config'], 'one init container, not two');
    const names = (pod.spec.volumes ?? []).map((v) => v.name);
    assert.deepEqual(names, [...new Set(names)], 'no volume added twice');
  });
});

describe('workloads: judged at the pod template, and their Pods again when the controllers create them', () => {
  it('a Deployment whose template would be denied is refused at kubectl apply, not later at pod creation', async () => {
    const { cluster, seeded } = ready();
    const result = await cluster.kubectl(['apply', '-f', '-'], { input: deploymentYaml(SHOP, 'shell-app', seeded.get('debian-full:12').ref) });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /admission webhook "validate\.distroless-guard\.io" denied the request: [\s\S]*\[e2e-shop\/noShell\] container "main"/);
    assert.equal((await cluster.kubectl(['get', 'deployment', 'shell-app', '-n', SHOP])).code, 1, 'nothing was stored');
  });

  it('an allowed Deployment: kube-controller-manager creates its ReplicaSet and Pod, and the Pod is admitted and mutated', async () => {
    const { cluster, seeded } = ready();
    assert.ok(cluster.controllerManager, 'kube-controller-manager runs');
    const image = seeded.get('distroless-static:nonroot');
    await cluster.ok(['apply', '-f', '-'], { input: deploymentYaml(SHOP, 'clean-app', image.ref) });
    const stored = await cluster.json<{ spec: { template: Pod } }>(['get', 'deployment', 'clean-app', '-n', SHOP]);
    assert.equal(stored.spec.template.spec.containers[0]?.image, `${image.ref}@${image.digest}`, 'the template was mutated at apply');
    const pod = await waitFor(
      'a Pod of clean-app',
      async () => (await cluster.json<{ items: Pod[] }>(['get', 'pods', '-n', SHOP, '-l', 'app=clean-app'])).items[0],
      { timeoutMs: 60_000 },
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\nkube-controller-manager:\n${await cluster.log('kube-controller-manager')}`);
    });
    assert.deepEqual(pod.metadata.ownerReferences?.map((o) => o.kind), ['ReplicaSet']);
    assert.equal(pod.spec.containers[0]?.image, `${image.ref}@${image.digest}`);
    assert.equal(pod.spec.containers[0]?.securityContext?.['runAsUser'], 65532);
  });
});

describe('kubectl debug: ephemeral containers through pods/ephemeralcontainers', () => {
  it('refused in a production namespace, allowed elsewhere', async () => {
    const { cluster, seeded } = ready();
    const app = seeded.get('distroless-static:nonroot').ref;
    const debugImage = seeded.get('distroless-static:debug').ref;
    for (const ns of [SHOP, DEV]) assert.equal((await kubectlRun(ns, 'target', app)).code, 0, `pod target in ${ns}`);
    const refused = await cluster.kubectl(['debug', 'target', '-n', SHOP, `--image=${debugImage}`, '-c', 'dbg']);
    assert.equal(refused.code, 1, refused.stdout);
    // One finding per line (default/noDebugTag's for the same container among them).
    assert.match(refused.stderr, /(?:denied the request: |^)\[default\/noDebugContainers\] ephemeral container "dbg"/m);
    const inShop = await cluster.json<Pod>(['get', 'pod', 'target', '-n', SHOP]);
    assert.equal(inShop.spec.ephemeralContainers, undefined);

    const allowed = await cluster.kubectl(['debug', 'target', '-n', DEV, `--image=${debugImage}`, '-c', 'dbg']);
    assert.equal(allowed.code, 0, allowed.stderr);
    const inDev = await cluster.json<Pod>(['get', 'pod', 'target', '-n', DEV]);
    assert.deepEqual(inDev.spec.ephemeralContainers?.map((c) => c.name), ['dbg']);
  });
});

describe('failure modes: the guard down, and the webhook timeout', () => {
  const patchFailurePolicy = (policy: 'Fail' | 'Ignore') =>
    cluster.ok([
      'patch',
      'validatingwebhookconfiguration',
      'distroless-guard',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/webhooks/0/failurePolicy', value: policy }]),
    ]);

  it('guard stopped: Ignore admits, Fail refuses, and its own namespace and kube-system still accept pods', async () => {
    const { cluster, guard, seeded } = ready();
    const image = seeded.get('distroless-static:nonroot').ref;
    await Promise.all(guard.replicas.map((r) => r.stop()));
    guard.replicas.length = 0;
    try {
      await patchFailurePolicy('Ignore');
      assert.equal((await kubectlRun(SHOP, 'while-down-ignore', image)).code, 0, 'failurePolicy Ignore admits');
      await patchFailurePolicy('Fail');
      const refused = await kubectlRun(SHOP, 'while-down-fail', image);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /failed calling webhook "validate\.distroless-guard\.io"/);
      for (const ns of [GUARD_NAMESPACE, 'kube-system']) {
        // Hardened: the guard's namespace enforces Pod Security "restricted".
        const overrides = {
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{ name: 'repair', image, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
          },
        };
        const repair = await kubectlRun(ns, 'repair', image, [`--overrides=${JSON.stringify(overrides)}`]);
        assert.equal(repair.code, 0, `${ns}: ${repair.stderr}`);
        await cluster.ok(['delete', 'pod', 'repair', '-n', ns, '--wait=false']);
      }
    } finally {
      await patchFailurePolicy('Fail');
      await guard.startReplica('guard-0', { port: guard.port });
    }
    await waitFor('admissions again', async () => ((await kubectlRun(SHOP, 'back', image, ['--dry-run=server'])).code === 0 ? true : undefined), {
      timeoutMs: 60_000,
    });
  });

  it("timeoutSeconds reaches the guard as ?timeout= and the guard answers before it (a registry that never answers)", async () => {
    const { cluster, guard, seeded } = ready();
    const setTimeouts = (seconds: number) =>
      Promise.all(
        ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration'].map((kind) =>
          cluster.ok([
            'patch',
            kind,
            'distroless-guard',
            '--type=json',
            '-p',
            JSON.stringify([{ op: 'replace', path: '/webhooks/0/timeoutSeconds', value: seconds }]),
          ]),
        ),
      );
    await setTimeouts(3);
    const image = seeded.get('distroless-static:nonroot');
    registry.proxy.setFault((r) => (r.method === 'HEAD' ? { delayMs: 60_000 } : undefined));
    try {
      // A tag never resolved before: both webhooks wait on the registry.
      const result = await kubectlRun(SHOP, 'slow', image.ref.replace(':nonroot', ':slow-tag'));
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, /denied the request: [\s\S]*did not finish before the deadline/, 'the guard answered, not the API server timing it out');
      // Each webhook call was answered before its 3 s timeout: the guard's own log of the two admissions of "slow".
      const admissions =
        guard.replicas[0]
          ?.output()
          .split('\n')
          .filter((l) => l.includes('"msg":"admission"') && l.includes('"name":"slow"'))
          .map((l) => JSON.parse(l) as { endpoint: string; durationMs: number }) ?? [];
      assert.deepEqual(admissions.map((a) => a.endpoint).sort(), ['mutate', 'validate']);
      for (const a of admissions) assert.ok(a.durationMs < 3000, `${a.endpoint} answered after ${a.durationMs} ms`);
    } finally {
      registry.proxy.setFault(undefined);
      await registry.proxy.lift();
      await setTimeouts(10);
    }
  });
});
