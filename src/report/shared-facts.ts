import { Limiter } from '../shared/limiter.js';
import type { FactsRequest, FactsSource } from '../review/facts-source.js';
import type { FactsResult } from '../rules/types.js';

export interface FactsProgress {
  /** Distinct images asked for so far. */
  readonly requested: number;
  /** Distinct images whose facts are in (known or not). */
  readonly done: number;
}

export interface FactsTally {
  /** Distinct image references inspected (or tried: unavailable ones included; none with --offline). */
  readonly images: number;
  /** Distinct digests inspected (several tags, or a tag and its pinned form, may share one). */
  readonly digests: number;
  /** Distinct images whose facts could not be had. */
  readonly unavailable: number;
}

export interface SharedFacts {
  readonly source: FactsSource;
  tally(): FactsTally;
}

/**
 * Many objects, one inspection per image: the first request for an image (with the same pull credentials) starts
 * it, every later one shares the result, and at most `concurrency` inspections run at once. The inspector below
 * caches by digest, so the same image under two references costs one scan and a tag lookup.
 */
export interface SharedFactsOptions {
  readonly concurrency: number;
  /**
   * Whether the pod's namespace, service account and pull secrets matter (in-cluster pull credentials): then one
   * inspection per image and credentials, else one per image.
   */
  readonly perPullCredentials?: boolean;
  readonly onProgress?: (progress: FactsProgress) => void;
}

export function sharedFacts(source: FactsSource, options: SharedFactsOptions): SharedFacts {
  const limiter = new Limiter(options.concurrency);
  const results = new Map<string, Promise<FactsResult>>();
  const images = new Map<string, FactsResult | undefined>();
  const report = (): void => options.onProgress?.({ requested: images.size, done: [...images.values()].filter((r) => r !== undefined).length });

  const shared: FactsSource = (request, signal) => {
    const key = options.perPullCredentials ? keyOf(request) : request.image;
    let result = results.get(key);
    if (result === undefined) {
      result = inspect(request, signal);
      results.set(key, result);
      if (!images.has(request.image)) {
        images.set(request.image, undefined);
        report();
      }
    }
    return result;
  };

  async function inspect(request: FactsRequest, signal: AbortSignal): Promise<FactsResult> {
    let result: FactsResult;
    try {
      const release = await limiter.acquire(signal);
      try {
        result = await source(request, signal);
      } finally {
        release();
      }
    } catch {
      result = { kind: 'unavailable', reason: 'image inspection did not start before the deadline' };
    }
    if (images.get(request.image) === undefined) {
      images.set(request.image, result);
      report();
    }
    return result;
  }

  return {
    source: shared,
    tally() {
      const tried = [...images.values()].filter((r): r is FactsResult => r !== undefined && r.kind !== 'not-inspected');
      const digests = new Set(tried.flatMap((r) => (r.kind === 'known' ? [r.facts.digest] : [])));
      return { images: tried.length, digests: digests.size, unavailable: tried.filter((r) => r.kind === 'unavailable').length };
    },
  };
}

function keyOf(request: FactsRequest): string {
  // Sorted: the same secrets in another order are the same credentials.
  return JSON.stringify([request.image, request.namespace, request.serviceAccount, [...request.imagePullSecrets].sort()]);
}
