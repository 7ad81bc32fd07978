import { InspectError } from '../image/inspect-error.js';
import type { CredentialLookup, ImageInspector } from '../image/inspector-types.js';
import type { FactsRequest, FactsSource } from './facts-source.js';

/** The registry credentials a pod's image pull would use (its pull secrets and its service account's). */
export type PullCredentials = (request: FactsRequest, signal: AbortSignal) => Promise<CredentialLookup | undefined>;

/**
 * Facts from the image inspector within the admission deadline. Failures never throw into the review: they become
 * `unavailable` with a reason a user can act on, and the policy's failurePolicy decides.
 */
export function inspectorFacts(inspector: ImageInspector, pullCredentials?: PullCredentials): FactsSource {
  return async (request, signal, deadline) => {
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
  };
}
