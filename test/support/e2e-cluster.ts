/**
 * The e2e tier's cluster: the control plane test/e2e/cluster-setup.ts started for the whole run, reached through
 * DG_E2E_CLUSTER; a file run on its own (node --test test/e2e/x.test.ts) starts one of its own instead. When the
 * control plane could not be built or started, every call fails with the reason (a tier that cannot get what it
 * needs fails; it never skips).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKubectl, startControlPlane, type ControlPlane, type KubectlOptions, type KubectlResult } from './control-plane.js';

export const CLUSTER_ENV = 'DG_E2E_CLUSTER';
export const CLUSTER_ERROR_ENV = 'DG_E2E_CLUSTER_ERROR';

/** What a test file needs of a running control plane (serialisable: it crosses from the global setup). */
export interface ClusterInfo {
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly caPem: string;
  readonly version: string;
  readonly binDir: string;
  readonly dir: string;
  readonly controllerManager: boolean;
}

export interface Cluster extends ClusterInfo {
  /** The control plane's own kubectl as cluster-admin. */
  kubectl(args: readonly string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** kubectl that must succeed: its stdout, or an error with stderr. */
  ok(args: readonly string[], options?: KubectlOptions): Promise<string>;
  /** `kubectl ... -o json`, parsed. */
  json<T>(args: readonly string[]): Promise<T>;
  /** Stops the control plane if this process started its own (a file run alone); the shared one is left running. */
  release(): Promise<void>;
  /** The end of a component's log, for a failing test's message. */
  log(component: 'kube-apiserver' | 'kube-controller-manager' | 'etcd', chars?: number): Promise<string>;
}

export function clusterInfoOf(plane: ControlPlane): ClusterInfo {
  const { kubeconfigPath, server, caPem, version, binDir, dir, controllerManager } = plane;
  return { kubeconfigPath, server, caPem, version, binDir, dir, controllerManager };
}

let memo: Promise<Cluster> | undefined;

/** The run's cluster (see the file comment). */
export function e2eCluster(): Promise<Cluster> {
  memo ??= connect();
  return memo;
}

async function connect(): Promise<Cluster> {
  const error = process.env[CLUSTER_ERROR_ENV];
  if (error !== undefined) throw new Error(`the control plane could not be built or started:\n${error}`);
  const path = process.env[CLUSTER_ENV];
  // A file run alone: a control plane of its own, stopped by release() (or at exit: test/support/cleanup.ts).
  const own = path === undefined ? await startControlPlane() : undefined;
  const info = own !== undefined ? clusterInfoOf(own) : (JSON.parse(await readFile(path ?? '', 'utf8')) as ClusterInfo);
  const binary = join(info.binDir, 'kubectl');
  const base = [`--kubeconfig=${info.kubeconfigPath}`, `--cache-dir=${join(info.dir, 'kubectl-cache')}`];
  const kubectl = (args: readonly string[], options?: KubectlOptions): Promise<KubectlResult> => runKubectl(binary, base, args, options);
  const ok = async (args: readonly string[], options?: KubectlOptions): Promise<string> => {
    const result = await kubectl(args, options);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${String(result.code)}):\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  return {
    ...info,
    kubectl,
    ok,
    release: async () => {
      await own?.stop();
      memo = undefined;
    },
    json: async <T>(args: readonly string[]) => JSON.parse(await ok([...args, '-o', 'json'])) as T,
    log: async (component, chars = 4000) =>
      (await readFile(join(info.dir, `${component}.log`), 'utf8').catch((e: Error) => `(no log: ${e.message})`)).slice(-chars),
  };
}
