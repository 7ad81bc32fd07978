/**
 * DistrolessPolicy objects through the real API server and kubectl: the CRD's short name and printer columns, an
 * edit DryRun → Enforce applied within the watch (no restart), broken edits refused by the CRD schema or, where only
 * the guard's own validation can see the fault, kept out with the policy's status saying why, and leader election
 * on the real Lease between two replicas (only the holder writes status; a hung leader is replaced after the lease
 * duration, a stopped one at once). Everything asserted is what kubectl printed, what the API server stored, or
 * what the replicas logged.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../support/control-plane.js';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';
import { GUARD_NAMESPACE, installGuard, type GuardReplica, type InstalledGuard } from '../support/e2e-guard.js';
import { createNamespaces, e2eSetUp, seededRegistry, tearDown, TEST_REGISTRY_FLAGS } from '../support/e2e-fixtures.js';
import type { SeededCatalog } from '../support/images.js';
import { parseExposition } from '../support/prometheus.js';
import type { TestRegistry } from '../support/registry.js';

const NS = 'e2e-policies';
const POLICY = 'e2e-policies';
const IMAGES = ['distroless-static:nonroot', 'debian-full:12'];

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
}
interface StoredPolicy {
  readonly metadata: { readonly generation: number; readonly resourceVersion: string };
  readonly spec: { readonly mode?: string };
  readonly status?: { readonly observedGeneration?: number; readonly conditions?: readonly Condition[] };
}
interface Lease {
  readonly spec: { readonly holderIdentity?: string; readonly renewTime?: string; readonly leaseTransitions?: number; readonly leaseDurationSeconds?: number };
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

/** The policy under test: DryRun in NS, failing closed; privilege escalation is the pod's business here. */
const policyYaml = (spec: string): string => `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: ${POLICY}}
spec:
  failurePolicy: Fail
  match: {namespaces: ["${NS}"]}
${spec}`;
const DRY_RUN = policyYaml(`  mode: DryRun
  rules:
    noPrivilegeEscalation: {action: Disabled}
`);

const assertSetUp = e2eSetUp(async () => {
  cluster = await e2eCluster();
  ({ registry, seeded } = await seededRegistry(IMAGES));
  guard = await installGuard(cluster, { extraArgs: TEST_REGISTRY_FLAGS });
  await createNamespaces(cluster, [NS]);
});

after(async () => {
  for (const r of guard?.replicas ?? []) if (r.pid !== undefined) signal(r.pid, 'SIGCONT');
  await tearDown({ cluster, guard, namespaces: [NS], registry });
});

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function kubectlRun(name: string, image: string, extra: readonly string[] = []) {
  return cluster.kubectl(['run', name, '-n', NS, `--image=${image}`, '--restart=Never', ...extra]);
}

const stored = (): Promise<StoredPolicy> => cluster.json<StoredPolicy>(['get', 'distrolesspolicy', POLICY]);
const readyCondition = (p: StoredPolicy): Condition | undefined => p.status?.conditions?.find((c) => c.type === 'Ready');
const lease = (): Promise<Lease> => cluster.json<Lease>(['get', 'lease', 'distroless-guard', '-n', GUARD_NAMESPACE]);

/** The status the leader wrote for `generation` (observedGeneration caught up), within `timeoutMs`. */
function statusFor(generation: number, timeoutMs = 15_000): Promise<StoredPolicy> {
  return waitFor(`status of ${POLICY} for generation ${generation}`, async () => {
    const p = await stored();
    return p.status?.observedGeneration === generation ? p : undefined;
  }, { timeoutMs, intervalMs: 200, describe: () => guard.replicas.map((r) => `${r.name}:\n${r.output().slice(-2000)}`).join('\n') });
}

