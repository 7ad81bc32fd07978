/**
 * serve's background audit on the real control plane, installed as a user opts in (a kustomization of the install
 * with manifests/components/background-audit: its RBAC and --audit-interval, here 2s): the leader judges the
 * running pods (written as a kubelet would: running, with the digest pulled) every interval; the results are the
 * namespace's PolicyReport (the real wgpolicyk8s.io CRD) and each DistrolessPolicy's status, which `kubectl get
 * dgp` shows (VIOLATIONS, LAST AUDIT); the facts come from the guard's digest cache, so the registry sees no request
 * in a steady cluster's next cycles; and a second replica, not leading, audits nothing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../support/control-plane.js';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';
import { GUARD_NAMESPACE, installGuard, type GuardReplica, type InstalledGuard } from '../support/e2e-guard.js';
import { createNamespaces, deploymentYaml, e2eSetUp, seededRegistry, tearDown, TEST_REGISTRY_FLAGS } from '../support/e2e-fixtures.js';
import type { SeededCatalog } from '../support/images.js';
import type { TestRegistry } from '../support/registry.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NS = 'e2e-bg-audit';
const POLICY = 'e2e-bg-audit';
const IMAGES = ['distroless-static:nonroot', 'debian-full:12'];

interface PolicyStatus {
  readonly auditTimestamp?: string;
  readonly totalViolations?: number;
  readonly violations?: ReadonlyArray<{ kind: string; namespace: string; name: string; rule: string; message: string }>;
  readonly conditions?: ReadonlyArray<{ type: string; status: string }>;
}
interface PolicyReport {
  readonly summary: Readonly<Record<string, number>>;
  readonly results: ReadonlyArray<{ policy: string; rule: string; result: string; resources: ReadonlyArray<{ kind: string; name: string }> }>;
}

let cluster: Cluster;
let registry: TestRegistry;
let seeded: SeededCatalog;
let guard: InstalledGuard;
let kustomization: string | undefined;

function ready(): { cluster: Cluster; guard: InstalledGuard; registry: TestRegistry } {
  assertSetUp();
  return { cluster, guard, registry };
}

const policy = `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: ${POLICY}}
spec:
  mode: DryRun
  failurePolicy: Fail
  match: {namespaces: ["${NS}"]}
  rules:
    noPrivilegeEscalation: {action: Disabled}
  mutate: {action: Disabled}
`;

const deployment = (name: string, image: string): string => deploymentYaml(NS, name, image);

const assertSetUp = e2eSetUp(async () => {
  cluster = await e2eCluster();
  ({ registry, seeded } = await seededRegistry(IMAGES));
  await cluster.ok(['apply', '-f', join(ROOT, 'test/fixtures/policyreport-crd.yaml')]);
  for (const crd of ['policyreports.wgpolicyk8s.io', 'clusterpolicyreports.wgpolicyk8s.io'])
    await cluster.ok(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd}`]);
  // As a user opts in: a kustomization of their own over the install, with the component.
  const dir = await mkdtemp(join(tmpdir(), 'dg-e2e-bg-audit-'));
  kustomization = dir;
  const from = (path: string) => relative(dir, join(ROOT, path));
  await writeFile(join(dir, 'kustomization.yaml'), `resources: [${from('manifests')}]\ncomponents: [${from('manifests/components/background-audit')}]\n`);
  guard = await installGuard(cluster, { kustomization: relative(ROOT, dir), extraArgs: [...TEST_REGISTRY_FLAGS, '--audit-interval', '2s'] });
  await cluster.ok(['delete', 'dgp', 'default']); // this file's policy alone judges
  await createNamespaces(cluster, [NS]);
  await cluster.ok(['apply', '-f', '-'], { input: policy });
  const shell = seeded.get('debian-full:12');
  await waitFor(
    'the policy in force',
    async () =>
      /e2e-bg-audit\/noShell/.test((await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: deployment('probe', shell.ref) })).stderr)
        ? true
        : undefined,
    { timeoutMs: 30_000 },
  );
  // Admitted with warnings (DryRun), stored; kube-controller-manager makes their pods.
  const clean = seeded.get('distroless-static:nonroot');
  for (const [name, image] of [['shell', shell], ['clean', clean]] as const) {
    await cluster.ok(['apply', '-f', '-'], { input: deployment(name, image.ref) });
    const pod = await waitFor(
      `the pod of ${name}`,
      async () =>
        (await cluster.json<{ items: Array<{ metadata: { name: string } }> }>(['get', 'pods', '-n', NS, '-l', `app=${name}`])).items[0]?.metadata.name,
      { timeoutMs: 60_000 },
    );
    // No kubelet runs here: what one would write, running with the digest it pulled.
    const startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const containerStatus = {
      name: 'main',
      image: image.ref,
      imageID: `${image.ref.replace(/:[^:/]+$/, '')}@${image.digest}`,
      ready: true,
      restartCount: 0,
      started: true,
      state: { running: { startedAt } },
    };
    await cluster.ok([
      'patch',
      'pod',
      pod,
      '-n',
      NS,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { phase: 'Running', containerStatuses: [containerStatus] } }),
    ]);
  }
  setupDone = Date.now();
});

after(async () => {
  await guard?.uninstall();
  await cluster?.kubectl(['delete', '-f', join(ROOT, 'test/fixtures/policyreport-crd.yaml'), '--ignore-not-found', '--wait=false']);
  if (kustomization !== undefined) await rm(kustomization, { recursive: true, force: true });
  await tearDown({ cluster, namespaces: [NS], registry });
});

/** The cycles a replica logged as done (with problems or not), and those with problems. */
const cycleLines = (replica: GuardReplica): string[] => replica.output().split('\n').filter((l) => l.includes('"msg":"background audit done'));
const cycles = (replica: GuardReplica): number => cycleLines(replica).length;
/** When the set-up was done: a cycle that started later saw all of it. */
let setupDone = 0;
const status = async (): Promise<PolicyStatus> => (await cluster.json<{ status?: PolicyStatus }>(['get', 'dgp', POLICY])).status ?? {};

