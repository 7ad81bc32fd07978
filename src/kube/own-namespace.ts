import { readFile } from 'node:fs/promises';

/** Where kubelet mounts the pod's ServiceAccount namespace (every pod with an automounted token has it). */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** What the guard calls its namespace when nothing says otherwise (the kustomize base, the CLI's defaults). */
export const DEFAULT_GUARD_NAMESPACE = 'distroless-guard';

export interface OwnNamespace {
  readonly namespace: string;
  /** Where it came from, for the start-up log. */
  readonly source: 'POD_NAMESPACE' | 'service account' | 'default';
}

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The namespace the guard runs in, as the install put it there, never a constant: the Deployment's downward-API
 * POD_NAMESPACE (metadata.namespace), else the namespace file of the pod's ServiceAccount, else
 * `distroless-guard` (a process outside a cluster). A value that is not a namespace name is ignored, so a broken
 * environment falls back rather than excluding a namespace that does not exist.
 */
export async function ownNamespace(
  env: Readonly<Record<string, string | undefined>>,
  read: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
  file: string = SERVICE_ACCOUNT_NAMESPACE_FILE,
): Promise<OwnNamespace> {
  const fromEnv = env['POD_NAMESPACE']?.trim();
  if (fromEnv !== undefined && RFC1123_LABEL.test(fromEnv)) return { namespace: fromEnv, source: 'POD_NAMESPACE' };
  const fromFile = (await read(file).catch(() => '')).trim();
  if (RFC1123_LABEL.test(fromFile)) return { namespace: fromFile, source: 'service account' };
  return { namespace: DEFAULT_GUARD_NAMESPACE, source: 'default' };
}
