import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type {
  V1ClusterRole,
  V1Deployment,
  V1MutatingWebhookConfiguration,
  V1NetworkPolicy,
  V1PodDisruptionBudget,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1Service,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { parseGoDuration, budgetFor } from '../../src/server/deadline.js';
import { DEFAULT_METRICS_PORT } from '../../src/cli/serve.js';
import { DEFAULT_DRAIN_MS } from '../../src/server/https.js';
import { serviceDnsNames } from '../../src/server/tls/generate.js';
import { validateAgainstSchema } from '../support/kube-schema.js';
import { controlPlaneBinaries } from '../support/control-plane.js';
import { CLUSTER_SCOPED, idOf, renderKustomization, type KubeObject } from '../support/kustomize.js';

const MANIFESTS = resolve(import.meta.dirname, '../../manifests');
// A component cannot be built alone: every one of manifests/components/ is rendered on top of the base, as a user
// adds them (`components:` in a kustomization of their own).
const WITH_COMPONENTS = await mkdtemp(join(tmpdir(), 'dg-components-'));
const COMPONENTS = (await readdir(join(MANIFESTS, 'components'))).sort().map((name) => relative(WITH_COMPONENTS, join(MANIFESTS, 'components', name)));
await writeFile(join(WITH_COMPONENTS, 'kustomization.yaml'), `resources: [${relative(WITH_COMPONENTS, MANIFESTS)}]\ncomponents: [${COMPONENTS.join(', ')}]\n`);
after(() => rm(WITH_COMPONENTS, { recursive: true, force: true }));
const ROOTS = {
  base: MANIFESTS,
  'dry-run': join(MANIFESTS, 'overlays/dry-run'),
  'cert-manager': join(MANIFESTS, 'overlays/cert-manager'),
  components: WITH_COMPONENTS,
} as const;
type Root = keyof typeof ROOTS;
const GUARD_NAMESPACE = 'distroless-guard';
const run = promisify(execFile);

const rendered = Object.fromEntries(
  await Promise.all(Object.entries(ROOTS).map(async ([name, dir]) => [name, await renderKustomization(dir)] as const)),
) as Record<Root, Awaited<ReturnType<typeof renderKustomization>>>;

function the<T>(root: Root, kind: string, name?: string): T {
  const found = rendered[root].objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `${root}: exactly one ${kind}${name ? ` ${name}` : ''}`);
  return found[0] as T;
}
const all = (root: Root, kind: string) => rendered[root].objects.filter((o) => o.kind === kind);
const guardContainer = (d: V1Deployment) => {
  const c = d.spec?.template.spec?.containers[0];
  assert.ok(c, 'the Deployment has a container');
  return c;
};
/** The value following `flag` in the container's args. */
const argOf = (args: readonly string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
};
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('manifests: every object is valid against the Kubernetes OpenAPI schemas', () => {
  for (const root of Object.keys(ROOTS) as Root[]) {
    it(`${root}: schema-valid, no unknown fields; kinds without a schema only from the allow-list`, async (t) => {
      assert.ok(rendered[root].objects.length > 0);
      for (const o of rendered[root].objects) {
        const result = await validateAgainstSchema(o);
        if (result.kind === 'skipped') t.diagnostic(`${o.kind} ${o.metadata.name}: skipped (${result.reason})`);
        else assert.deepEqual(result.errors, [], `${root}: ${o.kind} ${o.metadata.name}`);
      }
    });
  }

  it('every YAML file under manifests/ is part of a kustomization, and the overlays include all of the base', async () => {
    const used = new Set(Object.entries(ROOTS).flatMap(([, dir]) => rendered[rootOf(dir)].files.map((f) => resolve(dir, f))));
    const onDisk = (await readdir(MANIFESTS, { recursive: true })).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(MANIFESTS, f));
    assert.deepEqual(onDisk.filter((f) => !used.has(f)), [], 'files no kustomization lists (add them to manifests/base/kustomization.yaml)');
    const baseIds = rendered.base.objects.map(idOf);
    // The cert-manager overlay takes out on purpose what only the guard's own certificate keeping needs.
    const removed: Partial<Record<Root, string[]>> = {
      'cert-manager': [
        `rbac.authorization.k8s.io/Role/${GUARD_NAMESPACE}/distroless-guard-certificates`,
        `rbac.authorization.k8s.io/RoleBinding/${GUARD_NAMESPACE}/distroless-guard-certificates`,
        `core/Secret/${GUARD_NAMESPACE}/distroless-guard-tls`,
      ],
    };
    for (const overlay of ['dry-run', 'cert-manager', 'components'] as const) {
      const ids = new Set(rendered[overlay].objects.map(idOf));
      assert.deepEqual(
        baseIds.filter((id) => !ids.has(id)),
        removed[overlay] ?? [],
        `${overlay} lacks objects of manifests/ (list new files in manifests/base/, not manifests/)`,
      );
    }
  });

  // The control plane's own kubectl (scripts/control-plane.sh, built before the tests run): fails, never skips.
  it('the rendering used here is the one kubectl kustomize produces', async () => {
    const kubectl = join(await controlPlaneBinaries({ progress: () => undefined }), 'kubectl');
    for (const [root, dir] of Object.entries(ROOTS)) {
      const { stdout } = await run(kubectl, ['kustomize', dir]);
      const theirs = parseAllDocuments(stdout).map((d) => d.toJS() as KubeObject);
      assert.deepEqual(sortById(rendered[root as Root].objects), sortById(theirs), root);
    }
  });
});

