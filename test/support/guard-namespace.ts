/**
 * Every place an install names the guard's namespace, found by walking the rendered objects: fields called
 * `namespace` (metadata, RBAC subjects, webhook clientConfig.service), namespaceSelector terms on
 * kubernetes.io/metadata.name, cert-manager's inject-ca-from annotation (NAMESPACE/CERTIFICATE), the Service DNS names
 * of a Certificate (SERVICE.NAMESPACE[.svc…]) and the Namespace object itself. Installed into another namespace,
 * none may still say `distroless-guard`: the webhooks would judge the guard's own namespace, kube-apiserver would
 * verify the wrong name, or cert-manager would inject nothing.
 */
import type { KubeObject } from './kustomize.js';

export interface NamespaceReference {
  /** kind/name and the path of the field, e.g. `ValidatingWebhookConfiguration/distroless-guard .webhooks[0]...`. */
  readonly where: string;
  readonly namespace: string;
}

const NAME_LABEL = 'kubernetes.io/metadata.name';

export function namespaceReferences(objects: readonly KubeObject[]): NamespaceReference[] {
  const found: NamespaceReference[] = [];
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'CustomResourceDefinition') continue; // a schema: its `namespace` properties are field names
    if (o.kind === 'Namespace') found.push({ where: `${id} .metadata.name`, namespace: o.metadata.name });
    const injectFrom = o.metadata.annotations?.['cert-manager.io/inject-ca-from'];
    if (injectFrom !== undefined) found.push({ where: `${id} inject-ca-from`, namespace: injectFrom.split('/')[0] ?? '' });
    if (o.kind === 'Certificate') {
      for (const name of ((o['spec'] as { dnsNames?: string[] } | undefined)?.dnsNames ?? [])) {
        const labels = name.split('.');
        if (labels.length >= 2) found.push({ where: `${id} dnsName ${name}`, namespace: labels[1] ?? '' });
      }
    }
    walk(o, '', (path, key, value, parent) => {
      if (key === 'namespace' && typeof value === 'string') found.push({ where: `${id} ${path}`, namespace: value });
      if (key === 'values' && Array.isArray(value) && (parent as { key?: unknown }).key === NAME_LABEL) {
        for (const [i, v] of value.entries()) if (typeof v === 'string') found.push({ where: `${id} ${path}[${i}]`, namespace: v });
      }
    });
  }
  return found;
}

/**
 * What still names `distroless-guard` as a namespace in an install meant for `namespace`: the references above, and
 * as a safety net any string shaped like a Service DNS name or an inject-ca-from value in that namespace.
 */
export function leftoverReferences(objects: readonly KubeObject[], namespace: string): string[] {
  if (namespace === 'distroless-guard') throw new Error('pick another namespace to look for leftovers');
  const leftovers = namespaceReferences(objects).filter((r) => r.namespace === 'distroless-guard').map((r) => r.where);
  for (const o of objects) {
    if (o.kind === 'CustomResourceDefinition') continue;
    walk(o, '', (path, _key, value) => {
      if (typeof value === 'string' && /(^|\.)distroless-guard\.distroless-guard(\.|$)|^distroless-guard\/distroless-guard$/.test(value)) {
        leftovers.push(`${o.kind}/${o.metadata.name} ${path}: ${value}`);
      }
    });
  }
  return [...new Set(leftovers)];
}

function walk(
  value: unknown,
  path: string,
  visit: (path: string, key: string, value: unknown, parent: unknown) => void,
  key = '',
  parent: unknown = undefined,
): void {
  visit(path, key, value, parent);
  if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}[${i}]`, visit, String(i), value));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, visit, k, value);
  }
}
