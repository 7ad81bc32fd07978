import { InspectError } from '../image/inspect-error.js';
import type { CredentialLookup, ImageInspector } from '../image/inspector-types.js';
import type { FactsResult } from '../rules/types.js';
import type { FactsRequest, FactsSource } from './facts-source.js';

/** The registry credentials a pod's image pull would use (its pull secrets and its service account's). */
export interface PullCredentials {
  (request: FactsRequest, signal: AbortSignal): Promise<CredentialLookup | undefined>;
  /** The same answer when it is in memory now (read recently), else undefined. */
  readonly peek?: (request: FactsRequest) => { readonly lookup: CredentialLookup | undefined } | undefined;
}

/**
 * Facts from the image inspector within the admission deadline. Failures never throw into the review: they become
 * `unavailable` with a reason a user can act on, and the policy's failurePolicy decides.
 *
 * Concurrent admissions of one image with the same pull credentials (a Deployment scaling up) share one lookup, so
 * a tag costs one registry HEAD for all of them. They come from one webhook configuration within moments of each
 * other, so they share its deadline too.
 */
export function inspectorFacts(inspector: ImageInspector, pullCredentials?: PullCredentials): FactsSource {
  const running = new Map<string, Promise<FactsResult>>();

  async function lookUp(request: FactsRequest, signal: AbortSignal, deadline: number | undefined): Promise<FactsResult> {
    try {
      const credentials = await pullCredentials?.(request, signal);
      const options = { signal, ...(credentials ? { credentials } : {}), ...(deadline !== undefined ? { deadline } : {}) };
      return { kind: 'known', facts: await inspector.inspect(request.image, options) };
    } catch (err) {
      // The inspector's own timeout says what it was still waiting for; anything else at the deadline cannot.
      if (err instanceof InspectError) return { kind: 'unavailable', reason: err.message };
      if (signal.aborted) return { kind: 'unavailable', reason: 'image inspection did not finish within the admission deadline' };
      return { kind: 'unavailable', reason: err instanceof Error ? err.message : String(err) };
    }
  }

  return async (request, signal, deadline) => {
    // Facts in memory answer at once, without a credential read, the inspector's instrumented path or its single
    // flight: by digest for any pod, whatever its pull secrets (docs/image-inspection.md, "Caching"); a tag's only with
    // this pod's own credentials, when those are in memory too.
    const credentials = pullCredentials === undefined ? { lookup: undefined } : pullCredentials.peek?.(request);
    const known = credentials !== undefined ? inspector.known?.(request.image, credentials.lookup) : request.image.includes('@') ? inspector.known?.(request.image) : undefined;
    if (known !== undefined) return { kind: 'known', facts: known };
    // The credentials are a function of these: the same key, the same registry access.
    const key = [request.image, request.namespace, request.serviceAccount, ...request.imagePullSecrets].join('\0');
    const shared = running.get(key);
    if (shared !== undefined) return shared;
    const lookup = lookUp(request, signal, deadline).finally(() => running.delete(key));
    running.set(key, lookup);
    return lookup;
  };
}
