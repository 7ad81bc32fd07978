import type { NamespaceInfo } from '../policy/compile.js';
import type { Labels } from '../policy/selector.js';

/** Where namespace labels come from: Namespace objects in-cluster, configuration offline. */
export interface NamespaceDirectory {
  lookup(name: string, signal: AbortSignal): Promise<NamespaceInfo>;
  /**
   * Whether the namespace is known to exist (from memory, no I/O). The namespace of a review is whatever the caller
   * wrote: only known ones become metric label values, so forged reviews cannot create series without end.
   */
  exists(name: string): boolean;
}

/** The API server sets this label on every Namespace, so a selector on it works even with names alone. */
export const NAME_LABEL = 'kubernetes.io/metadata.name';

/** Namespace labels from configuration (e.g. `--namespace-labels production=environment=production`). */
export function staticNamespaces(labelsByNamespace: Readonly<Record<string, Labels>> = {}): NamespaceDirectory {
  return {
    async lookup(name) {
      return { name, labels: { ...labelsByNamespace[name], [NAME_LABEL]: name } };
    },
    exists: (name) => Object.hasOwn(labelsByNamespace, name),
  };
}

/** Parses "ns=key=value,key2=value2" (one namespace per flag). */
export function parseNamespaceLabels(flags: readonly string[]): Record<string, Labels> {
  const result: Record<string, Record<string, string>> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new Error(`--namespace-labels "${flag}": expected NAMESPACE=key=value[,key=value...]`);
    const namespace = flag.slice(0, eq);
    const labels = (result[namespace] ??= {});
    for (const pair of flag.slice(eq + 1).split(',')) {
      const [key, ...value] = pair.split('=');
      if (!key || value.length === 0) throw new Error(`--namespace-labels "${flag}": "${pair}" is not key=value`);
      labels[key] = value.join('=');
    }
  }
  return result;
}
