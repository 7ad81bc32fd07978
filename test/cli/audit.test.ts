/**
 * `distroless-guard audit` against a local Kubernetes API holding a small cluster, and the real test registry, for
 * what the real control plane cannot show cheaply: each digest inspected once (registry requests counted, pods
 * reporting the digests they run under several references), --policy FILE, and the failures (a usage error, an
 * unreachable API server, a cluster without the CRD or the workload APIs). Grouping by owner on stored pods, the
 * findings, the table and --write-reports into the real PolicyReport CRD run against the real control plane in
 * test/e2e/audit.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { main } from '../../src/cli/main.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { declareCollections, PATHS, populateCluster } from '../support/fake-cluster.js';
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

describe('audit: images and policies', () => {
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
      'apiVersion: distroless-guard.io/v1alpha1\nkind: DistrolessPolicy\nmetadata: {name: proposal}\nspec:\n  mode: DryRun\n' +
        '  rules:\n    noShell: {action: Disabled}\n    noPackageManager: {action: Disabled}\n    noPrivilegeEscalation: {action: Disabled}\n',
    );
    const report = reportOf(await audit(['--format', 'json', '--policy', 'policy.yaml']));
    const denied = report.namespaces.flatMap((n) =>
      n.workloads.filter((w) => w.decision === 'denied').map((w) => `${n.name}/${w.name}: ${w.findings.map((f) => f.rule).join(',')}`),
    );
    assert.deepEqual(denied, ['dev/nightly: nonRoot', 'shop/web: nonRoot']);
    assert.deepEqual(report.policies, ['proposal']);
  });
});

describe('audit: output and kubeconfig', () => {
  it('-o json and -o yaml give the same report; --output-file and the old -o FILE write it to a file', async () => {
    const json = reportOf(await audit(['-o', 'json', '--offline']));
    const yaml = await audit(['-o', 'yaml', '--offline']);
    assert.equal(yaml.code, 0, yaml.stderr);
    const sameRun = (r: AuditReport): unknown => ({ ...r, generatedAt: '' });
    assert.deepEqual(sameRun(parseYaml(yaml.stdout) as AuditReport), sameRun(json));
    for (const args of [['-o', 'json', '--output-file', 'report.json'], ['--format', 'json', '-o', 'legacy/../report.json']]) {
      await rm(join(dir, 'report.json'), { force: true });
      const run = await audit([...args, '--offline']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, '');
      assert.deepEqual(schemaErrors.auditReport(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))), [], args.join(' '));
    }
  });

  it('reads every $KUBECONFIG file, merged as kubectl merges them, and --context picks one of the second file', async () => {
    await writeFile(
      join(dir, 'elsewhere'),
      'apiVersion: v1\nkind: Config\ncurrent-context: elsewhere\nclusters: [{name: elsewhere, cluster: {server: "https://127.0.0.1:1"}}]\n' +
        'users: [{name: elsewhere, user: {}}]\ncontexts: [{name: elsewhere, context: {cluster: elsewhere, user: elsewhere}}]\n',
    );
    const out = textSink();
    const err = textSink();
    const env = { HOME: '/nonexistent', KUBECONFIG: `${join(dir, 'elsewhere')}:${kubeconfig}` };
    const code = await main(['audit', '--context', 'local', '-o', 'json', '--offline'], { stdout: out.stream, stderr: err.stream, env, cwd: dir });
    assert.equal(reportOf({ code, stdout: out.text(), stderr: err.text() }).context, 'local');
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
    assert.match(run.stderr, /--format pdf: expected one of table, json, yaml, html/);
  });
});