describe('the background audit', () => {
  it('writes the violations into the policy status, and kubectl get dgp shows VIOLATIONS and LAST AUDIT', async () => {
    const { cluster, guard } = ready();
    const first = guard.replicas[0];
    assert.ok(first !== undefined);
    // A cycle that read the cluster after the set-up (auditTimestamp is when it finished, in whole seconds).
    const shown = await waitFor('an audit of the whole set-up in the policy status', async () => {
      const s = await status();
      return Date.parse(s.auditTimestamp ?? '') >= setupDone + 3_000 ? s : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: first.output });
    console.log(`status: ${JSON.stringify(shown)}`);
    const rules = (shown.violations ?? []).filter((v) => v.name === 'shell').map((v) => v.rule);
    assert.ok(rules.includes('noShell') && rules.includes('noPackageManager'), rules.join());
    assert.equal(shown.totalViolations, shown.violations?.length);
    assert.ok(!(shown.violations ?? []).some((v) => v.name === 'clean'), 'the distroless workload is compliant');
    assert.equal(shown.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'the Ready condition kept beside the audit fields');

    const table = (await cluster.ok(['get', 'dgp', POLICY])).trimEnd().split('\n');
    console.log(`kubectl get dgp:\n${table.join('\n')}`);
    assert.match(table[0] ?? '', /^NAME +MODE +FAILURE +READY +VIOLATIONS +LAST AUDIT +AGE$/);
    const row = (table[1] ?? '').split(/ +/);
    assert.deepEqual(row.slice(0, 5), [POLICY, 'DryRun', 'Fail', 'True', String(shown.totalViolations)]);
    assert.match(row[5] ?? '', /^\d+s$/, 'LAST AUDIT: seconds ago');
  });

  it("the namespace's PolicyReport has the same verdicts: fail for the shell image, pass for the distroless one", async () => {
    const { cluster, guard } = ready();
    const report = await cluster.json<PolicyReport>(['get', 'policyreports.wgpolicyk8s.io', 'distroless-guard-audit', '-n', NS]);
    console.log(
      `PolicyReport results: ${report.results.map((r) => `${r.resources[0]?.kind}/${r.resources[0]?.name} ${r.policy}/${r.rule} ${r.result}`).join(', ')}`,
    );
    assert.ok(guard.replicas[0] !== undefined);
    const verdict = (name: string, rule: string) => report.results.find((r) => r.resources[0]?.name === name && r.rule === rule)?.result;
    assert.deepEqual([verdict('shell', 'noShell'), verdict('clean', 'noShell'), verdict('clean', 'nonRoot')], ['fail', 'pass', 'pass']);
    assert.equal(report.summary['fail'], (await status()).totalViolations);
  });

  it('facts come from the digest cache: two more cycles, no registry request', async () => {
    const { guard, registry } = ready();
    const first = guard.replicas[0];
    assert.ok(first !== undefined);
    const done = cycles(first);
    const before = registry.requests().length;
    await waitFor('two more cycles', async () => (cycles(first) >= done + 2 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
      describe: first.output,
    });
    const after = registry.requests().slice(before);
    console.log(`${cycles(first) - done} cycles, ${after.length} registry requests (${registry.requests().length} since the registry started)`);
    assert.deepEqual(after.map((r) => `${r.method} ${r.path}`), []);
    const steady = cycleLines(first).slice(done);
    assert.ok(steady.every((l) => l.includes('"msg":"background audit done"')), `cycles with problems:\n${steady.join('\n')}`);
    assert.ok(steady.every((l) => l.includes('"denied":1,')), `the shell workload found every time:\n${steady.join('\n')}`);
  });

  it('only the leader audits: a second replica logs no cycle', async () => {
    const { cluster, guard } = ready();
    const second = await guard.startReplica('guard-1', { port: 0 });
    await sleep(6_000); // three intervals
    const holder = (await cluster.json<{ spec: { holderIdentity?: string } }>(['get', 'lease', 'distroless-guard', '-n', GUARD_NAMESPACE])).spec.holderIdentity;
    assert.equal(holder, 'guard-0');
    assert.equal(cycles(second), 0, second.output().slice(-2000));
    assert.ok(cycles(guard.replicas[0] ?? second) >= 3);
  });
});