describe('manifests: cross-references hold', () => {
  for (const root of Object.keys(ROOTS) as Root[]) {
    it(`${root}: webhooks → Service → Deployment port, paths the server answers`, () => {
      const service = the<V1Service>(root, 'Service');
      const deployment = the<V1Deployment>(root, 'Deployment');
      const container = guardContainer(deployment);
      for (const [kind, path] of [['ValidatingWebhookConfiguration', '/validate'], ['MutatingWebhookConfiguration', '/mutate']] as const) {
        for (const webhook of the<V1ValidatingWebhookConfiguration>(root, kind).webhooks ?? []) {
          const ref = webhook.clientConfig.service;
          assert.ok(ref, `${webhook.name} calls a Service`);
          assert.equal(ref.name, service.metadata?.name);
          assert.equal(ref.namespace, service.metadata?.namespace);
          assert.equal(ref.path, path);
          const port = service.spec?.ports?.find((p) => p.port === (ref.port ?? 443));
          assert.ok(port, `Service port ${ref.port}`);
          const target = container.ports?.find((p) => p.name === port.targetPort || p.containerPort === port.targetPort);
          assert.ok(target, `targetPort ${String(port.targetPort)} is a container port`);
          assert.equal(String(target.containerPort), argOf(container.args ?? [], '--port') ?? '8443', 'serve listens on the container port');
        }
      }
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        assert.equal(probe?.httpGet?.scheme, 'HTTPS');
        assert.ok(container.ports?.some((p) => p.name === probe?.httpGet?.port || p.containerPort === probe?.httpGet?.port));
      }
      assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
      assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
    });

    it(`${root}: metrics: Service port "metrics" → the container port serve's --metrics-port listens on; ServiceMonitors scrape it`, () => {
      const service = the<V1Service>(root, 'Service');
      const container = guardContainer(the<V1Deployment>(root, 'Deployment'));
      const port = service.spec?.ports?.find((p) => p.name === 'metrics');
      const target = container.ports?.find((p) => p.name === port?.targetPort);
      assert.equal(String(target?.containerPort), argOf(container.args ?? [], '--metrics-port') ?? String(DEFAULT_METRICS_PORT));
      for (const monitor of all(root, 'ServiceMonitor') as unknown as Array<{
        spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; scheme?: string }> };
      }>) {
        assert.ok(selects(monitor.spec.selector.matchLabels, service.metadata?.labels), 'the ServiceMonitor selects the Service');
        assert.deepEqual(monitor.spec.endpoints.map((e) => `${e.scheme ?? 'http'}/${e.port}`), ['http/metrics']);
      }
    });

    it(`${root}: labels and selectors, service account, namespace`, () => {
      const deployment = the<V1Deployment>(root, 'Deployment');
      const podLabels = deployment.spec?.template.metadata?.labels;
      assert.ok(selects(deployment.spec?.selector.matchLabels, podLabels), 'Deployment selector');
      assert.ok(selects(the<V1Service>(root, 'Service').spec?.selector, podLabels), 'Service selector');
      assert.ok(selects(the<V1PodDisruptionBudget>(root, 'PodDisruptionBudget').spec?.selector?.matchLabels, podLabels), 'PodDisruptionBudget selector');
      const antiAffinity = deployment.spec?.template.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm;
      assert.ok(selects(antiAffinity?.labelSelector?.matchLabels, podLabels), 'anti-affinity selects the replicas');
      assert.equal(antiAffinity?.topologyKey, 'kubernetes.io/hostname');

      const account = deployment.spec?.template.spec?.serviceAccountName;
      assert.equal(the<KubeObject>(root, 'ServiceAccount').metadata.name, account);
      for (const binding of [...all(root, 'ClusterRoleBinding'), ...all(root, 'RoleBinding')] as unknown as V1RoleBinding[]) {
        assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account, namespace: GUARD_NAMESPACE }]);
        const role = the<KubeObject>(root, binding.roleRef.kind, binding.roleRef.name);
        if (binding.kind === 'RoleBinding') assert.equal(role.metadata.namespace, binding.metadata?.namespace);
      }

      assert.equal(the<KubeObject>(root, 'Namespace').metadata.name, GUARD_NAMESPACE);
      for (const o of rendered[root].objects) {
        if (CLUSTER_SCOPED.has(o.kind) || o.apiVersion.startsWith('distroless-guard.io/')) continue;
        assert.equal(o.metadata.namespace, GUARD_NAMESPACE, `${o.kind} ${o.metadata.name} lives in the guard's namespace`);
      }
      assert.equal(
        deployment.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath,
        'metadata.namespace',
        'serve learns its namespace',
      );
    });

    it(`${root}: the certificate Secret: kept by the guard through the API, or cert-manager's mounted`, () => {
      const deployment = the<V1Deployment>(root, 'Deployment');
      const container = guardContainer(deployment);
      const args = container.args ?? [];
      assert.equal(argOf(args, '--patch-ca-bundle'), undefined, 'the certificate leader or cert-manager keeps the caBundle');
      if (root === 'cert-manager') {
        const certPath = argOf(args, '--tls-cert') ?? '';
        const mount = container.volumeMounts?.find((m) => certPath.startsWith(`${m.mountPath}/`));
        assert.ok(mount, `--tls-cert ${certPath} is on a mounted volume`);
        assert.ok(argOf(args, '--tls-key')?.startsWith(`${mount.mountPath}/`));
        const secretName = deployment.spec?.template.spec?.volumes?.find((v) => v.name === mount.name)?.secret?.secretName;
        const certificate = the<{ spec: { secretName: string; dnsNames: string[] } }>(root, 'Certificate', 'distroless-guard');
        assert.equal(secretName, certificate.spec.secretName);
        assert.deepEqual([...certificate.spec.dnsNames].sort(), serviceDnsNames('distroless-guard', GUARD_NAMESPACE).sort());
        assert.equal(argOf(args, '--certificate-secret'), undefined);
        assert.deepEqual(all(root, 'Secret'), [], "cert-manager makes its Secret (kubernetes.io/tls: a type the base's cannot change to)");
        for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
          assert.equal(the<KubeObject>(root, kind).metadata.annotations?.['cert-manager.io/inject-ca-from'], `${GUARD_NAMESPACE}/distroless-guard`);
        }
      } else {
        // kubelet expands $(POD_NAMESPACE) (the downward API env checked above): the Secret moves with the install.
        const [namespace, name = ''] = (argOf(args, '--certificate-secret') ?? '').split('/');
        assert.equal(namespace, '$(POD_NAMESPACE)');
        const secret = the<V1Secret>(root, 'Secret', name);
        assert.equal(secret.metadata?.namespace, GUARD_NAMESPACE);
        assert.equal(secret.type, 'Opaque');
        assert.deepEqual([secret.data, secret.stringData], [undefined, undefined], 'no data: a re-apply never resets what the guard wrote');
        assert.equal(argOf(args, '--tls-cert'), undefined);
        assert.deepEqual(deployment.spec?.template.spec?.volumes?.filter((v) => v.secret !== undefined), [], 'read through the API, not mounted');
        // The certificate names SERVICE.NAMESPACE.svc: --service must be the Service the webhooks call.
        assert.equal(argOf(args, '--service') ?? 'distroless-guard', the<V1Service>(root, 'Service').metadata?.name);
      }
    });

    it(`${root}: webhook timeouts are honoured by serve, and the termination grace covers shutdown`, () => {
      const deployment = the<V1Deployment>(root, 'Deployment');
      const args = guardContainer(deployment).args ?? [];
      const webhooks = [
        ...(the<V1ValidatingWebhookConfiguration>(root, 'ValidatingWebhookConfiguration').webhooks ?? []),
        ...(the<V1MutatingWebhookConfiguration>(root, 'MutatingWebhookConfiguration').webhooks ?? []),
      ];
      for (const webhook of webhooks) {
        const seconds = webhook.timeoutSeconds ?? 10;
        const budget = budgetFor(`${seconds}s`);
        assert.equal(budget.timeoutMs, seconds * 1000, `${webhook.name}: timeoutSeconds ${seconds} is taken as given (1-30 s)`);
        assert.ok(budget.answerMs < budget.timeoutMs, 'answered before the API server gives up');
        assert.ok(seconds * 1000 <= DEFAULT_DRAIN_MS, 'an in-flight review finishes within the shutdown drain');
      }
      const delayMs = parseGoDuration(argOf(args, '--shutdown-delay') ?? '5s') ?? Number.NaN;
      const grace = deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
      assert.ok(
        delayMs / 1000 + DEFAULT_DRAIN_MS / 1000 < grace,
        `terminationGracePeriodSeconds ${grace} > shutdown delay ${delayMs / 1000} s + drain ${DEFAULT_DRAIN_MS / 1000} s`,
      );
    });
  }
});

