import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageFacts } from '../image/facts/types.js';
import { InspectError } from '../image/inspect-error.js';
import type { CachingImageInspector, InspectorStats } from '../image/inspector.js';
import { measuredInspector } from './inspector-metrics.js';
import { createMetrics } from './metrics.js';

function fakeInspector(): CachingImageInspector & { hits: number; misses: number } {
  const fake = {
    hits: 0,
    misses: 0,
    async inspect(reference: string): Promise<ImageFacts> {
      if (reference.includes('private')) throw new InspectError('unauthorized', reference, 'registry said 401');
      if (reference.includes('weird')) throw new Error('not an InspectError');
      fake.misses += 2;
      fake.hits += 1;
      return { image: reference } as ImageFacts;
    },
    known(reference: string): ImageFacts | undefined {
      if (!reference.includes('@sha256:')) return undefined;
      fake.hits += 1;
      return { image: reference } as ImageFacts;
    },
    stats(): InspectorStats {
      return { cache: { entries: 0, bytes: 0, hits: fake.hits, misses: fake.misses, diskHits: 0 }, layersRunning: 0, layersQueued: 0, inFlight: 0 };
    },
    idle: async () => undefined,
  };
  return fake;
}

const value = async (text: Promise<string>, line: string) =>
  Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(await text)?.[1] ?? Number.NaN);

describe('measuredInspector', () => {
  it('counts inspections (answered from memory too) by result, failures by code, and copies the cache counts (background work included)', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const inner = fakeInspector();
    const inspector = measuredInspector(inner, metrics);
    const options = { signal: AbortSignal.timeout(1_000) };
    await inspector.inspect('ok/app:1', options);
    assert.equal(inspector.known?.('ok/app:1'), undefined);
    assert.deepEqual(inspector.known?.('ok/app@sha256:1'), { image: 'ok/app@sha256:1' });
    await assert.rejects(inspector.inspect('private/app:1', options), InspectError);
    await assert.rejects(inspector.inspect('weird/app:1', options), /not an InspectError/);
    inner.hits += 5; // a background scan, after the last admission

    assert.equal(await value(metrics.render(), 'distroless_guard_image_inspections_total{result="ok"}'), 2);
    assert.equal(await value(metrics.render(), 'distroless_guard_image_inspections_total{result="error"}'), 2);
    assert.equal(await value(metrics.render(), 'distroless_guard_registry_errors_total{code="unauthorized"}'), 1);
    assert.equal(await value(metrics.render(), 'distroless_guard_registry_errors_total{code="internal"}'), 1);
    assert.equal(await value(metrics.render(), 'distroless_guard_image_cache_hits_total'), 7);
    assert.equal(await value(metrics.render(), 'distroless_guard_image_cache_misses_total'), 2);
    assert.equal(await value(metrics.render(), 'distroless_guard_image_inspection_duration_seconds_count{result="error"}'), 2);
    assert.equal(await value(metrics.render(), 'distroless_guard_image_inspection_duration_seconds_count{result="ok"}'), 1);
  });
});
