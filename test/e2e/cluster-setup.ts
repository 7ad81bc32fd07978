/**
 * One control plane for the whole e2e tier (node --test --test-global-setup): started before the first e2e file,
 * stopped after the last. What the files need to reach it goes to them through DG_E2E_CLUSTER (a JSON file); when
 * it cannot be built or started, DG_E2E_CLUSTER_ERROR carries why, and every e2e test fails with it (never skips).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { CLUSTER_ENV, CLUSTER_ERROR_ENV, clusterInfoOf } from '../support/e2e-cluster.js';

let plane: ControlPlane | undefined;

export async function globalSetup(): Promise<void> {
  try {
    plane = await startControlPlane();
  } catch (error) {
    process.env[CLUSTER_ERROR_ENV] = error instanceof Error ? error.message : String(error);
    return;
  }
  const path = join(plane.dir, 'cluster.json');
  await writeFile(path, JSON.stringify(clusterInfoOf(plane)));
  process.env[CLUSTER_ENV] = path;
  const t = plane.timings;
  console.log(
    `e2e: kube-apiserver ${plane.version}, up in ${(t.totalMs / 1000).toFixed(1)} s (binaries ${(t.binariesMs / 1000).toFixed(1)} s) from ${plane.binDir}`,
  );
}

export async function globalTeardown(): Promise<void> {
  await plane?.stop();
}
