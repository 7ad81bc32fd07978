import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics, RESERVED_LABEL_NAMES } from './metrics.js';

/** `name{labels} value` lines of the exposition, for exact assertions. */
const samples = async (text: Promise<string>): Promise<string[]> => (await text).split('\n').filter((line) => line !== '' && !line.startsWith('#'));

describe('createMetrics', () => {
  it('names no label the way prometheus-operator names its target labels (they would become exported_*)', () => {
    const { registry } = createMetrics({ processMetrics: false, build: { version: '1.2.3', revision: 'unknown' } });
    const clashes = registry
      .getMetricsAsArray()
      .flatMap((metric) =>
        ((metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [])
          .filter((l) => RESERVED_LABEL_NAMES.includes(l))
          .map((l) => `${metric.name}: ${l}`),
      );
    assert.deepEqual(clashes, []);
    assert.ok(registry.getMetricsAsArray().length >= 14, 'every metric was looked at');
  });

  it('counts admissions by webhook and decision, and rule outcomes by resource_namespace', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.observeAdmission('validate', 'denied', 0.002);
    metrics.ruleDecisions.inc({ policy: 'p', rule: 'noShell', action: 'Enforce', resource_namespace: 'shop' });
    const lines = await samples(metrics.render());
    assert.ok(lines.includes('distroless_guard_admission_requests_total{webhook="validate",decision="denied"} 1'), lines.join('\n'));
    assert.ok(lines.includes('distroless_guard_admission_duration_seconds_count{webhook="validate",decision="denied"} 1'), lines.join('\n'));
    assert.ok(
      lines.includes('distroless_guard_rule_decisions_total{policy="p",rule="noShell",action="Enforce",resource_namespace="shop"} 1'),
      lines.join('\n'),
    );
  });

  it('says which build runs in distroless_guard_build_info (1), and leaves it out when not told', async () => {
    const lines = await samples(createMetrics({ processMetrics: false, build: { version: '1.2.3', revision: 'abc123' } }).render());
    assert.deepEqual(
      lines.filter((l) => l.startsWith('distroless_guard_build_info')),
      [`distroless_guard_build_info{version="1.2.3",node_version="${process.version}",revision="abc123"} 1`],
    );
    assert.deepEqual((await samples(createMetrics({ processMetrics: false }).render())).filter((l) => l.startsWith('distroless_guard_build_info')), []);
  });
});
