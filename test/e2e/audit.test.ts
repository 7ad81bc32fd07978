/**
 * `distroless-guard audit` against what the real API server stores: Pods that kube-controller-manager created for a
 * Deployment (through its ReplicaSet) and for a Job made from a CronJob, bare Pods, a kube-system Pod, all admitted
 * by the installed guard under a DryRun policy (with warnings), then audited as if every DryRun enforced; and
 * `--write-reports` into the real wgpolicyk8s.io/v1alpha2 PolicyReport CRD (test/fixtures/policyreport-crd.yaml),
 * read back with kubectl: accepted by the server's schema, nothing pruned, one report per namespace replaced by the
 * next audit, a stale one deleted, another tool's left alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditReport, AuditedWorkload } from '../../src/report/audit-report.js';
import { waitFor } from '../support/control-plane.js';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';
import { installGuard, type InstalledGuard } from '../support/e2e-guard.js';
import { CATALOG, seedImages, type SeededCatalog } from '../support/images.js';
import { schemaErrors } from '../support/json-schemas.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LAUNCHER = join(ROOT, 'bin/distroless-guard');
const SHOP = 'e2e-audit-shop'; // production
const DEV = 'e2e-audit-dev';
const STALE = 'e2e-audit-stale'; // no workloads: an earlier audit's report there is to go
const OURS = 'app.kubernetes.io/managed-by=distroless-guard';
const IMAGES = ['distroless-static:nonroot', 'distroless-static:debug', 'debian-full:12'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}
interface Result {
  readonly source: string;
  readonly policy: string;
  readonly rule: string;
  readonly result: string;
  readonly severity: string;
  readonly message: string;
  readonly resources: ReadonlyArray<{ apiVersion: string; kind: string; namespace: string; name: string; uid?: string }>;
  readonly properties: Readonly<Record<string, string>>;
  readonly timestamp: { seconds: number; nanos: number };
}
interface PolicyReport {
  readonly metadata: { name: string; namespace: string; uid: string; resourceVersion: string; labels?: Record<string, string> };
  readonly summary: Readonly<Record<string, number>>;
  readonly results: readonly Result[];
}

let cluster: Cluster;
let registry: TestRegistry;
let seeded: SeededCatalog;
let guard: InstalledGuard;
let home: string;
let setupError: unknown;

/** Every test fails with the set-up's reason when the cluster or the install could not be had (never skips). */
function ready(): { cluster: Cluster; seeded: SeededCatalog } {
  if (setupError !== undefined) throw setupError instanceof Error ? setupError : new Error(String(setupError));
  return { cluster, seeded };
}

/** A DryRun policy over both namespaces: what it finds is admitted with warnings, so the pods are stored. */
const POLICY = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: e2e-audit}
spec:
  mode: DryRun
  failurePolicy: Fail
  match: {namespaces: ["${SHOP}", "${DEV}"]}
  production: {namespaceSelector: {matchLabels: {environment: production}}}
  rules:
    noPrivilegeEscalation: {action: Disabled}
`;

/** A container hardened enough for the default policy's noPrivilegeEscalation. */
const HARDENED = '{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}';

const deployment = (name: string, image: string, replicas: number, hardened = false): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${SHOP}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
        - {name: main, image: "${image}"${hardened ? `, securityContext: ${HARDENED}` : ''}}
`;

const cronJob = (image: string): string => `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ${DEV}}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - {name: task, image: "${image}"}
`;

const report = (namespace: string, name: string, managedBy: string, results: string): string => `apiVersion: wgpolicyk8s.io/v1alpha2
kind: PolicyReport
metadata: {name: ${name}, namespace: ${namespace}, labels: {app.kubernetes.io/managed-by: ${managedBy}}}
summary: {pass: 1, fail: 0, warn: 0, error: 0, skip: 0}
results: ${results}
`;

