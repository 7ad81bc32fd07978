import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyStore } from './store.js';

const doc = (name: string, mode: string, extra = ''): string => `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: ${name}}
spec: {mode: ${mode}${extra}}
`;
const object = (name: string, generation: number, spec: Record<string, unknown>) => ({
  apiVersion: 'distroless-guard.io/v1alpha1',
  kind: 'DistrolessPolicy',
  metadata: { name, generation, resourceVersion: '7', uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [] },
  spec,
  status: { observedGeneration: generation - 1 },
});
const summary = (store: PolicyStore): string[] =>
  store.current().map((p) => `${p.name}:${p.actionOf('noShell')}${p.generation === undefined ? '' : `@${p.generation}`}`);

describe('PolicyStore from a file: all documents or none', () => {
  const cases: { name: string; loads: string[]; expect: string[]; oks: boolean[] }[] = [
    { name: 'one good load', loads: [doc('a', 'Enforce')], expect: ['a:Enforce'], oks: [true] },
    { name: 'a bad edit keeps the last good file', loads: [doc('a', 'Enforce'), doc('a', 'Enforse')], expect: ['a:Enforce'], oks: [true, false] },
    {
      name: 'a bad second document rejects the whole edit',
      loads: [doc('a', 'DryRun'), `${doc('a', 'Enforce')}---\n${doc('b', 'Sometimes')}`], expect: ['a:DryRun'],
      oks: [true, false],
    },
    { name: 'broken YAML keeps the last good file', loads: [doc('a', 'DryRun'), 'spec: [unclosed'], expect: ['a:DryRun'], oks: [true, false] },
    {
      name: 'a fixed file applies after a bad one',
      loads: [doc('a', 'DryRun'), doc('a', 'Enforse'), doc('a', 'Enforce')], expect: ['a:Enforce'],
      oks: [true, false, true],
    },
    {
      name: 'policies sorted by name whatever the file order',
      loads: [`${doc('z', 'Enforce')}---\n${doc('b', 'DryRun')}`], expect: ['b:DryRun', 'z:Enforce'], oks: [true],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const store = new PolicyStore({ guardNamespace: 'g' });
      const oks = c.loads.map((text) => store.loadText(text, 'policy.yaml').ok);
      assert.deepEqual(oks, c.oks);
      assert.deepEqual(summary(store), c.expect);
      assert.equal(store.loaded(), true);
    });
  }

  it('the error names the file and the field; nothing is loaded before a first success', () => {
    const store = new PolicyStore({ guardNamespace: 'g' });
    const outcome = store.loadText(doc('a', 'Enforse'), '/etc/guard/policy.yaml');
    assert.equal(outcome.ok, false);
    assert.match(outcome.error ?? '', /\/etc\/guard\/policy\.yaml: invalid DistrolessPolicy: spec\.mode must be one of/);
    assert.equal(store.loaded(), false);
    assert.deepEqual(store.current(), []);
  });

  it('an unchanged reload reports no change (compiled once per change)', () => {
    const store = new PolicyStore({ guardNamespace: 'g' });
    assert.equal(store.loadText(doc('a', 'Enforce'), 'f').changed, true);
    const compiled = store.current();
    assert.equal(store.loadText(doc('a', 'Enforce'), 'f').changed, false);
    assert.equal(store.current(), compiled, 'the same compiled objects');
  });
});

describe('PolicyStore from API objects: each object on its own', () => {
  it('server-set metadata and status are not part of the document; generation is kept', () => {
    const store = new PolicyStore({ guardNamespace: 'g' });
    const outcome = store.loadObjects([object('a', 3, { mode: 'Enforce' })]);
    assert.equal(outcome.ok, true);
    assert.deepEqual(summary(store), ['a:Enforce@3']);
    assert.deepEqual(outcome.states, [{ name: 'a', generation: 3, ready: true }]);
  });

  const steps: { name: string; objects: ReturnType<typeof object>[]; expect: string[]; ready: Record<string, boolean> }[] = [
    {
      name: 'two good policies',
      objects: [object('a', 1, { mode: 'Enforce' }), object('b', 1, { mode: 'DryRun' })],
      expect: ['a:Enforce@1', 'b:DryRun@1'], ready: { a: true, b: true },
    },
    {
      name: 'a bad edit of a keeps a@1; b edits apply',
      objects: [object('a', 2, { mode: 'Enforse' }), object('b', 2, { mode: 'Enforce' })],
      expect: ['a:Enforce@1', 'b:Enforce@2'], ready: { a: false, b: true },
    },
    {
      name: 'a new invalid policy is simply absent',
      objects: [object('a', 2, { mode: 'Enforse' }), object('b', 2, { mode: 'Enforce' }), object('c', 1, { rules: { noShel: {} } })],
      expect: ['a:Enforce@1', 'b:Enforce@2'], ready: { a: false, b: true, c: false },
    },
    {
      name: 'a fixed, c deleted',
      objects: [object('a', 3, { mode: 'DryRun' }), object('b', 2, { mode: 'Enforce' })],
      expect: ['a:DryRun@3', 'b:Enforce@2'], ready: { a: true, b: true },
    },
    { name: 'every policy deleted', objects: [], expect: [], ready: {} },
  ];
  it('a sequence of watch states', () => {
    const store = new PolicyStore({ guardNamespace: 'g' });
    for (const step of steps) {
      const outcome = store.loadObjects(step.objects);
      assert.deepEqual(summary(store), step.expect, step.name);
      assert.deepEqual(Object.fromEntries(outcome.states.map((s) => [s.name, s.ready])), step.ready, step.name);
      assert.equal(outcome.ok, Object.values(step.ready).every(Boolean), step.name);
    }
  });

  it('documents() are the ones in force: a rejected generation leaves the last good one there', () => {
    const store = new PolicyStore({ guardNamespace: 'g' });
    store.loadObjects([object('b', 1, { mode: 'Enforce' }), object('a', 1, { mode: 'DryRun' })]);
    store.loadObjects([object('b', 2, { mode: 'Sometimes' }), object('a', 2, { mode: 'Enforce' })]);
    assert.deepEqual(store.documents().map((d) => `${d.metadata.name}:${d.spec.mode}@${d.metadata.generation}`), ['a:Enforce@2', 'b:Enforce@1']);
  });

  it('the rejection says which field is wrong', () => {
    const store = new PolicyStore({ guardNamespace: 'g' });
    const outcome = store.loadObjects([object('c', 1, { rules: { noShel: {} } })]);
    assert.match(outcome.states[0]?.error ?? '', /DistrolessPolicy c \(generation 1\): invalid DistrolessPolicy: spec\.rules\.noShel is not a known field/);
  });
});
