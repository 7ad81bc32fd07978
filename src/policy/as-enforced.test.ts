import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asEnforced } from './as-enforced.js';
import { PolicyStore } from './store.js';
import { RULE_NAMES } from './types.js';

const policy = (spec: Record<string, unknown>) => ({ apiVersion: 'distroless-guard.io/v1alpha1', kind: 'DistrolessPolicy', metadata: { name: 'p' }, spec });

describe('asEnforced: a policy as it would read switched to Enforce', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['a DryRun mode becomes Enforce', { mode: 'DryRun' }, { mode: 'Enforce' }],
    ['an unset mode (whose default is DryRun) becomes Enforce', {}, { mode: 'Enforce' }],
    ['an Enforce mode stays Enforce', { mode: 'Enforce' }, { mode: 'Enforce' }],
    [
      'a rule in DryRun becomes Enforce, a rule Disabled stays Disabled, a rule without action follows the mode',
      { mode: 'DryRun', rules: { noShell: { action: 'DryRun' }, nonRoot: { action: 'Disabled' }, noPackageManager: { allowOptOut: true } } },
      { mode: 'Enforce', rules: { noShell: { action: 'Enforce' }, nonRoot: { action: 'Disabled' }, noPackageManager: { allowOptOut: true } } },
    ],
    [
      'exceptions and mutate are left alone (an audit judges, it does not patch)',
      { rules: { noShell: { action: 'DryRun', exceptions: [{ images: ['a/*'], reason: 'r' }] } }, mutate: { action: 'DryRun' } },
      { mode: 'Enforce', rules: { noShell: { action: 'Enforce', exceptions: [{ images: ['a/*'], reason: 'r' }] } }, mutate: { action: 'DryRun' } },
    ],
  ];
  for (const [name, spec, want] of cases) {
    it(name, () => {
      assert.deepEqual(asEnforced(policy(spec)), policy(want));
    });
  }

  it('does not change its input', () => {
    const input = policy({ mode: 'DryRun', rules: { noShell: { action: 'DryRun' } } });
    const copy = structuredClone(input);
    asEnforced(input);
    assert.deepEqual(input, copy);
  });

  it('passes a malformed document through, for the store to reject as it would anyway', () => {
    for (const doc of [null, 'text', { kind: 'DistrolessPolicy' }, policy({ mode: 'Sometimes' })]) {
      assert.deepEqual(asEnforced(doc), doc);
    }
  });

  it('compiled through the PolicyStore, every action is Enforce or Disabled (the deprecated Off too)', () => {
    const store = new PolicyStore({ guardNamespace: 'distroless-guard' });
    const outcome = store.loadObjects([asEnforced(policy({ rules: { noPrivilegeEscalation: { action: 'Off' }, noShell: { action: 'DryRun' } } }))]);
    assert.equal(outcome.ok, true, outcome.error);
    const compiled = store.current()[0];
    assert.ok(compiled);
    assert.deepEqual(
      RULE_NAMES.map((rule) => [rule, compiled.actionOf(rule)]),
      RULE_NAMES.map((rule) => [rule, rule === 'noPrivilegeEscalation' ? 'Disabled' : 'Enforce']),
    );
  });
});
