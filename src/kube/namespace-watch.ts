import { CoreV1Api, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import type { NamespaceInfo } from '../policy/compile.js';
import { NAME_LABEL, type NamespaceDirectory } from '../review/namespace-directory.js';
import { watchCollection, type WatchedCollection } from './watch-collection.js';

export interface WatchedNamespaces extends NamespaceDirectory {
  readonly watch: WatchedCollection<V1Namespace>;
}

/**
 * Namespace labels (what makes a namespace production) from an informer: an admission reads them from memory, and
 * a relabelled namespace counts as production within seconds. A namespace the informer has not seen yet (created
 * a moment ago, or the watch not synced) is read through `fallback`.
 */
export function watchNamespaces(kubeConfig: KubeConfig, fallback: NamespaceDirectory, onError: (error: unknown) => void): WatchedNamespaces {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  let known = new Map<string, NamespaceInfo>();
  const watch = watchCollection<V1Namespace>(kubeConfig, '/api/v1/namespaces', () => api.listNamespace(), {
    onChange(namespaces) {
      known = new Map(
        namespaces.map((ns) => {
          const name = ns.metadata?.name ?? '';
          return [name, { name, labels: { ...ns.metadata?.labels, [NAME_LABEL]: name } }] as const;
        }),
      );
    },
    onError,
  });
  return {
    watch,
    lookup: async (name, signal) => known.get(name) ?? fallback.lookup(name, signal),
    exists: (name) => known.has(name) || fallback.exists(name),
  };
}
