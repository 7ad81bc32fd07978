/**
 * The Helm chart installed with `helm install` on the real control plane, and the webhook judging pods through kubectl.
 *
 * What is rewritten, and why: no kubelet runs the Deployment here and no kube-proxy routes a ClusterIP, so, as for the
 * kustomize install (test/support/e2e-guard.ts, envtest's way), the webhooks' Service reference becomes
 * https://127.0.0.1:PORT. Here that rewrite is a Helm post-renderer (test/support/helm-post-renderer.ts, a
 * `postrenderer/v1` plugin), so `helm install` itself stores the release, its CRD and every object; the guard then
 * runs as local processes with the Deployment's args as Helm rendered them, as its ServiceAccount; with
 * certificates.source self-managed it fills the Secret the chart created empty and writes the caBundle itself.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { waitFor } from '../support/control-plane.js';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';
import { GUARD_NAMESPACE, installGuard, webhookCaBundle, type InstalledGuard, type KubeDoc } from '../support/e2e-guard.js';
import { createNamespaces, e2eSetUp, seededRegistry, tearDown, TEST_REGISTRY_FLAGS } from '../support/e2e-fixtures.js';
import { CHART, helm, parseObjects, ROOT } from '../support/helm.js';
import type { SeededCatalog } from '../support/images.js';
import type { TestRegistry } from '../support/registry.js';

const APPS = 'e2e-helm-apps';
const RELEASE = 'distroless-guard';
const IMAGES = ['distroless-static:nonroot', 'debian-full:12'];
/** The chart's values for this install: the default policy enforcing, so a shell image is refused anywhere. */
const VALUES = { defaultPolicy: { mode: 'Enforce' }, webhook: { timeoutSeconds: 15 } };

let cluster: Cluster;
let registry: TestRegistry;
let seeded: SeededCatalog;
let guard: InstalledGuard;
let plugins: string;

function ready(): { cluster: Cluster; guard: InstalledGuard; seeded: SeededCatalog } {
  assertSetUp();
  return { cluster, guard, seeded };
}

/** A Helm plugins folder holding the post-renderer, run with the project's Node and tsx. */
async function postRendererPlugin(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dg-helm-plugins-'));
  await mkdir(join(dir, 'url-webhooks'));
  const plugin = {
    apiVersion: 'v1',
    type: 'postrenderer/v1',
    name: 'url-webhooks',
    version: '0.1.0',
    runtime: 'subprocess',
    runtimeConfig: {
      platformCommand: [
        { command: process.execPath, args: ['--import', join(ROOT, 'node_modules/tsx/dist/loader.mjs'), join(ROOT, 'test/support/helm-post-renderer.ts')] },
      ],
    },
  };
  await writeFile(join(dir, 'url-webhooks', 'plugin.yaml'), stringify(plugin));
  return dir;
}

