/**
 * `distroless-guard audit` against a local Kubernetes API (list/watch, namespaced resources, label selectors,
 * pagination) holding a small cluster, and the real test registry: grouping by owner, the JSON output held to
 * schemas/audit-report.schema.json, each digest inspected once, and PolicyReports replacing the previous audit's.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { main } from '../../src/cli/main.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { declareCollections, EXPECTED, PATHS, populateCluster } from '../support/fake-cluster.js';
import { CATALOG, seedImages, type SeededCatalog } from '../support/images.js';
import { schemaErrors } from '../support/json-schemas.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { textSink } from '../support/text-sink.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let registry: TestRegistry;
let seeded: SeededCatalog;
let api: FakeKubeApi;
let dir: string;
let kubeconfig: string;

async function audit(args: readonly string[], config = kubeconfig): Promise<Run> {
  const out = textSink();
  const err = textSink();
  const code = await main(['audit', '--kubeconfig', config, ...args], { stdout: out.stream, stderr: err.stream, env: { HOME: '/nonexistent' }, cwd: dir });
  return { code, stdout: out.text(), stderr: err.text() };
}

function reportOf(run: Run): AuditReport {
  assert.equal(run.code, 0, run.stderr);
  const parsed: unknown = JSON.parse(run.stdout);
  assert.deepEqual(schemaErrors.auditReport(parsed), [], 'the JSON output validates against schemas/audit-report.schema.json');
  return parsed as AuditReport;
}

before(async () => {
  registry = await startRegistry();
  seeded = await seedImages(registry, CATALOG.filter((e) => ['debian-full:12', 'distroless-static:nonroot', 'distroless-static:debug'].includes(e.name)));
  api = await startFakeKubeApi();
  declareCollections(api);
  const image = (name: string) => ({ ref: seeded.get(name).ref, digest: seeded.get(name).digest });
  populateCluster(api, { debian: image('debian-full:12'), distroless: image('distroless-static:nonroot'), debug: image('distroless-static:debug') });
  dir = await mkdtemp(join(tmpdir(), 'dg-audit-'));
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, api.kubeconfig());
});

after(async () => {
  await Promise.all([api.close(), registry.stop(), rm(dir, { recursive: true, force: true })]);
});

describe('audit: what an Enforce switch would deny', () => {
  it('groups running pods under their workloads (Deployment through ReplicaSets, CronJob through Jobs), per namespace', async () => {
    const report = reportOf(await audit(['--format', 'json']));
    assert.deepEqual(
      Object.fromEntries(report.namespaces.map((n) => [n.name, n.workloads.map((w) => [w.kind, w.name, w.pods, w.decision])])),
      EXPECTED.workloads,
    );
    assert.equal(report.summary.pods, EXPECTED.runningPods, 'the finished Job pod is not audited');
    assert.deepEqual(report.policies, ['prod']);
    assert.equal(report.context, 'local');
  });

  it('judges the DryRun policy as if it enforced, by the rules and messages of the webhook', async () => {
    const report = reportOf(await audit(['--format', 'json']));
    const workload = (ns: string, name: string) => report.namespaces.find((n) => n.name === ns)?.workloads.find((w) => w.name === name);
    const rules = (ns: string, name: string) => workload(ns, name)?.findings.map((f) => `${f.outcome} ${f.policy}/${f.rule}`);
    assert.deepEqual(rules('shop', 'web'), ['Enforce prod/noShell', 'Enforce prod/noPackageManager', 'Enforce prod/nonRoot']);
    assert.deepEqual(rules('dev', 'nightly'), ['Enforce prod/noShell', 'Enforce prod/noPackageManager', 'Enforce prod/nonRoot']);
    assert.deepEqual(rules('shop', 'api'), []);
    const web = workload('shop', 'web')?.findings[0];
    assert.equal(web?.container.image, `${seeded.get('debian-full:12').ref}@${seeded.get('debian-full:12').digest}`, 'the digest the pod runs, from its status');
    assert.match(web?.message ?? '', /^image has a shell: \/usr\/bin\/bash/);
  });

  it('prints a table of workloads, the reasons of each denial, and a summary line; exit 0 whatever it found', async () => {
    const run = await audit([]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NAMESPACE +WORKLOAD +PODS +DECISION +VIOLATED RULES$/m);
    assert.match(run.stdout, /^shop +Deployment\/web +4 +DENIED +prod\/noShell, prod\/noPackageManager, prod\/nonRoot$/m);
    assert.match(run.stdout, /^dev +CronJob\/nightly +1 +DENIED/m);
    assert.match(run.stdout, /^kube-system +DaemonSet\/kube-proxy +1 +NOT COVERED$/m);
    assert.match(run.stdout, /^Deployment shop\/web would be denied:\n {2}\[prod\/noShell\] container "app" \(.*debian-full:12@sha256:[0-9a-f]{64}\): image has a shell: .* Fix: /m);
    assert.equal(
      run.stdout.trimEnd().split('\n').at(-1),
      '11 pods in 7 workloads across 3 namespaces: 2 would be denied, 3 compliant, 2 not covered by any policy; 5 images inspected (3 digests)',
    );
    assert.equal(run.stderr, '');
  });

  it('inspects each distinct image digest once: five references (tags, pinned tags, a bare digest) come to three digests, each blob fetched once', async () => {
    registry.proxy.reset();
    const report = reportOf(await audit(['--format', 'json', '--concurrency', '2']));
    assert.deepEqual([report.summary.images, report.summary.digests], [5, 3]);
    const gets = registry.requests({ method: 'GET' });
    const perDigest = new Map<string, number>();
    for (const r of gets) {
      const digest = /\/(?:blobs|manifests)\/(sha256:[0-9a-f]{64})$/.exec(r.path)?.[1];
      if (digest) perDigest.set(digest, (perDigest.get(digest) ?? 0) + 1);
    }
    const repeated = [...perDigest].filter(([, n]) => n > 1);
    assert.deepEqual(repeated, [], 'no manifest or blob fetched twice');
    const blobs = gets.filter((r) => r.path.includes('/blobs/')).length;
    assert.ok(blobs > 0 && blobs === new Set(gets.filter((r) => r.path.includes('/blobs/')).map((r) => r.path.slice(r.path.lastIndexOf('/')))).size);
    // Only the pending pod, which runs nothing yet, is judged by its tag: one tag lookup in all.
    const tagLookups = registry.requests({ path: /\/manifests\/(?!sha256:)[^/]+$/ });
    assert.deepEqual(tagLookups.map((r) => `${r.method} ${r.path.slice(r.path.indexOf('/v2/'))}`), ['HEAD /v2/distroless-static/manifests/nonroot']);
  });

  it('--policy FILE audits against a file: DryRun rules raised, Off rules stay off', async () => {
    await writeFile(
      join(dir, 'policy.yaml'),
      'apiVersion: distroless-guard.io/v1alpha1\nkind: DistrolessPolicy\nmetadata: {name: proposal}\nspec:\n  mode: DryRun\n  rules:\n    noShell: {action: "Off"}\n    noPackageManager: {action: "Off"}\n    noPrivilegeEscalation: {action: "Off"}\n',
    );
    const report = reportOf(await audit(['--format', 'json', '--policy', 'policy.yaml']));
    const denied = report.namespaces.flatMap((n) => n.workloads.filter((w) => w.decision === 'denied').map((w) => `${n.name}/${w.name}: ${w.findings.map((f) => f.rule).join(',')}`));
    assert.deepEqual(denied, ['dev/nightly: nonRoot', 'shop/web: nonRoot']);
    assert.deepEqual(report.policies, ['proposal']);
  });
});

/**
 * PolicyReport as the wgpolicyk8s.io/v1alpha2 CRD defines it (policyreports.wgpolicyk8s.io, as Kyverno ships it).
 * The CRD's schema is structural, so the API server would silently prune a field it does not define:
 * additionalProperties: false here catches one before it is lost.
 */