before(
  async () => {
    try {
      cluster = await e2eCluster();
      home = await mkdtemp(join(tmpdir(), 'dg-e2e-audit-'));
      registry = await startRegistry();
      seeded = await seedImages(registry, CATALOG.filter((e) => IMAGES.includes(e.name)));
      await cluster.ok(['apply', '-f', join(ROOT, 'test/fixtures/policyreport-crd.yaml')]);
      for (const crd of ['policyreports.wgpolicyk8s.io', 'clusterpolicyreports.wgpolicyk8s.io'])
        await cluster.ok(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd}`]);
      guard = await installGuard(cluster, { extraArgs: ['--insecure-registry', '127.0.0.0/8'] });
      for (const ns of [SHOP, DEV, STALE]) await cluster.ok(['create', 'namespace', ns]);
      await cluster.ok(['label', 'namespace', SHOP, 'environment=production']);
      for (const ns of [SHOP, DEV]) {
        await waitFor(
          `ServiceAccount default in ${ns}`,
          async () => ((await cluster.kubectl(['get', 'serviceaccount', 'default', '-n', ns])).code === 0 ? true : undefined),
          { timeoutMs: 30_000 },
        );
      }
      await cluster.ok(['apply', '-f', '-'], { input: POLICY });
      const image = (name: string) => seeded.get(name).ref;
      // The policy is watched: wait until it judges (its DryRun warning for a shell image).
      await waitFor(
        'the e2e-audit policy in force',
        async () =>
          /e2e-audit\/noShell would deny/.test(
            (await cluster.kubectl(['run', 'probe', '-n', DEV, `--image=${image('debian-full:12')}`, '--dry-run=server'])).stderr,
          )
            ? true
            : undefined,
        { timeoutMs: 30_000 },
      );

      // An earlier audit's report where nothing is left to audit, and another tool's next to ours.
      await cluster.ok(['apply', '-f', '-'], { input: report(STALE, 'distroless-guard-audit', 'distroless-guard', '[]') });
      await cluster.ok(['apply', '-f', '-'], { input: report(SHOP, 'kyverno-polr', 'kyverno', '[{policy: require-labels, result: pass}]') });

      // The workloads, through the guard: admitted with warnings (DryRun), stored.
      await cluster.ok(['apply', '-f', '-'], { input: deployment('web', image('debian-full:12'), 2) });
      await cluster.ok(['apply', '-f', '-'], { input: deployment('api', image('distroless-static:nonroot'), 1, true) });
      await cluster.ok(['apply', '-f', '-'], { input: cronJob(image('distroless-static:debug')) });
      await cluster.ok(['create', 'job', 'nightly-manual', '-n', DEV, '--from=cronjob/nightly']);
      const scratchpad = {
        spec: {
          containers: [
            {
              name: 'scratchpad',
              image: image('distroless-static:nonroot'),
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      };
      await cluster.ok([
        'run',
        'scratchpad',
        '-n',
        DEV,
        `--image=${image('distroless-static:nonroot')}`,
        '--restart=Never',
        `--overrides=${JSON.stringify(scratchpad)}`,
      ]);
      await cluster.ok(['run', 'shell', '-n', DEV, `--image=${image('debian-full:12')}`, '--restart=Never']);
      await cluster.ok(['run', 'e2e-audit-sys', '-n', 'kube-system', `--image=${image('debian-full:12')}`, '--restart=Never']);
      // kube-controller-manager creates the ReplicaSets', and the Job's, pods.
      for (const [ns, selector, count] of [
        [SHOP, 'app=web', 2],
        [SHOP, 'app=api', 1],
        [DEV, 'job-name=nightly-manual', 1],
      ] as const) {
        await waitFor(
          `${count} pod(s) ${selector} in ${ns}`,
          async () => ((await cluster.json<{ items: unknown[] }>(['get', 'pods', '-n', ns, '-l', selector])).items.length === count ? true : undefined),
          { timeoutMs: 60_000 },
        ).catch(async (error: unknown) => {
          throw new Error(`${(error as Error).message}\nkube-controller-manager:\n${await cluster.log('kube-controller-manager')}`);
        });
      }
      // No kubelet runs here: write what one would into the status of web's pods (running, with the digest it
      // pulled) and of a finished pod, through the real status subresource.
      const debian = seeded.get('debian-full:12');
      const webPods = (await cluster.json<{ items: Array<{ metadata: { name: string } }> }>(['get', 'pods', '-n', SHOP, '-l', 'app=web'])).items.map(
        (p) => p.metadata.name,
      );
      await cluster.ok(['run', 'finished', '-n', DEV, `--image=${debian.ref}`, '--restart=Never']);
      const startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const status = (name: string, state: Record<string, unknown>, phase: string) => ({
        status: {
          phase,
          containerStatuses: [
            {
              name,
              image: debian.ref,
              imageID: `${debian.ref.replace(/:[^:/]+$/, '')}@${debian.digest}`,
              ready: phase === 'Running',
              restartCount: 0,
              started: phase === 'Running',
              state,
            },
          ],
        },
      });
      for (const pod of webPods)
        await cluster.ok([
          'patch',
          'pod',
          pod,
          '-n',
          SHOP,
          '--subresource=status',
          '--type=merge',
          '-p',
          JSON.stringify(status('main', { running: { startedAt } }, 'Running')),
        ]);
      await cluster.ok([
        'patch',
        'pod',
        'finished',
        '-n',
        DEV,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify(status('finished', { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } }, 'Succeeded')),
      ]);
      // Made production after its pods were admitted: the audit judges by the namespace's labels as they are now.
      await cluster.ok(['label', 'namespace', DEV, 'environment=production']);
    } catch (error) {
      setupError = error;
    }
  },
  { timeout: 15 * 60_000 },
);

after(async () => {
  await guard?.uninstall();
  await cluster?.kubectl(['delete', 'pod', 'e2e-audit-sys', '-n', 'kube-system', '--ignore-not-found', '--wait=false']);
  await cluster?.kubectl(['delete', 'namespace', SHOP, DEV, STALE, '--ignore-not-found', '--wait=false']);
  await cluster?.kubectl(['delete', '-f', join(ROOT, 'test/fixtures/policyreport-crd.yaml'), '--ignore-not-found', '--wait=false']);
  await registry?.stop();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
  await cluster?.release();
});

/** The CLI as a user runs it, with the cluster-admin kubeconfig and nothing from this machine's docker config. */
function audit(args: readonly string[]): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(LAUNCHER, ['audit', '--kubeconfig', cluster.kubeconfigPath, ...args], {
      cwd: home,
      env: { ...process.env, HOME: home, DOCKER_CONFIG: join(home, 'no-docker-config'), KUBECONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

function reportOf(run: Run): AuditReport {
  assert.equal(run.code, 0, run.stderr);
  const parsed: unknown = JSON.parse(run.stdout);
  assert.deepEqual(schemaErrors.auditReport(parsed), [], 'the JSON output validates against schemas/audit-report.schema.json');
  return parsed as AuditReport;
}

const ourNamespaces = (r: AuditReport) => r.namespaces.filter((n) => [SHOP, DEV].includes(n.name) || n.workloads.some((w) => w.name === 'e2e-audit-sys'));
const workload = (r: AuditReport, ns: string, name: string): AuditedWorkload | undefined =>
  r.namespaces.find((n) => n.name === ns)?.workloads.find((w) => w.name === name);
const rules = (w: AuditedWorkload | undefined): string[] => (w?.findings ?? []).map((f) => `${f.outcome} ${f.policy}/${f.rule}`).sort();
const ourReports = async (): Promise<PolicyReport[]> => (await cluster.json<{ items: PolicyReport[] }>(['get', 'policyreports', '-A', '-l', OURS])).items;

let first: AuditReport | undefined;
async function firstAudit(): Promise<AuditReport> {
  first ??= reportOf(await audit(['--format', 'json']));
  return first;
}

describe('audit: the pods the API server stores, judged as if every DryRun enforced', () => {
  it('the fixture CRD is the real PolicyReport API: the server refuses a result outside its enum', async () => {
    const { cluster } = ready();
    const refused = await cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: report(DEV, 'bad', 'e2e', '[{policy: p, result: failed}]') });
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /results\[0\]\.result: Unsupported value: "failed": supported values: "pass", "fail", "warn", "error", "skip"/);
  });

  it(
    'groups the stored pods under their workloads: Deployment through its ReplicaSet, CronJob through its Job, bare pods alone, kube-system not covered',
    async () => {
      ready();
      const report = await firstAudit();
      assert.deepEqual(report.policies, ['default', 'e2e-audit'], 'the installed default policy and ours');
      assert.deepEqual(
        Object.fromEntries(
          ourNamespaces(report).map((n) => [
            n.name,
            n.workloads.filter((w) => n.name !== 'kube-system' || w.name === 'e2e-audit-sys').map((w) => [w.kind, w.name, w.pods, w.decision]),
          ]),
        ),
        {
          [SHOP]: [
            ['Deployment', 'api', 1, 'allowed'],
            ['Deployment', 'web', 2, 'denied'],
          ],
          [DEV]: [
            ['CronJob', 'nightly', 1, 'denied'],
            ['Pod', 'scratchpad', 1, 'allowed'],
            ['Pod', 'shell', 1, 'denied'],
          ],
          'kube-system': [['Pod', 'e2e-audit-sys', 1, 'not-covered']],
        },
      );
      // The workloads are the objects the API server stores (their uids), not names made up from pod names.
      const deploymentUid = (await cluster.json<{ metadata: { uid: string } }>(['get', 'deployment', 'web', '-n', SHOP])).metadata.uid;
      assert.equal(workload(report, SHOP, 'web')?.uid, deploymentUid);
      const cronJobUid = (await cluster.json<{ metadata: { uid: string } }>(['get', 'cronjob', 'nightly', '-n', DEV])).metadata.uid;
      assert.equal(workload(report, DEV, 'nightly')?.uid, cronJobUid);
    },
  );

  it(
    'finds by policy and rule what the admissions only warned about: by the digest a pod reports running, else by its tag; finished pods left out',
    async () => {
      const { seeded } = ready();
      const report = await firstAudit();
      const shellRules = ['noShell', 'noPackageManager', 'nonRoot'];
      // Both policies raised to Enforce; the default policy does not switch noPrivilegeEscalation off.
      const denied = [
        ...shellRules.map((r) => `Enforce e2e-audit/${r}`),
        ...[...shellRules, 'noPrivilegeEscalation'].map((r) => `Enforce default/${r}`),
      ].sort();
      assert.deepEqual(rules(workload(report, SHOP, 'web')), denied);
      assert.deepEqual(rules(workload(report, DEV, 'shell')), denied);
      // The debug variant: its busybox shell and applets (dpkg, rpm), the root user, and, now that its namespace is
      // labelled production, its :debug tag.
      assert.deepEqual(rules(workload(report, DEV, 'nightly')), [...denied, 'Enforce default/noDebugTag', 'Enforce e2e-audit/noDebugTag'].sort());
      assert.match(workload(report, DEV, 'nightly')?.findings.find((f) => f.rule === 'noDebugTag')?.message ?? '', /":debug" is a debug variant/);
      const nightly = workload(report, DEV, 'nightly')?.findings.find((f) => f.policy === 'e2e-audit' && f.rule === 'noShell');
      assert.match(nightly?.message ?? '', /^image has a shell: \/busybox\//);
      assert.deepEqual(rules(workload(report, SHOP, 'api')), []);
      assert.deepEqual(rules(workload(report, DEV, 'scratchpad')), []);
      const debian = seeded.get('debian-full:12');
      const web = workload(report, SHOP, 'web')?.findings.find((f) => f.policy === 'e2e-audit' && f.rule === 'noShell');
      // web's pods report the digest they run (status imageID): that is judged, pinned.
      assert.equal(web?.container.image, `${debian.ref}@${debian.digest}`);
      assert.equal(web?.container.name, 'main');
      assert.match(web?.message ?? '', /^image has a shell: \/usr\/bin\/bash/);
      // The bare pod never started (no imageID): the tag it names is judged.
      assert.equal(workload(report, DEV, 'shell')?.findings.find((f) => f.rule === 'noShell')?.container.image, debian.ref);
      // A finished pod (Succeeded) is history, not audited.
      assert.equal(workload(report, DEV, 'finished'), undefined);
    },
  );

  it('prints a row per workload with the violated rules, and the reasons of each denial', async () => {
    ready();
    const run = await audit([]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NAMESPACE +WORKLOAD +PODS +DECISION +VIOLATED RULES$/m);
    assert.match(
      run.stdout,
      new RegExp(
        `^${SHOP} +Deployment/web +2 +DENIED +default/noShell, default/noPackageManager, default/nonRoot, default/noPrivilegeEscalation, ` +
          `e2e-audit/noShell, e2e-audit/noPackageManager, e2e-audit/nonRoot$`,
        'm',
      ),
    );
    assert.match(run.stdout, new RegExp(`^${SHOP} +Deployment/api +1 +ALLOWED$`, 'm'));
    assert.match(run.stdout, new RegExp(`^${DEV} +Pod/scratchpad +1 +ALLOWED$`, 'm'));
    assert.match(run.stdout, new RegExp(`^${DEV} +CronJob/nightly +1 +DENIED`, 'm'));
    assert.match(run.stdout, /^kube-system +Pod\/e2e-audit-sys +1 +NOT COVERED$/m);
    assert.match(
      run.stdout,
      new RegExp(
        `^Deployment ${SHOP}/web would be denied:\\n` +
          ` {2}\\[default/noShell\\] container "main" \\(\\S*debian-full:12@sha256:[0-9a-f]{64}\\): image has a shell: .* Fix: `,
        'm',
      ),
    );
    assert.match(
      run.stdout.trimEnd().split('\n').at(-1) ?? '',
      new RegExp(
        String.raw`^\d+ pods in \d+ workloads across \d+ namespaces: \d+ would be denied, ` +
          String.raw`\d+ compliant, \d+ not covered by any policy; \d+ images inspected \(\d+ digests\)$`,
      ),
    );
  });
});

describe('audit --write-reports into the real PolicyReport CRD', () => {
  const RESULT_FIELDS = ['category', 'message', 'policy', 'properties', 'resources', 'result', 'rule', 'scored', 'severity', 'source', 'timestamp'];
  let written: PolicyReport[] = [];
  let untouched: string | undefined;

  it('one report per audited namespace, accepted by the API server with nothing pruned; the stale one deleted, another tool’s left alone', async () => {
    const { cluster } = ready();
    untouched = (await cluster.json<PolicyReport>(['get', 'policyreport', 'kyverno-polr', '-n', SHOP])).metadata.resourceVersion;
    const run = await audit(['--write-reports', '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    console.log(run.stderr.trim());
    const counts = /^distroless-guard audit: PolicyReports: (\d+) created, (\d+) replaced, (\d+) deleted$/m.exec(run.stderr);
    assert.ok(counts !== null, run.stderr);
    assert.ok(Number(counts[1]) >= 2, 'created at least ours in both namespaces');
    assert.ok(Number(counts[3]) >= 1, 'deleted at least the stale one');

    written = await ourReports();
    const byNamespace = (ns: string) => written.filter((r) => r.metadata.namespace === ns);
    for (const ns of [SHOP, DEV]) assert.deepEqual(byNamespace(ns).map((r) => r.metadata.name), ['distroless-guard-audit'], ns);
    assert.deepEqual(byNamespace(STALE), [], 'the stale report was deleted');
    assert.deepEqual(byNamespace('kube-system'), [], 'nothing covered there, no report');
    assert.equal(
      (await cluster.json<PolicyReport>(['get', 'policyreport', 'kyverno-polr', '-n', SHOP])).metadata.resourceVersion,
      untouched,
      'another tool’s report untouched',
    );

    for (const r of written.filter((x) => [SHOP, DEV].includes(x.metadata.namespace))) {
      assert.ok(r.results.length > 0);
      // The server keeps only what the CRD's schema knows: every field the audit writes came back.
      for (const result of r.results) {
        assert.deepEqual(Object.keys(result).sort(), RESULT_FIELDS, JSON.stringify(result));
        assert.deepEqual(Object.keys(result.timestamp).sort(), ['nanos', 'seconds']);
      }
      const tally = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 } as Record<string, number>;
      for (const result of r.results) tally[result.result] = (tally[result.result] ?? 0) + 1;
      assert.deepEqual(r.summary, tally, 'the summary counts the results');
    }
  });

  it('the results name the workloads as stored: the Deployment and CronJob with their uids, the pod count, the fix', async () => {
    const { cluster } = ready();
    const shop = written.find((r) => r.metadata.namespace === SHOP);
    const dev = written.find((r) => r.metadata.namespace === DEV);
    const fails = (r: PolicyReport | undefined) =>
      (r?.results ?? [])
        .filter((x) => x.result === 'fail')
        .map((x) => `${x.resources.map((o) => `${o.apiVersion} ${o.kind}/${o.name}`).join()} ${x.policy}/${x.rule} pods=${x.properties['pods'] ?? ''}`)
        .sort();
    assert.deepEqual(fails(shop), [
      'apps/v1 Deployment/web default/noPackageManager pods=2',
      'apps/v1 Deployment/web default/noPrivilegeEscalation pods=2',
      'apps/v1 Deployment/web default/noShell pods=2',
      'apps/v1 Deployment/web default/nonRoot pods=2',
      'apps/v1 Deployment/web e2e-audit/noPackageManager pods=2',
      'apps/v1 Deployment/web e2e-audit/noShell pods=2',
      'apps/v1 Deployment/web e2e-audit/nonRoot pods=2',
    ]);
    assert.deepEqual(
      (shop?.results ?? []).filter((x) => x.resources[0]?.name === 'api').map((x) => x.result),
      Array(11).fill('pass'),
      'api: a pass for each active rule of both policies (5 of e2e-audit, 6 of default)',
    );
    assert.deepEqual(shop?.summary, { pass: 15, fail: 7, warn: 0, error: 0, skip: 0 });
    // nightly: 9 fails, 2 passes; shell: 7 fails, 4 passes; scratchpad: 11 passes.
    assert.deepEqual(dev?.summary, { pass: 17, fail: 16, warn: 0, error: 0, skip: 0 });
    const web = shop?.results.find((x) => x.result === 'fail' && x.policy === 'e2e-audit' && x.rule === 'noShell');
    assert.equal(web?.resources[0]?.uid, (await cluster.json<{ metadata: { uid: string } }>(['get', 'deployment', 'web', '-n', SHOP])).metadata.uid);
    assert.equal(web?.resources[0]?.namespace, SHOP);
    assert.equal(web?.source, 'distroless-guard');
    assert.match(web?.message ?? '', /^container "main" \(\S*debian-full:12@sha256:[0-9a-f]{64}\): image has a shell: /);
    assert.match(web?.properties['fix'] ?? '', /distroless/);
    assert.ok(dev?.results.some((x) => x.result === 'fail' && x.resources[0]?.kind === 'CronJob' && x.resources[0].name === 'nightly'));
    // kubectl's printer columns of the CRD read the summary.
    const row = (await cluster.ok(['get', 'polr', 'distroless-guard-audit', '-n', SHOP, '--no-headers'])).trim().split(/ +/);
    assert.deepEqual(row.slice(-6, -1), ['15', '7', '0', '0', '0'], row.join(' '));
  });

  it('a second audit replaces the same reports: nothing created, no duplicate, the same objects updated', async () => {
    const { cluster } = ready();
    const run = await audit(['--write-reports', '--format', 'json', '-o', 'report.json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '', 'the report went to the file');
    assert.match(run.stderr, /^distroless-guard audit: PolicyReports: 0 created, \d+ replaced, \d+ deleted$/m);
    const again = await ourReports();
    for (const ns of [SHOP, DEV]) {
      const before = written.filter((r) => r.metadata.namespace === ns);
      const now = again.filter((r) => r.metadata.namespace === ns);
      assert.equal(now.length, 1, `${ns}: one report, not two`);
      assert.equal(now[0]?.metadata.uid, before[0]?.metadata.uid, `${ns}: the same object`);
      assert.notEqual(now[0]?.metadata.resourceVersion, before[0]?.metadata.resourceVersion, `${ns}: replaced`);
      assert.deepEqual(now[0]?.summary, before[0]?.summary);
    }
    assert.equal(
      (await cluster.json<PolicyReport>(['get', 'policyreport', 'kyverno-polr', '-n', SHOP])).metadata.resourceVersion,
      untouched,
      'another tool’s report still untouched',
    );
  });
});
