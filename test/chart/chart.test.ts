/**
 * The Helm chart (charts/distroless-guard) through the real Helm 4 CLI (scripts/helm.sh): `helm lint --strict` with
 * each values set and its schema refusing bad values; `helm template` rendering the same objects as the kustomize
 * install each values set corresponds to (`kubectl kustomize`, compared whole, object by object); every value
 * reaching the object it is meant for; any release namespace; the CRD and default policy from the same generator.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_POLICY_MANIFEST, policyCrdYaml } from '../../src/policy/crd.js';
import { serviceDnsNames } from '../../src/server/tls/generate.js';
import { documentedValues } from '../support/chart-values.js';
import { leftoverReferences, namespaceReferences } from '../support/guard-namespace.js';
import { CHART, helm, helmTemplate, kustomize, sortById } from '../support/helm.js';
import { validateAgainstSchema } from '../support/kube-schema.js';
import { idOf, type KubeObject } from '../support/kustomize.js';

/** Labels only a Helm release carries; everything else must be what kustomize renders. */
const RELEASE_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];

/**
 * An object as both installs must agree on it: without the release's labels, and without the namespace kustomize's
 * `namespace:` writes into cluster-scoped custom resources it does not know (the API server drops it).
 */
function comparable(o: KubeObject): KubeObject {
  const labels = Object.fromEntries(Object.entries(o.metadata.labels ?? {}).filter(([k]) => !RELEASE_LABELS.includes(k)));
  const { labels: _labels, ...metadata } = o.metadata;
  const kept = { ...metadata, ...(Object.keys(labels).length > 0 ? { labels } : {}) };
  if (o.kind === 'DistrolessPolicy') delete (kept as { namespace?: string }).namespace;
  return { ...o, metadata: kept };
}

/** Each values set and the kustomize install it must equal (the Namespace object aside: Helm's is --create-namespace). */
const equivalents: ReadonlyArray<{ name: string; values: Record<string, unknown>; resources: string[]; components?: string[] }> = [
  { name: 'defaults ↔ manifests/ (enforcing base)', values: {}, resources: ['manifests'] },
  {
    name: 'failurePolicy Ignore, policy DryRun ↔ overlays/dry-run',
    values: { webhook: { failurePolicy: 'Ignore' }, defaultPolicy: { mode: 'DryRun' } },
    resources: ['manifests/overlays/dry-run'],
  },
  {
    name: 'certificates.source cert-manager ↔ overlays/cert-manager',
    values: { certificates: { source: 'cert-manager' } },
    resources: ['manifests/overlays/cert-manager'],
  },
  {
    name: 'serviceMonitor and prometheusRule on ↔ components/monitoring',
    values: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
    resources: ['manifests'],
    components: ['manifests/components/monitoring'],
  },
];

