/**
 * Kubernetes Events on the real control plane, read back as users read them (`kubectl get events`, `kubectl
 * describe`): a denied update of a Deployment's template puts a Warning Event on the Deployment (its uid, so
 * describe lists it); a DryRun violation puts one there too; 50 identical denials are one Event with a count, the
 * rest held back by client-go's spam filter (25 at once per object); a server-side dry run writes none; and a guard
 * started with --no-events writes none.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../support/control-plane.js';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';
import { installGuard, type InstalledGuard } from '../support/e2e-guard.js';
import { createNamespaces, deploymentYaml as deployment, e2eSetUp, seededRegistry, tearDown, TEST_REGISTRY_FLAGS } from '../support/e2e-fixtures.js';
import type { SeededCatalog } from '../support/images.js';
import type { TestRegistry } from '../support/registry.js';

const NS = 'e2e-events';
const DRY_NS = 'e2e-events-dryrun';
const IMAGES = ['distroless-static:nonroot', 'debian-full:12'];

interface CoreEvent {
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly involvedObject: { readonly apiVersion?: string; readonly kind: string; readonly name: string; readonly namespace?: string; readonly uid?: string };
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly source: { readonly component?: string };
  readonly reportingComponent?: string;
  readonly reportingInstance?: string;
}

let cluster: Cluster;
let registry: TestRegistry;
let seeded: SeededCatalog;
let guard: InstalledGuard;

function ready(): { cluster: Cluster; guard: InstalledGuard; seeded: SeededCatalog } {
  assertSetUp();
  return { cluster, guard, seeded };
}

/** noShell only, so each denial is one finding and one Event; the mutating webhook left out. */
const policy = (name: string, mode: string, namespace: string): string => `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: ${name}}
spec:
  mode: ${mode}
  failurePolicy: Fail
  match: {namespaces: ["${namespace}"]}
  rules:
    noPackageManager: {action: Disabled}
    nonRoot: {action: Disabled}
    noPrivilegeEscalation: {action: Disabled}
    noDebugTag: {action: Disabled}
    noDebugContainers: {action: Disabled}
  mutate: {action: Disabled}
`;

const assertSetUp = e2eSetUp(async () => {
  cluster = await e2eCluster();
  ({ registry, seeded } = await seededRegistry(IMAGES));
  guard = await installGuard(cluster, { extraArgs: TEST_REGISTRY_FLAGS });
  // The installed default policy (DryRun everywhere) would add its own Events on the same objects, and share
  // their spam budget: only this file's policies judge here.
  await cluster.ok(['delete', 'dgp', 'default']);
  await createNamespaces(cluster, [NS, DRY_NS]);
  await cluster.ok(['apply', '-f', '-'], { input: policy('e2e-events-enforce', 'Enforce', NS) });
  await cluster.ok(['apply', '-f', '-'], { input: policy('e2e-events-dryrun', 'DryRun', DRY_NS) });
  const shell = seeded.get('debian-full:12').ref;
  await waitFor('both policies in force', async () => {
    const denied = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: deployment(NS, 'probe', shell) });
    const warned = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: deployment(DRY_NS, 'probe', shell) });
    return denied.code === 1 && /e2e-events-dryrun\/noShell/.test(warned.stderr) ? true : undefined;
  }, { timeoutMs: 30_000 });
});

after(() => tearDown({ cluster, guard, namespaces: [NS, DRY_NS], registry }));

/** The Events on one object, as `kubectl get events` lists them. */
async function eventsOn(namespace: string, kind: string, name: string): Promise<CoreEvent[]> {
  const list = await cluster.json<{ items: CoreEvent[] }>([
    'get',
    'events',
    '-n',
    namespace,
    '--field-selector',
    `involvedObject.kind=${kind},involvedObject.name=${name}`,
  ]);
  return list.items;
}

function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, probe, { timeoutMs: 30_000, intervalMs: 250, describe: () => guard.replicas.map((r) => r.output().slice(-3000)).join('\n') });
}

