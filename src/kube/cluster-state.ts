import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1ObjectMeta, type V1Pod } from '@kubernetes/client-node';
import { POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION } from '../policy/crd.js';
import type { Labels } from '../policy/selector.js';
import { abortable } from '../shared/abortable.js';
import { describeKubeError, kubeErrorCode } from './api-error.js';

/** An object pods may be owned through: a ReplicaSet (→ Deployment) or a Job (→ CronJob). */
export interface OwnerObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: V1ObjectMeta;
}

/** What an audit reads from the cluster, once. */
export interface ClusterState {
  readonly pods: readonly V1Pod[];
  readonly owners: readonly OwnerObject[];
  readonly namespaces: Readonly<Record<string, Labels>>;
  /** The DistrolessPolicy objects as listed (validated later, one by one, as the webhook does). */
  readonly policies: readonly unknown[];
  /** What could not be read but the audit can do without (owners beyond the first ownerReference). */
  readonly notes: readonly string[];
}

export class ClusterReadError extends Error {
  override readonly name = 'ClusterReadError';
}

/** Page size of every list: a cluster of 10k pods is read in 20 requests, never in one 50 MB answer. */
const DEFAULT_PAGE = 500;

export interface ClusterReadOptions {
  /** List DistrolessPolicies (not when a policy file replaces them). */
  readonly policies: boolean;
  readonly pageSize?: number;
}

/**
 * Lists what an audit needs: every Pod, the ReplicaSets and Jobs that own pods (so pods group under their Deployment
 * or CronJob), every Namespace's labels and (unless a policy file replaces them) the DistrolessPolicy objects. Pods,
 * namespaces and policies are required;
 * owners are best effort (without them a pod groups under its ReplicaSet or Job).
 */
export async function readClusterState(kubeConfig: KubeConfig, options: ClusterReadOptions, signal: AbortSignal): Promise<ClusterState> {
  const limit = options.pageSize ?? DEFAULT_PAGE;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const notes: string[] = [];

  const required = async <T>(what: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await abortable(read(), signal);
    } catch (err) {
      throw new ClusterReadError(`cannot list ${what}: ${describeKubeError(err)}`, { cause: err });
    }
  };
  const optional = async <T>(what: string, read: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await abortable(read(), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      notes.push(`cannot list ${what} (${describeKubeError(err)}): their pods are grouped by their direct owner`);
      return [];
    }
  };

  const [pods, namespaces, policies, replicaSets, jobs] = await Promise.all([
    required('pods', () => pages((_continue) => core.listPodForAllNamespaces({ limit, _continue }))),
    required('namespaces', () => pages((_continue) => core.listNamespace({ limit, _continue }))),
    options.policies ? listPolicies(custom, signal) : Promise.resolve([]),
    optional('replicasets', () => pages((_continue) => apps.listReplicaSetForAllNamespaces({ limit, _continue }))),
    optional('jobs', () => pages((_continue) => batch.listJobForAllNamespaces({ limit, _continue }))),
  ]);
  const owners: OwnerObject[] = [
    ...replicaSets.map((rs) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: rs.metadata ?? {} })),
    ...jobs.map((job) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: job.metadata ?? {} })),
  ];
  const labels = Object.fromEntries(namespaces.map((ns) => [ns.metadata?.name ?? '', { ...ns.metadata?.labels }] as const).filter(([name]) => name !== ''));
  return { pods, owners, namespaces: labels, policies, notes };
}

async function listPolicies(custom: CustomObjectsApi, signal: AbortSignal): Promise<unknown[]> {
  try {
    const list = await abortable(custom.listClusterCustomObject({ group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL }), signal);
    const items: unknown = typeof list === 'object' && list !== null && 'items' in list ? list.items : [];
    return Array.isArray(items) ? items : [];
  } catch (err) {
    const hint = kubeErrorCode(err) === 404 ? ': the DistrolessPolicy CRD is not installed (give --policy FILE to audit against a file)' : '';
    throw new ClusterReadError(`cannot list DistrolessPolicies: ${describeKubeError(err)}${hint}`, { cause: err });
  }
}

/** Follows `continue` tokens to the end of a list. */
async function pages<T>(read: (continueToken: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await read(token);
    all.push(...page.items);
    token = page.metadata?._continue || undefined;
  } while (token !== undefined);
  return all;
}