describe('helm lint', () => {
  const valueSets: ReadonlyArray<[string, string[]]> = [
    ['defaults', []],
    [
      'cert-manager, monitoring and dashboard',
      [
        '--set',
        'certificates.source=cert-manager',
        '--set',
        'serviceMonitor.enabled=true',
        '--set',
        'prometheusRule.enabled=true',
        '--set',
        'grafanaDashboard.enabled=true',
      ],
    ],
    [
      'no default policy, no PDB, no NetworkPolicy',
      ['--set', 'defaultPolicy.enabled=false', '--set', 'podDisruptionBudget.enabled=false', '--set', 'networkPolicy.enabled=false'],
    ],
  ];
  for (const [name, args] of valueSets) {
    it(`passes --strict: ${name}`, async () => {
      const result = await helm(['lint', '--strict', CHART, '--namespace', 'security', ...args]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }

  const refused: ReadonlyArray<[string, string, RegExp]> = [
    ['an unknown certificate source', 'certificates.source=vault', /certificates\.source|source/],
    ['failurePolicy in lower case', 'webhook.failurePolicy=fail', /failurePolicy/],
    ['a timeout above the API server maximum of 30 s', 'webhook.timeoutSeconds=31', /timeoutSeconds/],
    ['a default policy mode that does not exist', 'defaultPolicy.mode=Off', /mode/],
    ['a misspelt top-level value', 'replicas=3', /replicas/],
    ['a digest that is not sha256', 'image.digest=latest', /digest/],
  ];
  for (const [name, set, message] of refused) {
    it(`refuses ${name} (values.schema.json)`, async () => {
      const result = await helm(['template', 'distroless-guard', CHART, '--set', set]);
      assert.notEqual(result.code, 0, result.stdout);
      assert.match(result.stderr, message);
    });
  }
});

describe('helm template renders the objects kustomize renders', () => {
  for (const equivalent of equivalents) {
    it(equivalent.name, async () => {
      const ours = (await helmTemplate(equivalent.values)).map(comparable);
      const theirs = (await kustomize({ resources: equivalent.resources, ...(equivalent.components ? { components: equivalent.components } : {}) }))
        .filter((o) => o.kind !== 'Namespace')
        .map(comparable);
      assert.deepEqual(sortById(ours).map(idOf), sortById(theirs).map(idOf), 'the same kinds and names');
      const byId = new Map(theirs.map((o) => [idOf(o), o]));
      for (const o of ours) assert.deepEqual(o, byId.get(idOf(o)), idOf(o));
    });
  }

  it('every object of every values set is valid against the Kubernetes OpenAPI schemas', async (t) => {
    const all = await helmTemplate({
      certificates: { source: 'cert-manager' },
      serviceMonitor: { enabled: true },
      prometheusRule: { enabled: true },
      grafanaDashboard: { enabled: true },
    });
    for (const o of [...all, ...(await helmTemplate({}))]) {
      const result = await validateAgainstSchema(o);
      if (result.kind === 'skipped') t.diagnostic(`${o.kind} ${o.metadata.name}: skipped (${result.reason})`);
      else assert.deepEqual(result.errors, [], `${o.kind} ${o.metadata.name}`);
    }
  });
});

describe('any release namespace (helm template -n security)', () => {
  it('nothing names distroless-guard as a namespace; the exclusion, Service, RBAC, inject-ca-from and DNS names say security', async () => {
    const objects = await helmTemplate(
      { certificates: { source: 'cert-manager' }, serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, grafanaDashboard: { enabled: true } },
      { namespace: 'security' },
    );
    assert.deepEqual(leftoverReferences(objects, 'security'), []);
    const references = namespaceReferences(objects);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      assert.deepEqual(
        references.filter((r) => r.where.startsWith(`${kind}/`) && r.where.includes('namespaceSelector')).map((r) => r.namespace),
        ['security', 'kube-system'],
      );
      assert.deepEqual(
        references.filter((r) => r.where.startsWith(`${kind}/`) && /clientConfig|inject-ca-from/.test(r.where)).map((r) => r.namespace),
        ['security', 'security'],
      );
    }
    assert.deepEqual([...new Set(references.filter((r) => /Binding\/.*subjects/.test(r.where)).map((r) => r.namespace))], ['security']);
    const certificate = objects.find((o) => o.kind === 'Certificate' && o.metadata.name === 'distroless-guard') as
      { spec?: { dnsNames?: string[] } } | undefined;
    assert.deepEqual([...(certificate?.spec?.dnsNames ?? [])].sort(), serviceDnsNames('distroless-guard', 'security').sort());
    const namespaced = objects.filter((o) => o.metadata.namespace !== undefined).map((o) => `${o.kind}:${o.metadata.namespace}`);
    assert.ok(namespaced.length >= 10 && namespaced.every((n) => n.endsWith(':security')), namespaced.join(', '));
  });

  it('self-managed certificates: the Secret in security, named by the args through $(POD_NAMESPACE), which kubelet expands', async () => {
    const objects = await helmTemplate({}, { namespace: 'security' });
    assert.deepEqual(leftoverReferences(objects, 'security'), []);
    assert.equal(objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'distroless-guard-tls')?.metadata.namespace, 'security');
    const container = (objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } })
      .spec.template.spec.containers[0];
    assert.deepEqual(container?.args.slice(1, 3), ['--certificate-secret', '$(POD_NAMESPACE)/distroless-guard-tls']);
  });
});