describe('Events for denials and DryRun violations', () => {
  it('a denied update of a Deployment template: a Warning Event on the Deployment, listed by kubectl describe', async () => {
    const { cluster, seeded } = ready();
    await cluster.ok(['apply', '-f', '-'], { input: deployment(NS, 'web', seeded.get('distroless-static:nonroot').ref) });
    const uid = (await cluster.json<{ metadata: { uid: string } }>(['get', 'deployment', 'web', '-n', NS])).metadata.uid;
    const denied = await cluster.kubectl(['apply', '-f', '-'], { input: deployment(NS, 'web', seeded.get('debian-full:12').ref) });
    assert.equal(denied.code, 1, denied.stdout);

    const [event, ...more] = await eventually('the Denied Event on deployment/web', async () => {
      const events = (await eventsOn(NS, 'Deployment', 'web')).filter((e) => e.reason === 'Denied');
      return events.length > 0 ? events : undefined;
    });
    console.log(`kubectl get events: ${JSON.stringify(event)}`);
    assert.deepEqual(more, []);
    assert.equal(event?.type, 'Warning');
    assert.deepEqual(event?.involvedObject, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'web', uid });
    assert.match(event?.message ?? '', /^\[e2e-events-enforce\/noShell\] container "main" \(\S+debian-full:12\): image has a shell: /);
    assert.deepEqual(
      [event?.source.component, event?.reportingComponent, event?.reportingInstance, event?.count],
      ['distroless-guard', 'distroless-guard', 'guard-0', 1],
    );

    const described = await cluster.ok(['describe', 'deployment', 'web', '-n', NS]);
    assert.match(
      described,
      /Warning +Denied +\S+ +distroless-guard +\[e2e-events-enforce\/noShell\] container "main"/,
      described.slice(described.indexOf('Events:')),
    );
  });

  it('a DryRun violation: the Deployment is admitted, with a Warning Event saying what would be denied', async () => {
    const { cluster, seeded } = ready();
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: deployment(DRY_NS, 'shell', seeded.get('debian-full:12').ref) });
    assert.equal(applied.code, 0, applied.stderr);
    const uid = (await cluster.json<{ metadata: { uid: string } }>(['get', 'deployment', 'shell', '-n', DRY_NS])).metadata.uid;
    const [event] = await eventually('the DryRunViolation Event on deployment/shell', async () => {
      const events = (await eventsOn(DRY_NS, 'Deployment', 'shell')).filter((e) => e.reason === 'DryRunViolation');
      return events.length > 0 ? events : undefined;
    });
    assert.equal(event?.type, 'Warning');
    assert.equal(event?.involvedObject.uid, uid, 'on the Deployment that was stored');
    assert.match(event?.message ?? '', /^\[e2e-events-dryrun\/noShell\] DryRun, would be denied: container "main" \(\S+debian-full:12\): image has a shell: /);
  });

  it('50 identical denials: one Event, its count 25 (client-go: 25 at once per object, then one per 5 minutes), not 50 Events', async () => {
    const { cluster, seeded } = ready();
    const manifest = deployment(NS, 'web50', seeded.get('debian-full:12').ref);
    const started = Date.now();
    for (let i = 0; i < 50; i++) {
      const denied = await cluster.kubectl(['create', '-f', '-'], { input: manifest });
      assert.equal(denied.code, 1, denied.stdout);
    }
    console.log(`50 denials in ${Date.now() - started} ms`);
    const events = await eventually('count 25 on the Event of deployment/web50', async () => {
      const listed = await eventsOn(NS, 'Deployment', 'web50');
      return listed.some((e) => e.count >= 25) ? listed : undefined;
    });
    await sleep(2_000); // a count that would go on rising would show by now
    const settled = await eventsOn(NS, 'Deployment', 'web50');
    console.log(`Events on deployment/web50: ${settled.map((e) => `${e.reason} ×${e.count}`).join(', ')}`);
    assert.equal(settled.length, 1, JSON.stringify(settled));
    assert.deepEqual([settled[0]?.reason, settled[0]?.count, settled[0]?.metadata.name], ['Denied', 25, events[0]?.metadata.name]);
    assert.equal(settled[0]?.involvedObject.uid, undefined, 'never stored: no uid');
  });

  it('a server-side dry run writes no Event', async () => {
    const { cluster, seeded } = ready();
    const denied = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: deployment(NS, 'dry', seeded.get('debian-full:12').ref) });
    assert.equal(denied.code, 1);
    await sleep(2_000);
    assert.deepEqual(await eventsOn(NS, 'Deployment', 'dry'), []);
  });

  it('serve --no-events writes none', async () => {
    const { cluster, guard, seeded } = ready();
    const first = guard.replicas[0];
    assert.ok(first !== undefined);
    await first.stop();
    const quiet = await guard.startReplica('guard-quiet', { port: guard.port, extraArgs: ['--no-events'] });
    const manifest = deployment(NS, 'quiet', seeded.get('debian-full:12').ref);
    await waitFor(
      'guard-quiet answers',
      async () => ((await cluster.kubectl(['create', '-f', '-'], { input: manifest })).stderr.includes('denied the request') ? true : undefined),
      { timeoutMs: 60_000, describe: quiet.output },
    );
    await sleep(2_000);
    assert.deepEqual(await eventsOn(NS, 'Deployment', 'quiet'), []);
  });
});
