import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredStatus, type PolicyStatus } from './policy-status.js';

const NOW = new Date('2026-11-28T10:00:00.123Z');
const EARLIER = '2026-11-01T00:00:00Z';
const ready = (generation: number, at = EARLIER): PolicyStatus => ({
  observedGeneration: generation,
  conditions: [
    { type: 'Ready', status: 'True', reason: 'Loaded', message: 'policy compiled and in force', observedGeneration: generation, lastTransitionTime: at },
  ],
});

describe('desiredStatus', () => {
  const cases: { name: string; state: Parameters<typeof desiredStatus>[0]; shown: PolicyStatus | undefined; expect: string | undefined }[] = [
    {
      name: 'first load: Ready True, transition now',
      state: { name: 'a', generation: 1, ready: true },
      shown: undefined,
      expect: 'True Loaded gen 1 at 2026-11-28T10:00:00Z',
    },
    { name: 'already shown: nothing to write (no status loop)', state: { name: 'a', generation: 1, ready: true }, shown: ready(1), expect: undefined },
    {
      name: 'new generation, still ready: transition time kept',
      state: { name: 'a', generation: 2, ready: true },
      shown: ready(1),
      expect: `True Loaded gen 2 at ${EARLIER}`,
    },
    {
      name: 'rejected: False Invalid, transition now',
      state: { name: 'a', generation: 3, ready: false, error: 'spec.mode must be one of' },
      shown: ready(2),
      expect: 'False Invalid gen 3 at 2026-11-28T10:00:00Z',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const status = desiredStatus(c.state, c.shown, NOW);
      const condition = status?.conditions[0];
      assert.equal(status && `${condition?.status} ${condition?.reason} gen ${status.observedGeneration} at ${condition?.lastTransitionTime}`, c.expect);
      if (condition) assert.equal(condition.observedGeneration, status?.observedGeneration);
    });
  }
  it('a deprecation warning is written, and removed once the policy is fixed', () => {
    const warned = desiredStatus({ name: 'a', generation: 2, ready: true, warnings: ['spec.mutate.action: "Off" is deprecated'] }, ready(1), NOW);
    assert.deepEqual(warned?.warnings, ['spec.mutate.action: "Off" is deprecated']);
    assert.equal(
      desiredStatus({ name: 'a', generation: 2, ready: true, warnings: ['spec.mutate.action: "Off" is deprecated'] }, warned, NOW),
      undefined,
      'shown already',
    );
    const fixed = desiredStatus({ name: 'a', generation: 3, ready: true }, warned, NOW);
    assert.equal(fixed !== undefined && 'warnings' in fixed, false);
  });
  it("the background audit's fields are carried over as shown", () => {
    const shown = { ...ready(1), totalViolations: 3, auditTimestamp: EARLIER };
    const status = desiredStatus({ name: 'a', generation: 2, ready: true }, shown, NOW);
    assert.deepEqual([status?.['totalViolations'], status?.['auditTimestamp'], status?.observedGeneration], [3, EARLIER, 2]);
  });
  it('the False message carries the validation error', () => {
    const status = desiredStatus({ name: 'a', generation: 3, ready: false, error: 'spec.mode must be one of "Enforce", "DryRun"' }, undefined, NOW);
    assert.match(status?.conditions[0]?.message ?? '', /last good generation stays in force: spec\.mode must be one of/);
  });
});