describe('values reach their objects', () => {
  const deploymentOf = (objects: KubeObject[]) =>
    objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        replicas: number;
        template: {
          metadata: { annotations?: Record<string, string> };
          spec: Record<string, unknown> & { containers: Array<Record<string, unknown> & { args: string[] }> };
        };
      };
    };
  const webhooksOf = (objects: KubeObject[]) =>
    objects
      .filter((o) => o.kind.endsWith('WebhookConfiguration'))
      .flatMap(
        (o) => o['webhooks'] as Array<{ name: string; failurePolicy: string; timeoutSeconds: number; namespaceSelector: unknown; objectSelector?: unknown }>,
      );

  it('replicas, image by digest, pull policy and secrets, resources, scheduling, pod annotations, extra args', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const values = {
      replicaCount: 3,
      image: { repository: 'registry.example.com/distroless-guard', digest, pullPolicy: 'Always' },
      imagePullSecrets: [{ name: 'pull' }],
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'security', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['system'] }] }] },
        },
      },
      priorityClassName: 'system-cluster-critical',
      podAnnotations: { 'example.com/team': 'security' },
      extraArgs: ['--insecure-registry', 'registry.local:5000'],
    };
    const deployment = deploymentOf(await helmTemplate(values));
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(container?.['image'], `registry.example.com/distroless-guard@${digest}`);
    assert.equal(container?.['imagePullPolicy'], 'Always');
    assert.deepEqual(pod['imagePullSecrets'], values.imagePullSecrets);
    assert.deepEqual(container?.['resources'], values.resources);
    assert.deepEqual(pod['nodeSelector'], values.nodeSelector);
    assert.deepEqual(pod['tolerations'], values.tolerations);
    assert.deepEqual(pod['affinity'], values.affinity);
    assert.equal(pod['priorityClassName'], 'system-cluster-critical');
    assert.deepEqual(deployment.spec.template.metadata.annotations, values.podAnnotations);
    assert.deepEqual(container?.args.slice(-2), ['--insecure-registry', 'registry.local:5000']);
    const tagged = deploymentOf(await helmTemplate({ image: { repository: 'r.example/g', tag: '1.2.3', digest } })).spec.template.spec.containers[0];
    assert.equal(tagged?.['image'], `r.example/g:1.2.3@${digest}`, 'a tag stays readable beside the digest that pins it');
  });

  it('webhook failurePolicy (validating only), timeoutSeconds, and selectors added to the exclusion of the guard and kube-system', async () => {
    const values = {
      webhook: {
        failurePolicy: 'Ignore',
        timeoutSeconds: 5,
        namespaceSelector: { matchLabels: { team: 'shop' }, matchExpressions: [{ key: 'guard', operator: 'NotIn', values: ['off'] }] },
        objectSelector: { matchExpressions: [{ key: 'example.com/skip', operator: 'DoesNotExist' }] },
      },
    };
    const webhooks = webhooksOf(await helmTemplate(values));
    assert.deepEqual(webhooks.map((w) => `${w.name}:${w.failurePolicy}:${w.timeoutSeconds}`).sort(), [
      'mutate.distroless-guard.io:Ignore:5',
      'validate.distroless-guard.io:Ignore:5',
    ]);
    for (const w of webhooks) {
      assert.deepEqual(w.namespaceSelector, {
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['distroless-guard', 'kube-system'] },
          ...values.webhook.namespaceSelector.matchExpressions,
        ],
        matchLabels: values.webhook.namespaceSelector.matchLabels,
      });
      assert.deepEqual(w.objectSelector, values.webhook.objectSelector);
    }
    assert.deepEqual(webhooksOf(await helmTemplate({})).map((w) => w.failurePolicy).sort(), ['Fail', 'Ignore'], 'default: validating Fail, mutating Ignore');
  });

  it('the default policy: its mode, or none', async () => {
    const policies = (objects: KubeObject[]) =>
      objects.filter((o) => o.kind === 'DistrolessPolicy').map((o) => `${o.metadata.name}:${(o['spec'] as { mode: string }).mode}`);
    assert.deepEqual(policies(await helmTemplate({ defaultPolicy: { mode: 'Enforce' } })), ['default:Enforce']);
    assert.deepEqual(policies(await helmTemplate({ defaultPolicy: { enabled: false } })), []);
  });

  it('monitoring: ServiceMonitor labels and interval, PrometheusRule labels, the dashboard ConfigMap for the Grafana sidecar', async () => {
    const objects = await helmTemplate({
      serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'kube-prometheus-stack' } },
      prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      grafanaDashboard: { enabled: true, namespace: 'monitoring', annotations: { grafana_folder: 'Security' } },
    });
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as KubeObject & { spec: { endpoints: Array<{ interval: string }> } };
    assert.equal(monitor.metadata.labels?.['release'], 'kube-prometheus-stack');
    assert.equal(monitor.spec.endpoints[0]?.interval, '15s');
    assert.equal(objects.find((o) => o.kind === 'PrometheusRule')?.metadata.labels?.['release'], 'kube-prometheus-stack');
    const dashboard = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'distroless-guard-dashboard') as KubeObject & {
      data: Record<string, string>;
    };
    assert.equal(dashboard.metadata.namespace, 'monitoring');
    assert.equal(dashboard.metadata.labels?.['grafana_dashboard'], '1');
    assert.equal(dashboard.metadata.annotations?.['grafana_folder'], 'Security');
    assert.deepEqual(
      JSON.parse(dashboard.data['distroless-guard.json'] ?? ''),
      JSON.parse(await readFile(join(CHART, 'dashboards/distroless-guard.json'), 'utf8')),
    );
    const off = await helmTemplate({});
    assert.deepEqual(
      off.filter((o) => ['ServiceMonitor', 'PrometheusRule', 'ConfigMap'].includes(o.kind)),
      [],
      'all off by default',
    );
  });

  it('networkPolicy: metricsFrom narrows the metrics port, extraEgress adds rules, enabled false leaves it out', async () => {
    const from = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }];
    const egress = [{ ports: [{ protocol: 'TCP', port: 5000 }] }];
    const policy = (await helmTemplate({ networkPolicy: { metricsFrom: from, extraEgress: egress } })).find((o) => o.kind === 'NetworkPolicy') as unknown as {
      spec: { ingress: Array<{ ports: Array<{ port: number }>; from?: unknown }>; egress: unknown[] };
    };
    assert.deepEqual(policy.spec.ingress.find((r) => r.ports[0]?.port === 8080)?.from, from);
    assert.equal(policy.spec.ingress.find((r) => r.ports[0]?.port === 8443)?.from, undefined, 'the webhook port stays open to the API server');
    assert.deepEqual(policy.spec.egress.at(-1), egress[0]);
    assert.deepEqual((await helmTemplate({ networkPolicy: { enabled: false } })).filter((o) => o.kind === 'NetworkPolicy'), []);
  });
});