async function helmOk(args: readonly string[]): Promise<string> {
  const result = await helm([...args, '--kubeconfig', cluster.kubeconfigPath], { HELM_PLUGINS: plugins });
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** The post-renderer's flags: the webhooks call 127.0.0.1:port. */
const renderer = (port: number) => ['--post-renderer', 'url-webhooks', '--post-renderer-args', String(port)];

async function valuesFile(): Promise<string> {
  const file = join(plugins, 'values.yaml');
  await writeFile(file, stringify(VALUES));
  return file;
}

const assertSetUp = e2eSetUp(async () => {
  cluster = await e2eCluster();
  ({ registry, seeded } = await seededRegistry(IMAGES));
  plugins = await postRendererPlugin();
  const values = await valuesFile();
  guard = await installGuard(cluster, {
    extraArgs: TEST_REGISTRY_FLAGS,
    // What `helm install` will store: the same chart, values and post-renderer, rendered without installing.
    render: async (port) =>
      parseObjects(await helmOk(['template', RELEASE, CHART, '-n', GUARD_NAMESPACE, '--include-crds', '-f', values, ...renderer(port)])) as KubeDoc[],
    install: async (port) => void (await helmOk(['install', RELEASE, CHART, '-n', GUARD_NAMESPACE, '--create-namespace', '-f', values, ...renderer(port)])),
  });
  await createNamespaces(cluster, [APPS]);
});

after(async () => {
  // helm uninstall first (what a user runs), then whatever the e2e install added (the TLS Secret, the namespace).
  if (guard !== undefined)
    await helm(['uninstall', RELEASE, '-n', GUARD_NAMESPACE, '--ignore-not-found', '--kubeconfig', cluster.kubeconfigPath], { HELM_PLUGINS: plugins });
  if (plugins !== undefined) await rm(plugins, { recursive: true, force: true });
  await tearDown({ cluster, guard, namespaces: [APPS], registry });
});

describe('helm install on the real control plane', () => {
  it('the release is deployed and every object it rendered is stored, the CRD from crds/ included', async () => {
    const { cluster, guard } = ready();
    const releases = JSON.parse(await helmOk(['list', '-n', GUARD_NAMESPACE, '-o', 'json'])) as Array<{ name: string; status: string; chart: string }>;
    assert.deepEqual(releases.map((r) => `${r.name} ${r.status} ${r.chart}`), [`${RELEASE} deployed distroless-guard-0.1.0`]);
    for (const o of guard.objects) {
      const where = o.metadata.namespace === undefined ? [] : ['-n', o.metadata.namespace];
      await cluster.ok(['get', o.kind, o.metadata.name, ...where, '-o', 'name']);
    }
    assert.ok(guard.objects.some((o) => o.kind === 'CustomResourceDefinition'));
    const managed = await cluster.json<{ metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } }>([
      'get',
      'deployment',
      'distroless-guard',
      '-n',
      GUARD_NAMESPACE,
    ]);
    assert.equal(managed.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm');
    assert.equal(managed.metadata.annotations?.['meta.helm.sh/release-name'], RELEASE);
  });

  it('the values took effect in the cluster: webhook timeout, the default policy enforcing; the caBundle patched by the guard', async () => {
    const { cluster, guard } = ready();
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const config = await cluster.json<{ webhooks: Array<{ timeoutSeconds: number; clientConfig: { url?: string; caBundle?: string } }> }>([
        'get',
        kind,
        'distroless-guard',
      ]);
      for (const w of config.webhooks) {
        assert.equal(w.timeoutSeconds, 15);
        assert.match(w.clientConfig.url ?? '', new RegExp(`^https://127\\.0\\.0\\.1:${guard.port}/(validate|mutate)$`));
        assert.ok((w.clientConfig.caBundle ?? '').length > 100, 'the certificate leader (serve --certificate-secret) wrote it');
      }
    }
    assert.equal((await cluster.ok(['get', 'dgp', 'default', '-o', 'jsonpath={.spec.mode}'])).trim(), 'Enforce');
  });

  it('the webhook judges pods: a shell image is refused, a hardened distroless one admitted', async () => {
    const { cluster, seeded } = ready();
    await waitFor(
      'the default policy enforcing',
      async () =>
        (await cluster.kubectl(['run', 'probe', '-n', APPS, `--image=${seeded.get('debian-full:12').ref}`, '--restart=Never', '--dry-run=server'])).code === 1
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    );
    const refused = await cluster.kubectl(['run', 'shell', '-n', APPS, `--image=${seeded.get('debian-full:12').ref}`, '--restart=Never']);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /^Error from server: admission webhook "validate\.distroless-guard\.io" denied the request: /m);
    assert.match(refused.stderr, /(?:denied the request: |^)\[default\/noShell\] container "shell"/m);
    assert.equal((await cluster.kubectl(['get', 'pod', 'shell', '-n', APPS])).code, 1, 'nothing was stored');
    // Enforce covers every rule of the default policy: a distroless nonroot image in a hardened container passes.
    const image = seeded.get('distroless-static:nonroot').ref;
    const hardened = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true };
    const overrides = JSON.stringify({ spec: { containers: [{ name: 'web', image, securityContext: hardened }] } });
    const admitted = await cluster.kubectl(['run', 'web', '-n', APPS, `--image=${image}`, '--restart=Never', `--overrides=${overrides}`]);
    assert.equal(admitted.code, 0, admitted.stderr);
    await cluster.ok(['get', 'pod', 'web', '-n', APPS]);
  });

  it('helm upgrade leaves the certificate Secret and the caBundle as the guard wrote them', async () => {
    const { cluster, guard, seeded } = ready();
    const secret = async () => (await cluster.json<{ data?: Record<string, string> }>(['get', 'secret', guard.tlsSecret, '-n', GUARD_NAMESPACE])).data;
    const filled = await secret();
    assert.ok((filled?.['tls.crt'] ?? '').length > 100, 'the guard filled the Secret the chart created empty');
    const caBundle = await webhookCaBundle(cluster);
    await helmOk(['upgrade', RELEASE, CHART, '-n', GUARD_NAMESPACE, '--reuse-values', '--set', 'webhook.timeoutSeconds=14', ...renderer(guard.port)]);
    const timeout = await cluster.ok(['get', 'validatingwebhookconfiguration', 'distroless-guard', '-o', 'jsonpath={.webhooks[0].timeoutSeconds}']);
    assert.equal(timeout.trim(), '14', 'the upgrade went through');
    assert.deepEqual(await secret(), filled, 'the chart names no data in the Secret: the upgrade kept the certificate and CA');
    assert.equal(await webhookCaBundle(cluster), caBundle);
    const refused = await cluster.kubectl([
      'run',
      'shell-upgraded',
      '-n',
      APPS,
      `--image=${seeded.get('debian-full:12').ref}`,
      '--restart=Never',
      '--dry-run=server',
    ]);
    assert.equal(refused.code, 1, 'still judged after the upgrade');
  });

  it('helm uninstall removes the webhooks and the rest; the CRD stays, as Helm keeps crds/', async () => {
    const { cluster } = ready();
    await helmOk(['uninstall', RELEASE, '-n', GUARD_NAMESPACE]);
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration', 'clusterrole', 'clusterrolebinding']) {
      assert.equal((await cluster.kubectl(['get', kind, 'distroless-guard'])).code, 1, `${kind} removed`);
    }
    assert.equal((await cluster.kubectl(['get', 'deployment', 'distroless-guard', '-n', GUARD_NAMESPACE])).code, 1);
    await cluster.ok(['get', 'crd', 'distrolesspolicies.distroless-guard.io']);
    const afterUninstall = await cluster.kubectl([
      'run',
      'shell-after',
      '-n',
      APPS,
      `--image=${seeded.get('debian-full:12').ref}`,
      '--restart=Never',
      '--dry-run=server',
    ]);
    assert.equal(afterUninstall.code, 0, 'no webhook judges any more');
  });
});
