import type { AdmissionRequest } from '../admission/request.js';
import { isJsonObject, type JsonObject } from '../shared/records.js';

export interface SyntheticRequestOptions {
  /** The namespace of an object that names none (`kubectl apply -n`, else "default"). */
  readonly defaultNamespace: string;
  readonly uid: string;
  /** Who asks, as the audit log would show it. */
  readonly username: string;
}

/**
 * The AdmissionRequest kube-apiserver would send the webhooks for `kubectl apply` creating this object: operation
 * CREATE, the object's group/version/kind, its namespace, `dryRun: true` (nothing is created).
 */
export function syntheticCreate(object: JsonObject, options: SyntheticRequestOptions): AdmissionRequest {
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  const metadata = isJsonObject(object['metadata']) ? object['metadata'] : {};
  const namespace = nonEmpty(metadata['namespace']) ?? options.defaultNamespace;
  return {
    uid: options.uid,
    kind: { group, version, kind },
    resource: { group, version, resource: resourceOf(kind) },
    subResource: '',
    operation: 'CREATE',
    namespace,
    name: nonEmpty(metadata['name']) ?? nonEmpty(metadata['generateName']) ?? '',
    object,
    oldObject: null,
    dryRun: true,
    userInfo: { username: options.username },
  };
}

/** The resource name of a kind, as the API server's RESTMapper derives it (Deployment → deployments, Ingress → ingresses). */
export function resourceOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