const POLICY_REPORT_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'summary', 'results'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'wgpolicyk8s.io/v1alpha2' },
    kind: { const: 'PolicyReport' },
    metadata: { type: 'object' },
    summary: { type: 'object', additionalProperties: false, properties: Object.fromEntries(['pass', 'fail', 'warn', 'error', 'skip'].map((k) => [k, { type: 'integer' }])) },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['policy'],
        additionalProperties: false,
        properties: {
          source: { type: 'string' },
          policy: { type: 'string' },
          rule: { type: 'string' },
          category: { type: 'string' },
          severity: { enum: ['critical', 'high', 'low', 'medium', 'info'] },
          result: { enum: ['pass', 'fail', 'warn', 'error', 'skip'] },
          scored: { type: 'boolean' },
          message: { type: 'string' },
          timestamp: { type: 'object', required: ['nanos', 'seconds'], additionalProperties: false, properties: { seconds: { type: 'integer' }, nanos: { type: 'integer' } } },
          resources: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: Object.fromEntries(['apiVersion', 'fieldPath', 'kind', 'name', 'namespace', 'resourceVersion', 'uid'].map((k) => [k, { type: 'string' }])),
            },
          },
          properties: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  },
};
const validatePolicyReport = new Ajv({ allErrors: true }).compile(POLICY_REPORT_SCHEMA);