describe('one source for what both installs share', () => {
  it('crds/ holds the CRD src/policy/schema.ts generates, and files/ the embedded default policy (npm run gen:crd)', async () => {
    assert.equal(await readFile(join(CHART, 'crds/distrolesspolicies.distroless-guard.io.yaml'), 'utf8'), policyCrdYaml(), 'run npm run gen:crd');
    assert.equal(await readFile(join(CHART, 'files/default-policy.yaml'), 'utf8'), DEFAULT_POLICY_MANIFEST, 'run npm run gen:crd');
  });

  it('files/alerts.yaml is the spec of manifests/components/monitoring/prometheusrule.yaml', async () => {
    const component = parse(await readFile(join(CHART, '../../manifests/components/monitoring/prometheusrule.yaml'), 'utf8')) as { spec: unknown };
    assert.deepEqual(parse(await readFile(join(CHART, 'files/alerts.yaml'), 'utf8')), component.spec);
  });

  it('docs/install.md lists every value of values.yaml, with its default and its # -- description', async () => {
    const values = documentedValues(await readFile(join(CHART, 'values.yaml'), 'utf8'));
    assert.deepEqual(values.filter((v) => v.description === undefined).map((v) => v.path), [], 'values without a # -- description');
    const topLevel = Object.keys(parse(await readFile(join(CHART, 'values.yaml'), 'utf8')) as object);
    assert.deepEqual(topLevel.filter((k) => !values.some((v) => v.path === k || v.path.startsWith(`${k}.`))), []);
    const expected = values.map((v) => `| \`${v.path}\` | \`${v.defaultJson}\` | ${v.description ?? ''} |`);
    const page = await readFile(join(CHART, '../../docs/install.md'), 'utf8');
    const rows = page.split('\n').filter((line) => /^\| `[\w.]+` \| `/.test(line));
    assert.deepEqual(rows, expected, 'the values table of docs/install.md (regenerate its rows from test/support/chart-values.ts)');
  });

  it('Chart.yaml: appVersion is package.json version (the default image tag)', async () => {
    const chart = parse(await readFile(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const pkg = JSON.parse(await readFile(join(CHART, '../../package.json'), 'utf8')) as { version: string };
    assert.equal(chart.appVersion, pkg.version);
  });
});
