import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { CountedHistogram } from './counted-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The same observations through prom-client's Histogram and through CountedHistogram render the same text. */
describe('CountedHistogram', () => {
  const cases: ReadonlyArray<{ name: string; observations: ReadonlyArray<[string, string, number]> }> = [
    { name: 'nothing observed', observations: [] },
    {
      name: 'one series, values on and between bounds',
      observations: [['validate', 'allowed', 0.0005], ['validate', 'allowed', 0.001], ['validate', 'allowed', 0.05], ['validate', 'allowed', 1]],
    },
    { name: 'above the last bound: only +Inf, sum and count', observations: [['mutate', 'error', 7.5]] },
    {
      name: 'several series, in first-seen order',
      observations: [['validate', 'denied', 0.002], ['mutate', 'allowed', 0.0001], ['validate', 'allowed', 0.3], ['validate', 'denied', 0.02]],
    },
  ];
  for (const { name, observations } of cases) {
    it(name, async () => {
      const expectedRegistry = new Registry();
      const reference = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['endpoint', 'decision'], buckets: BUCKETS, registers: [expectedRegistry] });
      const registry = new Registry();
      const counted = new CountedHistogram('h_seconds', 'h', ['endpoint', 'decision'], BUCKETS).register(registry);
      for (const [endpoint, decision, value] of observations) {
        reference.observe({ endpoint, decision }, value);
        counted.observe(endpoint, decision, value);
      }
      assert.equal(await registry.metrics(), await expectedRegistry.metrics());
    });
  }

  it('counts per series, and starts again after a registry reset', async () => {
    const registry = new Registry();
    const counted = new CountedHistogram('h_seconds', 'h', ['endpoint', 'decision'], BUCKETS).register(registry);
    counted.observe('validate', 'allowed', 0.001);
    counted.observe('validate', 'allowed', 0.002);
    counted.observe('mutate', 'allowed', 0.002);
    const seen: Array<[string, string, number]> = [];
    counted.forEachSeries((a, b, n) => seen.push([a, b, n]));
    assert.deepEqual(seen, [['validate', 'allowed', 2], ['mutate', 'allowed', 1]]);
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /h_seconds_count/);
  });
});
