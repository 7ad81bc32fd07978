import type { ImageInspector } from '../image/inspector-types.js';
import type { FactsSource } from './facts-source.js';

/**
 * Facts from the image inspector within the admission deadline. Failures never throw into the review: they become
 * `unavailable` with a reason a user can act on, and the policy's failurePolicy decides.
 */
export function inspectorFacts(inspector: ImageInspector): FactsSource {
  return async (image, signal) => {
    try {
      return { kind: 'known', facts: await inspector.inspect(image, { signal }) };
    } catch (err) {
      if (signal.aborted) return { kind: 'unavailable', reason: 'image inspection did not finish within the admission deadline' };
      return { kind: 'unavailable', reason: err instanceof Error ? err.message : String(err) };
    }
  };
}