/** The JSON log lines a replica wrote with this message. */
function logLines(replica: GuardReplica, msg: string): Array<Record<string, unknown>> {
  return replica.output().split('\n').filter((l) => l.startsWith('{') && l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** True once the replica logged that it loaded `generation` of the policy under test. */
function loaded(replica: GuardReplica, generation: number): boolean {
  return logLines(replica, 'policies loaded').some((l) =>
    (l['policies'] as Array<{ name: string; generation: number }>).some((p) => p.name === POLICY && p.generation === generation),
  );
}

/** A replica's /metrics (open, as Prometheus scrapes it; the serving certificate is not what is under test here). */
function metrics(replica: GuardReplica): Promise<Map<string, number>> {
  return new Promise((resolveMetrics, reject) => {
    const req = request({ host: '127.0.0.1', port: replica.port, path: '/metrics', rejectUnauthorized: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolveMetrics(parseExposition(body)) : reject(new Error(`/metrics: HTTP ${String(res.statusCode)}`))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('/metrics: timed out')));
    req.end();
  });
}
const decisions = (samples: Map<string, number>, action: string): number =>
  samples.get(`distroless_guard_rule_decisions_total{action="${action}",policy="${POLICY}",resource_namespace="${NS}",rule="noShell"}`) ?? 0;

describe('kubectl and the DistrolessPolicy CRD', () => {
  it('kubectl apply creates a policy; kubectl get dgp (the short name) shows mode, failure policy, readiness and age', async () => {
    const { cluster } = ready();
    const applied = await cluster.ok(['apply', '-f', '-'], { input: DRY_RUN });
    assert.equal(applied.trim(), `distrolesspolicy.distroless-guard.io/${POLICY} created`);
    const { metadata } = await stored();
    await statusFor(metadata.generation);

    const table = (await cluster.ok(['get', 'dgp'])).trimEnd().split('\n');
    console.log(`kubectl get dgp:\n${table.join('\n')}`);
    assert.match(table[0] ?? '', /^NAME +MODE +FAILURE +READY +VIOLATIONS +LAST AUDIT +AGE$/);
    // The installed default policy (manifests/base/default-policy.yaml) and ours, by name.
    assert.deepEqual(table.slice(1).map((row) => row.split(/ +/).slice(0, 4)), [
      ['default', 'DryRun', 'Ignore', 'True'],
      [POLICY, 'DryRun', 'Fail', 'True'],
    ]);
    for (const row of table.slice(1)) assert.match(row, / (\d+s|\d+m\d*s?)$/, 'AGE');
    // The CRD's category lists it too.
    assert.match(await cluster.ok(['get', 'distroless-guard', '-o', 'name']), new RegExp(`^distrolesspolicy\\.distroless-guard\\.io/${POLICY}$`, 'm'));
  });
});

describe('an edit takes effect within the watch, no restart', () => {
  it('DryRun → Enforce with kubectl patch: a pod admitted with warnings is refused moments later', async () => {
    const { cluster, guard, seeded } = ready();
    const shell = seeded.get('debian-full:12').ref;
    const admitted = await kubectlRun('shell-before', shell);
    assert.equal(admitted.code, 0, admitted.stderr);
    assert.match(
      admitted.stderr,
      new RegExp(`^Warning: \\[distroless-guard\\] ${POLICY}/noShell would deny container shell-before: image has a shell\\b`, 'm'),
    );

    const first = guard.replicas[0];
    assert.ok(first !== undefined);
    assert.ok(decisions(await metrics(first), 'DryRun') >= 1, 'counted as a DryRun decision of the policy');

    const before = await stored();
    const patched = await cluster.kubectl(['patch', 'dgp', POLICY, '--type=merge', '-p', JSON.stringify({ spec: { mode: 'Enforce' } })]);
    assert.equal(patched.code, 0, patched.stderr);
    const patchedAt = Date.now();
    const generation = before.metadata.generation + 1;
    // Polled with server-side dry runs (nothing stored), bounded.
    let probe = 0;
    await waitFor(
      'the Enforce edit in force',
      async () => ((await kubectlRun(`probe-${probe++}`, shell, ['--dry-run=server'])).code === 1 ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    console.log(`Enforce in force ${Date.now() - patchedAt} ms after kubectl patch`);

    const refused = await kubectlRun('shell-after', shell);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(
      refused.stderr,
      new RegExp(`(?:denied the request: |^)\\[${POLICY}/noShell\\] container "shell-after" \\(\\S*debian-full:12\\): image has a shell: `, 'm'),
    );
    assert.equal(refused.stderr.split('denied the request').length, 2, 'said once, by the API server');
    assert.equal((await cluster.kubectl(['get', 'pod', 'shell-after', '-n', NS])).code, 1, 'nothing was stored');
    assert.equal((await cluster.kubectl(['get', 'pod', 'shell-before', '-n', NS])).code, 0, 'the pod admitted earlier stays');

    assert.ok(decisions(await metrics(first), 'Enforce') >= 1, 'counted as an Enforce decision of the policy');
    // The same process all along: one start-up line, and it logged the new generation.
    assert.equal(first.output().match(/distroless-guard serving https:/g)?.length, 1, 'not restarted');
    assert.ok(loaded(first, generation), `generation ${generation} logged as loaded`);
    const status = await statusFor(generation);
    assert.deepEqual(
      [readyCondition(status)?.status, readyCondition(status)?.reason, readyCondition(status)?.observedGeneration],
      ['True', 'Loaded', generation],
    );
  });
});

describe('broken edits', () => {
  const ENFORCE = (rules: string) => policyYaml(`  mode: Enforce
  rules:
    noPrivilegeEscalation: {action: Disabled}
${rules}`);
  const cases: ReadonlyArray<{ name: string; edit: readonly string[]; input?: string; error: RegExp }> = [
    {
      name: 'a misspelt mode (kubectl patch) is refused by the enum of the schema',
      edit: ['patch', 'dgp', POLICY, '--type=merge', '-p', JSON.stringify({ spec: { mode: 'Enforse' } })],
      error: new RegExp(`^The DistrolessPolicy "${POLICY}" is invalid: spec\\.mode: Unsupported value: "Enforse": supported values: "Enforce", "DryRun"$`, 'm'),
    },
    {
      name: 'an unquoted Off (a YAML 1.1 boolean to kubectl) is refused as not a string',
      edit: ['apply', '-f', '-'],
      input: ENFORCE('    noShell: {action: Off}\n'),
      error: /spec\.rules\.noShell\.action: Invalid value: "boolean": spec\.rules\.noShell\.action in body must be of type string: "boolean"/,
    },
    {
      name: 'a misspelt rule name is refused by strict field validation',
      edit: ['apply', '-f', '-'],
      input: ENFORCE('    noShel: {action: Disabled}\n'),
      error: /strict decoding error: unknown field "spec\.rules\.noShel"/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}; nothing is stored`, async () => {
      const { cluster } = ready();
      const before = await stored();
      const result = await cluster.kubectl(c.edit, c.input === undefined ? {} : { input: c.input });
      // (client-side apply quotes the whole patch it sent before the reason: shortened here)
      console.log(
        `kubectl ${c.edit[0]} printed: ${result.stderr
          .trim()
          .split('\n')
          .map((l) => (l.length > 300 ? `${l.slice(0, 120)} … ${l.slice(-160)}` : l))
          .join('\n')}`,
      );
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, c.error);
      const after = await stored();
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'the stored object did not change');
      assert.equal(after.spec.mode, 'Enforce');
    });
  }

  it(
    'what only the guard can see (an init container declared twice) is stored but kept out: ' +
      'status Ready False says why, the last good generation stays in force',
    async () => {
      const { cluster, guard, seeded } = ready();
      const init = seeded.get('distroless-static:nonroot').ref;
      const good = await statusFor((await stored()).metadata.generation);
      const readySince = readyCondition(good)?.lastTransitionTime;
      const first = guard.replicas[0];
      assert.ok(first !== undefined);
      const reloadErrors = async (): Promise<number> => (await metrics(first)).get('distroless_guard_policy_reloads_total{result="error"}') ?? 0;
      const errorsBefore = await reloadErrors();
      // The broken edit would also switch back to DryRun: if it were taken, the shell pod would be admitted.
      const broken = policyYaml(`  mode: DryRun
  rules:
    noPrivilegeEscalation: {action: Disabled}
  mutate:
    action: DryRun
    initContainers:
      - {name: render, image: ${init}, volume: {name: one, mountPath: /one}}
      - {name: render, image: ${init}, volume: {name: two, mountPath: /two}}
`);
      await cluster.ok(['apply', '-f', '-'], { input: broken });
      const generation = (await stored()).metadata.generation;
      const status = await statusFor(generation);
      const condition = readyCondition(status);
      assert.equal(condition?.status, 'False');
      assert.equal(condition?.reason, 'Invalid');
      assert.equal(condition?.observedGeneration, generation);
      assert.equal(
        condition?.message,
        `rejected, the last good generation stays in force: DistrolessPolicy ${POLICY} (generation ${generation}): ` +
          `invalid DistrolessPolicy: spec.mutate.initContainers.1.name "render" is declared twice`,
      );
      assert.notEqual(condition?.lastTransitionTime, undefined);
      const row = (await cluster.ok(['get', 'dgp', POLICY, '--no-headers'])).trim().split(/ +/).slice(0, 4);
      assert.deepEqual(row, [POLICY, 'DryRun', 'Fail', 'False'], 'kubectl get dgp shows the stored spec, and that it is not in force');
      assert.ok(logLines(first, 'a DistrolessPolicy was rejected: its last good generation stays in force').length > 0);
      assert.ok((await reloadErrors()) > errorsBefore, 'the rejected load is counted');

    const refused = await kubectlRun('still-enforced', seeded.get('debian-full:12').ref, ['--dry-run=server']);
    assert.equal(refused.code, 1, 'the last good generation (Enforce) still judges');
    assert.match(refused.stderr, new RegExp(`\\[${POLICY}/noShell\\]`));

    // Fixed: Ready again, a new transition.
    await cluster.ok(['apply', '-f', '-'], { input: ENFORCE('') });
    const fixed = await statusFor((await stored()).metadata.generation);
    assert.deepEqual([readyCondition(fixed)?.status, readyCondition(fixed)?.reason], ['True', 'Loaded']);
    const times = [readySince, condition?.lastTransitionTime, readyCondition(fixed)?.lastTransitionTime].map((t) => Date.parse(t ?? ''));
    assert.deepEqual([...times].sort((a, b) => a - b), times, `lastTransitionTime moves with each flip: ${JSON.stringify(times)}`);
  });
});

describe('leader election on the real Lease', () => {
  /** Replicas stopped by these tests (guard.replicas keeps every replica ever started). */
  const gone = new Set<GuardReplica>();
  const alive = (): GuardReplica[] => guard.replicas.filter((r) => !gone.has(r));

  it('two replicas: exactly one holds the Lease and renews it; the other does not take it', async () => {
    const { guard } = ready();
    const second = await guard.startReplica('guard-1', { port: 0 });
    const generation = (await stored()).metadata.generation;
    await waitFor('guard-1 loaded the policies', async () => (loaded(second, generation) ? true : undefined), { timeoutMs: 30_000, describe: second.output });
    const first = await lease();
    const names = guard.replicas.map((r) => r.name);
    assert.deepEqual(names, ['guard-0', 'guard-1']);
    assert.ok(names.includes(first.spec.holderIdentity ?? ''), `holderIdentity ${String(first.spec.holderIdentity)}`);
    assert.equal(first.spec.leaseDurationSeconds, 15);
    // Three renew periods later: the same holder, renewed, no transition.
    await sleep(6_500);
    const later = await lease();
    assert.equal(later.spec.holderIdentity, first.spec.holderIdentity);
    assert.equal(later.spec.leaseTransitions, first.spec.leaseTransitions);
    assert.ok(
      Date.parse(later.spec.renewTime ?? '') > Date.parse(first.spec.renewTime ?? ''),
      `renewed: ${String(first.spec.renewTime)} → ${String(later.spec.renewTime)}`,
    );
    const leading = guard.replicas.filter((r) => logLines(r, 'leading: this replica writes DistrolessPolicy status').length > 0).map((r) => r.name);
    assert.deepEqual(leading, [first.spec.holderIdentity], 'exactly one replica ever led, the Lease holder');
  });

  it(
    'only the holder writes status: with the leader frozen, the follower loads an edit but writes no status until the lease expires and it takes over',
    async () => {
      const { cluster, guard, seeded } = ready();
      const holder = (await lease()).spec.holderIdentity;
      const leader = alive().find((r) => r.name === holder);
      const follower = alive().find((r) => r.name !== holder);
      assert.ok(leader?.pid !== undefined && follower !== undefined, `holder ${String(holder)}`);
      const before = await statusFor((await stored()).metadata.generation);
      const transitions = (await lease()).spec.leaseTransitions ?? 0;

    signal(leader.pid, 'SIGSTOP'); // a hung node: no renewal, no status write, no exit
    const frozenAt = Date.now();
    try {
      await cluster.ok(['patch', 'dgp', POLICY, '--type=merge', '-p', JSON.stringify({ spec: { exclude: { images: ['e2e-leader.invalid/*'] } } })]);
      const generation = (await stored()).metadata.generation;
      assert.equal(generation, before.metadata.generation + 1);
      await waitFor(`${follower.name} loaded generation ${generation}`, async () => (loaded(follower, generation) ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 100,
        describe: follower.output,
      });
      await sleep(2_500); // more than a retry period: a follower that wrote would have by now
      const unwritten = await stored();
      assert.ok(Date.now() - frozenAt < 14_000, 'checked within the lease duration');
      assert.equal(
        unwritten.status?.observedGeneration,
        before.metadata.generation,
        `${follower.name} has generation ${generation} in force but wrote no status`,
      );

      const taken = await waitFor(`${follower.name} holds the Lease`, async () => {
        const l = await lease();
        return l.spec.holderIdentity === follower.name ? l : undefined;
      }, { timeoutMs: 60_000, intervalMs: 100 });
      const takeoverMs = Date.now() - frozenAt;
      console.log(
        `hung leader ${leader.name} replaced by ${follower.name} after ${takeoverMs} ms (lease duration ${String(taken.spec.leaseDurationSeconds)} s)`,
      );
      assert.ok(takeoverMs >= 13_000, `not before the lease duration: ${takeoverMs} ms`);
      assert.equal(taken.spec.leaseTransitions, transitions + 1);
      const written = await statusFor(generation);
      assert.equal(readyCondition(written)?.status, 'True');
      assert.equal(logLines(follower, 'leading: this replica writes DistrolessPolicy status').length, 1);
    } finally {
      gone.add(leader);
      await leader.stop('SIGKILL');
    }
    // The webhooks call guard-0's port: bring it back when it was the one frozen.
    if (leader.name === 'guard-0') {
      const restarted = await guard.startReplica('guard-0', { port: guard.port });
      await waitFor(
        'guard-0 admits again',
        async () => ((await kubectlRun('back', seeded.get('distroless-static:nonroot').ref, ['--dry-run=server'])).code === 0 ? true : undefined),
        { timeoutMs: 60_000, describe: restarted.output },
      );
    }
  });

  it('a leader stopped with SIGTERM releases the Lease: the other replica takes over without waiting for it to expire, and writes status', async () => {
    const { cluster, guard } = ready();
    const running = alive();
    assert.equal(running.length, 2);
    const holder = (await lease()).spec.holderIdentity;
    const leader = running.find((r) => r.name === holder);
    const heir = running.find((r) => r.name !== holder);
    assert.ok(leader !== undefined && heir !== undefined, `holder ${String(holder)} among ${running.map((r) => r.name).join(', ')}`);
    await waitFor(`${heir.name} listed the policies`, async () => (logLines(heir, 'policies loaded').length > 0 ? true : undefined), {
      timeoutMs: 30_000,
      describe: heir.output,
    });
    const transitions = (await lease()).spec.leaseTransitions ?? 0;

    const stoppedAt = Date.now();
    gone.add(leader);
    const exited = leader.stop('SIGTERM'); // --shutdown-delay 5s (the Deployment's), then the Lease is released
    const taken = await waitFor(`${heir.name} holds the Lease`, async () => {
      const l = await lease();
      return l.spec.holderIdentity === heir.name ? l : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    const takeoverMs = Date.now() - stoppedAt;
    assert.equal(await exited, 0, leader.output().slice(-2000));
    console.log(`${leader.name} stopped (SIGTERM): ${heir.name} took over after ${takeoverMs} ms`);
    assert.ok(takeoverMs < 15_000, `released, not expired: ${takeoverMs} ms`);
    assert.equal(taken.spec.leaseTransitions, transitions + 1);
    assert.ok(logLines(leader, 'no longer leading').length > 0);

    // The new leader writes status for the next edit.
    await cluster.ok(['patch', 'dgp', POLICY, '--type=merge', '-p', JSON.stringify({ spec: { exclude: { images: ['e2e-heir.invalid/*'] } } })]);
    const written = await statusFor((await stored()).metadata.generation);
    assert.equal(readyCondition(written)?.status, 'True');
  });
});
