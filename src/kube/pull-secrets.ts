import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { credentialLookupFromSecrets } from '../image/registry/credentials.js';
import type { CredentialLookup } from '../image/inspector-types.js';
import type { FactsRequest } from '../review/facts-source.js';
import type { PullCredentials } from '../review/inspector-facts.js';
import { abortable } from '../shared/abortable.js';

export interface KubePullSecretsOptions {
  /** How long read Secrets and ServiceAccounts are trusted. */
  readonly ttlMs?: number;
  readonly onError?: (what: string, error: unknown) => void;
  /** A named Secret that is not a usable pull secret (wrong type, not a docker config): skipped, as the kubelet does. */
  readonly onSkipped?: (secret: string, reason: string) => void;
}

/**
 * The credentials kubelet would pull a pod's images with: the pod's imagePullSecrets, then its service account's
 * (kubelet merges both), from the pod's own namespace only. A Secret that cannot be read, or is not of a pull-secret
 * type, is skipped (reported), so the pull is tried with the rest.
 */
export function kubePullSecrets(kubeConfig: KubeConfig, options: KubePullSecretsOptions = {}): PullCredentials {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const ttlMs = options.ttlMs ?? 30_000;
  const cache = new Map<string, { value: Promise<unknown>; readAt: number }>();

  function cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.readAt < ttlMs) return hit.value as Promise<T>;
    const value = read();
    cache.set(key, { value, readAt: Date.now() });
    value.catch(() => cache.delete(key));
    return value;
  }

  async function tryRead<T>(what: string, read: () => Promise<T>, signal: AbortSignal): Promise<T | undefined> {
    try {
      return await abortable(cached(what, read), signal);
    } catch (error) {
      options.onError?.(what, error);
      return undefined;
    }
  }

  /** Lookups built recently, by the reads they came from: the warm path answers from here without a promise. */
  const built = new Map<string, { lookup: CredentialLookup | undefined; readAt: number }>();
  const keyOf = (request: FactsRequest): string => [request.namespace, request.serviceAccount, ...request.imagePullSecrets].join('\0');

  const read = async (request: FactsRequest, signal: AbortSignal): Promise<CredentialLookup | undefined> => {
    const lookup = await readLookup(request, signal);
    if (built.size >= MAX_BUILT) built.clear();
    built.set(keyOf(request), { lookup, readAt: Date.now() });
    return lookup;
  };
  const peek = (request: FactsRequest): { lookup: CredentialLookup | undefined } | undefined => {
    const hit = built.get(keyOf(request));
    return hit !== undefined && Date.now() - hit.readAt < ttlMs ? hit : undefined;
  };
  return Object.assign(read, { peek });

  async function readLookup({ namespace, serviceAccount, imagePullSecrets }: FactsRequest, signal: AbortSignal): Promise<CredentialLookup | undefined> {
    const account = await tryRead(`serviceaccount ${namespace}/${serviceAccount}`, () => api.readNamespacedServiceAccount({ namespace, name: serviceAccount }), signal);
    const names = [...new Set([...imagePullSecrets, ...(account?.imagePullSecrets ?? []).map((s) => s.name ?? '')])].filter(Boolean);
    if (names.length === 0) return undefined;
    const secrets = await Promise.all(names.map((name) => tryRead(`secret ${namespace}/${name}`, () => api.readNamespacedSecret({ namespace, name }), signal)));
    const found = secrets.filter((s): s is V1Secret => s !== undefined);
    return credentialLookupFromSecrets(
      found.map((s) => ({ type: s.type, data: s.data, name: `${namespace}/${s.metadata?.name ?? ''}` })),
      options.onSkipped,
    );
  }
}

/** Pull-credential lookups kept for the warm path (one per namespace, service account and secret list seen). */
const MAX_BUILT = 10_000;
