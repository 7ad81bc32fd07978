import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { NamespaceInfo } from '../policy/compile.js';
import { NAME_LABEL, type NamespaceDirectory } from '../review/namespace-directory.js';
import { abortable } from '../shared/abortable.js';

export interface KubeNamespacesOptions {
  /** How long read labels are trusted before the next admission re-reads them. */
  readonly ttlMs?: number;
  readonly onError?: (namespace: string, error: unknown) => void;
}

/**
 * Namespace labels from the API server, cached per namespace. If a read fails (or outlives the admission deadline)
 * the last labels seen are used, or the name alone (the API server's kubernetes.io/metadata.name label) when there
 * are none yet, so a slow API server can never stall an admission.
 */
export function kubeNamespaces(kubeConfig: KubeConfig, options: KubeNamespacesOptions = {}): NamespaceDirectory {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const ttlMs = options.ttlMs ?? 30_000;
  const cache = new Map<string, { info: NamespaceInfo; readAt: number }>();

  const read = async (name: string, signal: AbortSignal, cached: { info: NamespaceInfo } | undefined): Promise<NamespaceInfo> => {
    try {
      const namespace = await abortable(api.readNamespace({ name }), signal);
      const info: NamespaceInfo = { name, labels: { ...namespace.metadata?.labels, [NAME_LABEL]: name } };
      cache.set(name, { info, readAt: Date.now() });
      return info;
    } catch (error) {
      options.onError?.(name, error);
      return cached?.info ?? { name, labels: { [NAME_LABEL]: name } };
    }
  };
  return {
    async lookup(name, signal) {
      const cached = cache.get(name);
      return cached && Date.now() - cached.readAt < ttlMs ? cached.info : read(name, signal, cached);
    },
    exists: (name) => cache.has(name),
  };
}
