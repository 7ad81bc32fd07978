import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION } from '../policy/crd.js';
import { watchCollection, type WatchedCollection } from './watch-collection.js';


/** Every DistrolessPolicy in the cluster (cluster-scoped), listed then watched; `onChange` gets the whole set. */
export function watchPolicies(
  kubeConfig: KubeConfig,
  onChange: (objects: readonly KubernetesObject[]) => void,
  onError: (error: unknown) => void,
): WatchedCollection<KubernetesObject> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const list = async (): Promise<KubernetesListObject<KubernetesObject>> =>
    (await api.listClusterCustomObject({ group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL })) as KubernetesListObject<KubernetesObject>;
  return watchCollection(kubeConfig, `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${POLICY_PLURAL}`, list, { onChange, onError });
}