describe('manifests: the issue bar', () => {
  it(
    'both webhooks: v1 reviews, no side effects, Equivalent matching, ' +
      'pods, ephemeral containers and every pod-template workload, never their own namespace or kube-system',
    () => {
      for (const root of Object.keys(ROOTS) as Root[]) {
        for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
          for (const webhook of the<V1MutatingWebhookConfiguration>(root, kind).webhooks ?? []) {
            assert.deepEqual(webhook.admissionReviewVersions, ['v1']);
            // The validating webhook writes Events, never for a dry run (src/kube/admission-events.ts).
            assert.equal(webhook.sideEffects, kind === 'ValidatingWebhookConfiguration' ? 'NoneOnDryRun' : 'None');
            assert.equal(webhook.matchPolicy, 'Equivalent');
            assert.ok(webhook.failurePolicy, 'failurePolicy is explicit');
            if (kind === 'MutatingWebhookConfiguration') assert.equal(webhook.reinvocationPolicy, 'IfNeeded');
            assert.deepEqual(webhook.namespaceSelector?.matchExpressions, [
              { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [GUARD_NAMESPACE, 'kube-system'] },
            ]);
            const resources = (webhook.rules ?? []).flatMap((r) => (r.resources ?? []).map((res) => `${r.apiGroups?.[0] || 'core'}/${res}`));
            for (const expected of [
              'core/pods',
              'core/pods/ephemeralcontainers',
              'core/replicationcontrollers',
              'core/podtemplates',
              'apps/deployments',
              'apps/replicasets',
              'apps/statefulsets',
              'apps/daemonsets',
              'batch/jobs',
              'batch/cronjobs',
            ]) {
              assert.ok(resources.includes(expected), `${root} ${webhook.name} covers ${expected}`);
            }
            for (const rule of webhook.rules ?? []) assert.deepEqual(rule.operations, ['CREATE', 'UPDATE']);
            assert.equal(webhook.clientConfig.caBundle, undefined, 'no caBundle in git: a later apply must not erase the one written in the cluster');
          }
        }
      }
    },
  );

  it('validating failurePolicy: Fail in production (base, cert-manager), Ignore in the dry-run rollout; mutating always Ignore', () => {
    const policies = (root: Root, kind: string) => (the<V1ValidatingWebhookConfiguration>(root, kind).webhooks ?? []).map((w) => w.failurePolicy);
    assert.deepEqual(policies('base', 'ValidatingWebhookConfiguration'), ['Fail']);
    assert.deepEqual(policies('cert-manager', 'ValidatingWebhookConfiguration'), ['Fail']);
    assert.deepEqual(policies('dry-run', 'ValidatingWebhookConfiguration'), ['Ignore']);
    for (const root of Object.keys(ROOTS) as Root[]) assert.deepEqual(policies(root, 'MutatingWebhookConfiguration'), ['Ignore']);
  });

  it('RBAC is exactly the least privilege the issue lists', () => {
    const rules = (o: V1ClusterRole | V1Role) => (o.rules ?? []).map((r: V1PolicyRule) => ({ ...r }));
    const webhookPatch = {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
      resourceNames: ['distroless-guard'],
      verbs: ['get', 'patch'],
    };
    const reads = [
      { apiGroups: ['distroless-guard.io'], resources: ['distrolesspolicies'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['distroless-guard.io'], resources: ['distrolesspolicies/status'], verbs: ['update'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['serviceaccounts', 'secrets'], verbs: ['get'] },
    ];
    const events = { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] };
    assert.deepEqual(rules(the<V1ClusterRole>('base', 'ClusterRole')), [...reads, webhookPatch, events]);
    assert.deepEqual(rules(the<V1ClusterRole>('cert-manager', 'ClusterRole')), [...reads, events], 'cert-manager writes the caBundle: no patch right');
    // The resourceNames are the webhook configurations actually installed.
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])
      assert.deepEqual(webhookPatch.resourceNames, [the<KubeObject>('base', kind).metadata.name]);
    assert.deepEqual(rules(the<V1Role>('base', 'Role', 'distroless-guard-leader-election')), [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['distroless-guard', 'distroless-guard-certificates'],
        verbs: ['get', 'update'],
      },
    ]);
    // serve --certificate-secret: its own TLS Secret, by name (the one its args name), get and update only.
    const tlsSecret = argOf(guardContainer(the<V1Deployment>('base', 'Deployment')).args ?? [], '--certificate-secret')?.split('/')[1];
    assert.deepEqual(rules(the<V1Role>('base', 'Role', 'distroless-guard-certificates')), [
      { apiGroups: [''], resources: ['secrets'], resourceNames: [tlsSecret], verbs: ['get', 'update'] },
    ]);
    assert.equal(all('base', 'Role').length, 2);
    // cert-manager keeps the certificate: no certificate Lease, no Secret rights.
    assert.deepEqual(
      [...all('cert-manager', 'Role'), ...all('cert-manager', 'RoleBinding')].map((o) => `${o.kind}/${o.metadata.name}`),
      ['Role/distroless-guard-leader-election', 'RoleBinding/distroless-guard-leader-election'],
    );
    assert.deepEqual(rules(the<V1Role>('cert-manager', 'Role', 'distroless-guard-leader-election'))[1]?.resourceNames, ['distroless-guard']);
  });

  it('NetworkPolicy: ingress to the webhook and metrics ports only; egress to DNS and HTTPS (API server, registries), never link-local', () => {
    for (const root of Object.keys(ROOTS) as Root[]) {
      const policy = the<V1NetworkPolicy>(root, 'NetworkPolicy');
      const deployment = the<V1Deployment>(root, 'Deployment');
      assert.ok(selects(policy.spec?.podSelector?.matchLabels, deployment.spec?.template.metadata?.labels), `${root}: it selects the guard's pods`);
      assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress']);
      const containerPorts = guardContainer(deployment).ports?.map((p) => p.containerPort);
      assert.deepEqual(policy.spec?.ingress?.flatMap((r) => (r.ports ?? []).map((p) => p.port)), containerPorts);
      const egressPorts = policy.spec?.egress?.flatMap((r) => (r.ports ?? []).map((p) => `${p.protocol}/${p.port}`)).sort();
      assert.deepEqual(egressPorts, ['TCP/443', 'TCP/53', 'TCP/6443', 'UDP/53']);
      const blocks = policy.spec?.egress?.flatMap((r) => (r.to ?? []).map((t) => t.ipBlock)) ?? [];
      assert.ok(
        blocks.length > 0 && blocks.every((b) => b !== undefined && (b.except ?? []).some((e) => e === '169.254.0.0/16' || e === 'fe80::/10')),
        'HTTPS egress excludes link-local',
      );
    }
  });

  it('the Deployment: 2+ replicas spread over nodes, a PodDisruptionBudget, requests and limits, probes, and a hardened pod', () => {
    const deployment = the<V1Deployment>('base', 'Deployment');
    assert.ok((deployment.spec?.replicas ?? 1) >= 2);
    assert.equal(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable, 0, 'a rollout never drops below the replica count');
    assert.equal(the<V1PodDisruptionBudget>('base', 'PodDisruptionBudget').spec?.minAvailable, 1);
    const pod = deployment.spec?.template.spec;
    const container = guardContainer(deployment);
    assert.ok(
      container.resources?.requests?.['cpu'] &&
        container.resources.requests['memory'] &&
        container.resources.limits?.['memory'] &&
        container.resources.limits['cpu'],
    );
    assert.ok(container.readinessProbe && container.livenessProbe);
    assert.equal(pod?.securityContext?.runAsNonRoot, true);
    assert.equal(pod?.securityContext?.runAsUser, 65532);
    assert.equal(pod?.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext?.capabilities, { drop: ['ALL'] });
    assert.equal(container.securityContext?.privileged, undefined);
  });
});

function rootOf(dir: string): Root {
  const found = (Object.entries(ROOTS) as Array<[Root, string]>).find(([, d]) => d === dir);
  if (!found) throw new Error(dir);
  return found[0];
}

function sortById(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) => idOf(a).localeCompare(idOf(b)));
}
