import type { CachingImageInspector } from '../image/inspector.js';
import type { ImageInspector } from '../image/inspector-types.js';
import { InspectError } from '../image/inspect-error.js';
import type { Metrics } from './metrics.js';

/**
 * The image inspector, measured: inspections and their latency by result, failures by error code, and the digest
 * cache's hits and misses (copied from the inspector's own counts, which background scans also move, when the
 * metrics are rendered).
 */
export function measuredInspector(inspector: CachingImageInspector, metrics: Metrics): ImageInspector {
  let hits = 0;
  let misses = 0;
  // Answers from memory are the hot path of every warm admission: counted here, added to the counter when rendered.
  let knownAnswers = 0;
  const syncCache = (): void => {
    if (knownAnswers > 0) metrics.imageInspections.inc({ result: 'ok' }, knownAnswers);
    knownAnswers = 0;
    const cache = inspector.stats().cache;
    const nowHits = cache.hits; // memory and disk hits alike
    if (nowHits > hits) metrics.imageCacheHits.inc(nowHits - hits);
    if (cache.misses > misses) metrics.imageCacheMisses.inc(cache.misses - misses);
    hits = Math.max(hits, nowHits);
    misses = Math.max(misses, cache.misses);
  };
  metrics.beforeRender(syncCache);

  return {
    known(reference, credentials) {
      const facts = inspector.known(reference, credentials);
      if (facts !== undefined) knownAnswers++;
      return facts;
    },

    async inspect(reference, options) {
      const stop = metrics.imageInspectionDuration.startTimer();
      try {
        const facts = await inspector.inspect(reference, options);
        metrics.imageInspections.inc({ result: 'ok' });
        stop({ result: 'ok' });
        return facts;
      } catch (err) {
        metrics.imageInspections.inc({ result: 'error' });
        metrics.registryErrors.inc({ code: err instanceof InspectError ? err.code : 'internal' });
        stop({ result: 'error' });
        throw err;
      }
    },
  };
}