describe('audit --write-reports', () => {
  const ours = () => api.list(PATHS.policyReports).filter((r) => r.metadata.labels?.['app.kubernetes.io/managed-by'] === 'distroless-guard');

  it('writes one PolicyReport per namespace, replacing its own and deleting the stale ones, never touching another tool’s', async () => {
    const before = api.get('/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports', 'distroless-guard-audit')?.metadata.resourceVersion;
    const run = await audit(['--write-reports', '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, 'distroless-guard audit: PolicyReports: 1 created, 1 replaced, 1 deleted\n');
    assert.deepEqual(ours().map((r) => `${r.metadata.namespace}/${r.metadata.name}`), ['dev/distroless-guard-audit', 'shop/distroless-guard-audit']);
    assert.notEqual(api.get('/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports', 'distroless-guard-audit')?.metadata.resourceVersion, before);
    assert.deepEqual(api.get('/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports', 'kyverno-polr')?.['results'], [{ policy: 'require-labels', result: 'pass' }]);
    // As the API server would send them back (JSON, so no undefined fields).
    for (const report of ours()) assert.equal(validatePolicyReport(JSON.parse(JSON.stringify(report))), true, JSON.stringify(validatePolicyReport.errors));
  });

  it('reports each workload by policy and rule: the Deployment, not its pods, with the fix and the pod count', () => {
    const shop = api.get('/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports', 'distroless-guard-audit');
    assert.deepEqual(shop?.['summary'], { pass: 12, fail: 3, warn: 0, error: 0, skip: 0 });
    type Result = { rule: string; result: string; resources: { kind: string; name: string }[]; properties: Record<string, string>; message: string };
    const fails = (shop?.['results'] as Result[]).filter((r) => r.result === 'fail');
    assert.deepEqual(
      fails.map((r) => [r.resources.map((o) => `${o.kind}/${o.name}`).join(), r.rule, r.properties['pods']]),
      [
        ['Deployment/web', 'noShell', '4'],
        ['Deployment/web', 'noPackageManager', '4'],
        ['Deployment/web', 'nonRoot', '4'],
      ],
    );
    assert.match(fails[0]?.message ?? '', /container "app" \(.*debian-full:12@sha256:[0-9a-f]{64}\): image has a shell/);
    assert.match(fails[0]?.properties['fix'] ?? '', /distroless/);
    const dev = api.get('/apis/wgpolicyk8s.io/v1alpha2/namespaces/dev/policyreports', 'distroless-guard-audit');
    assert.deepEqual(dev?.['summary'], { pass: 7, fail: 3, warn: 0, error: 0, skip: 0 });
  });

  it('a second audit replaces the same reports: nothing created, nothing left behind', async () => {
    const run = await audit(['--write-reports', '-o', 'report.json', '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '', 'the report went to the file');
    assert.equal(run.stderr, 'distroless-guard audit: PolicyReports: 0 created, 2 replaced, 0 deleted\n');
    assert.equal(ours().length, 2);
    assert.deepEqual(schemaErrors.auditReport(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))), []);
  });
});

describe('audit: failures', () => {
  it('an unknown --context is a usage error naming the contexts there are', async () => {
    const run = await audit(['--context', 'prod']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'distroless-guard audit: --context prod: no such context in the kubeconfig (have: local)\n');
  });

  it('an unreachable API server exits 1 with one line', async () => {
    const config = join(dir, 'unreachable');
    await writeFile(config, api.kubeconfig().replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1'));
    const run = await audit([], config);
    assert.equal(run.code, 1);
    assert.equal(run.stderr.split('\n').filter(Boolean).length, 1, run.stderr);
    assert.match(run.stderr, /^distroless-guard audit: cannot list (pods|namespaces|DistrolessPolicies): /);
  });

  it('a cluster without the DistrolessPolicy CRD exits 1 saying so, and --policy FILE works there', async () => {
    const bare = await startFakeKubeApi();
    try {
      bare.collection(PATHS.namespaces, 'Namespace', 'v1');
      bare.namespacedCollection('/api/v1', 'pods', 'Pod', 'v1');
      const config = join(dir, 'bare');
      await writeFile(config, bare.kubeconfig());
      const run = await audit([], config);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /cannot list DistrolessPolicies: HTTP 404.*the DistrolessPolicy CRD is not installed \(give --policy FILE/);
      await writeFile(join(dir, 'bare-policy.yaml'), 'apiVersion: distroless-guard.io/v1alpha1\nkind: DistrolessPolicy\nmetadata: {name: p}\nspec: {}\n');
      const withFile = await audit(['--policy', 'bare-policy.yaml', '--offline'], config);
      assert.equal(withFile.code, 0, withFile.stderr);
      assert.match(withFile.stderr, /cannot list replicasets \(HTTP 404.*\): their pods are grouped by their direct owner/);
      assert.match(withFile.stdout, /^No running pods\.$/m);
    } finally {
      await bare.close();
    }
  });

  it('an unknown format is a usage error', async () => {
    const run = await audit(['--format', 'pdf']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--format pdf: expected one of table, json, html/);
  });
});
