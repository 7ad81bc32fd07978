/**
 * The steps every e2e file takes around its tests: a set-up run once whose failure every test reports (a tier that
 * cannot get what it needs fails; it never skips), a registry of its own with the catalog images it uses,
 * namespaces ready for Pods, and a teardown in the order that leaves no webhook calling a guard that is gone.
 */
import { before } from 'node:test';
import { waitFor } from './control-plane.js';
import type { Cluster } from './e2e-cluster.js';
import type { InstalledGuard } from './e2e-guard.js';
import { CATALOG, seedImages, type SeededCatalog } from './images.js';
import { startRegistry, type TestRegistry } from './registry.js';

/** serve's flags that let the guard read the test registry (plain HTTP on 127.0.0.1). */
export const TEST_REGISTRY_FLAGS: readonly string[] = ['--insecure-registry', '127.0.0.0/8'];

/**
 * The file's set-up as its before() hook (15 minutes: the first file may build images). A failure is kept, not
 * thrown there; the returned function throws it, for each test to call first.
 */
export function e2eSetUp(setUp: () => Promise<void>): () => void {
  let failure: unknown;
  before(
    async () => {
      try {
        await setUp();
      } catch (error) {
        failure = error;
      }
    },
    { timeout: 15 * 60_000 },
  );
  return () => {
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
  };
}

/** A registry of the file's own holding the catalog images named (e.g. "debian-full:12"); stopped if seeding fails. */
export async function seededRegistry(names: readonly string[]): Promise<{ registry: TestRegistry; seeded: SeededCatalog }> {
  const registry = await startRegistry();
  try {
    return { registry, seeded: await seedImages(registry, CATALOG.filter((e) => names.includes(e.name))) };
  } catch (error) {
    await registry.stop();
    throw error;
  }
}

/**
 * Creates each namespace and waits for its ServiceAccount "default": kube-controller-manager's serviceaccount
 * controller adds it shortly after, and until then the ServiceAccount admission plugin refuses every Pod there.
 * `waitForDefaultAccount` false: created only (no controller manager runs to add it).
 */
export async function createNamespaces(
  cluster: Cluster,
  namespaces: readonly string[],
  options: { timeoutMs?: number; waitForDefaultAccount?: boolean } = {},
): Promise<void> {
  for (const ns of namespaces) {
    await cluster.ok(['create', 'namespace', ns]);
    if (options.waitForDefaultAccount === false) continue;
    await waitFor(
      `ServiceAccount default in ${ns}`,
      async () => ((await cluster.kubectl(['get', 'serviceaccount', 'default', '-n', ns])).code === 0 ? true : undefined),
      { timeoutMs: options.timeoutMs ?? 30_000 },
    );
  }
}

/** A one-replica Deployment of one container "main", labelled app=`name`. */
export const deploymentYaml = (namespace: string, name: string, image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: main, image: "${image}"}]
`;

/**
 * The end of an e2e file, each part absent when the set-up stopped before it: the guard uninstalled (its webhooks
 * first), the file's namespaces deleted without waiting, the registry stopped, the control plane released.
 */
export async function tearDown(parts: {
  readonly cluster?: Cluster;
  readonly guard?: InstalledGuard;
  readonly namespaces?: readonly string[];
  readonly registry?: TestRegistry;
}): Promise<void> {
  const { cluster, guard, namespaces = [], registry } = parts;
  await guard?.uninstall();
  if (namespaces.length > 0) await cluster?.kubectl(['delete', 'namespace', ...namespaces, '--ignore-not-found', '--wait=false']);
  await registry?.stop();
  await cluster?.release();
}
