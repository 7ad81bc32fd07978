import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicies } from './compile.js';
import { DEFAULT_POLICY_YAML } from './default-policy.js';
import { compileGlob } from './glob.js';
import { parsePolicies, PolicyLoadError } from './load.js';
import { compileSelector } from './selector.js';

describe('globs', () => {
  const table: Array<[string, string, string, boolean]> = [
    ['a literal matches itself only', 'nginx', 'nginx', true],
    ['a literal does not match a prefix', 'nginx', 'nginx2', false],
    ['* spans slashes, as Kyverno image patterns do', 'registry.k8s.io/*', 'registry.k8s.io/sig/pause:3.9', true],
    ['* needs the literal parts around it', 'prod-*', 'staging-1', false],
    ['? is exactly one character', 'team-?', 'team-a', true],
    ['regex characters are literal', 'a.b', 'axb', false],
  ];
  for (const [name, glob, value, expected] of table) it(name, () => assert.equal(compileGlob(glob)(value), expected));
});

describe('label selectors', () => {
  const labels = { environment: 'production', tier: 'web' };
  const table: Array<[string, Parameters<typeof compileSelector>[0], boolean]> = [
    ['an empty selector matches everything', {}, true],
    ['matchLabels must all hold', { matchLabels: { environment: 'production', tier: 'db' } }, false],
    ['In holds for a listed value', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, true],
    ['NotIn holds when the key is absent', { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'] }] }, true],
    ['Exists needs the key', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, false],
    ['DoesNotExist holds without the key', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, true],
  ];
  for (const [name, selector, expected] of table) it(name, () => assert.equal(compileSelector(selector)(labels), expected));
});

const policy = (spec: string, name = 'p') => `apiVersion: distroless-guard.io/v1alpha1\nkind: DistrolessPolicy\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

describe('loading policies', () => {
  it('the embedded default policy is valid', () => {
    const [loaded] = parsePolicies(DEFAULT_POLICY_YAML, 'default');
    assert.equal(loaded?.metadata.name, 'default');
    assert.equal(loaded?.spec.mode, 'DryRun');
  });
  const invalid: Array<[string, string, RegExp]> = [
    ['a typo in a field name is named', policy('  mdoe: Enforce\n'), /spec\.mdoe is not a known field/],
    ['a wrong action lists the allowed ones', policy('  rules:\n    noShell:\n      action: Deny\n'), /spec\.rules\.noShell\.action must be one of "Enforce", "DryRun", "Off"/],
    ['an unknown rule is named', policy('  rules:\n    noShel: {}\n'), /spec\.rules\.noShel is not a known field/],
    ['an exception needs a reason', policy('  rules:\n    noShell:\n      exceptions:\n        - images: ["x"]\n'), /spec\.rules\.noShell\.exceptions\.0\.reason is required/],
    ['broken YAML says so', 'spec: [\n', /invalid YAML/],
    ['another kind is refused', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {}\n', /kind must be one of "DistrolessPolicy"/],
    ['an empty file has no policy', '', /no DistrolessPolicy document found/],
    ['two policies with one name are refused', `${policy('  mode: Enforce\n')}---\n${policy('  mode: DryRun\n')}`, /a second policy is named "p"/],
  ];
  for (const [name, text, message] of invalid) {
    it(name, () => assert.throws(() => parsePolicies(text, 'policy.yaml'), (e: unknown) => e instanceof PolicyLoadError && message.test(e.message) && e.message.startsWith('policy.yaml')));
  }
  it('metadata may carry labels and annotations', () => {
    assert.equal(parsePolicies(policy('  mode: Enforce\n').replace('  name: p', '  name: p\n  labels: {a: b}'), 'x').length, 1);
  });
});

describe('compiled policies', () => {
  const ns = (name: string, labels: Record<string, string> = {}) => ({ name, labels: { ...labels, 'kubernetes.io/metadata.name': name } });
  const [compiled] = compilePolicies(
    parsePolicies(
      policy(
        '  mode: Enforce\n  match:\n    namespaces: ["team-*", "prod"]\n  exclude:\n    namespaces: ["team-legacy"]\n    images: ["registry.k8s.io/*"]\n' +
          '  production:\n    namespaces: ["prod"]\n    namespaceSelector: {matchLabels: {environment: production}}\n' +
          '  rules:\n    noShell:\n      action: DryRun\n      exceptions: [{images: ["debian:*"], reason: "legacy batch jobs"}]\n    noPackageManager: {action: "Off"}\n',
      ),
      'x',
    ),
    { guardNamespace: 'distroless-guard' },
  );
  if (!compiled) throw new Error('no policy');
  const scope = (namespace: ReturnType<typeof ns>) => ({ namespace, serviceAccount: 'default' });

  const table: Array<[string, ReturnType<typeof ns>, string, boolean]> = [
    ['a namespace matching a glob is judged', ns('team-a'), 'nginx', true],
    ['a namespace outside match is not judged', ns('other'), 'nginx', false],
    ['exclude needs every field to hold: excluded namespace with another image is judged', ns('team-legacy'), 'nginx', true],
    ['exclude with every field holding skips the container', ns('team-legacy'), 'registry.k8s.io/pause:3.9', false],
    ['kube-system is never judged', ns('kube-system'), 'nginx', false],
    ["the guard's own namespace is never judged", ns('distroless-guard'), 'nginx', false],
  ];
  for (const [name, namespace, image, expected] of table) it(name, () => assert.equal(compiled.appliesTo(scope(namespace), image).matched, expected));

  it('a skip says why', () => {
    const result = compiled.appliesTo(scope(ns('kube-system')), 'nginx');
    assert.equal(result.matched ? '' : result.reason, 'namespace kube-system is always excluded (the guard must never block its own repair)');
  });
  it('production is by name glob or by label selector', () => {
    assert.equal(compiled.isProduction(ns('prod')), true);
    assert.equal(compiled.isProduction(ns('team-a', { environment: 'production' })), true);
    assert.equal(compiled.isProduction(ns('team-a', { environment: 'staging' })), false);
  });
  it('rule actions default to spec.mode and can be overridden or turned off', () => {
    assert.equal(compiled.actionOf('nonRoot'), 'Enforce');
    assert.equal(compiled.actionOf('noShell'), 'DryRun');
    assert.equal(compiled.actionOf('noPackageManager'), 'Off');
  });
  it('exceptions match by image glob and carry their reason', () => {
    assert.equal(compiled.exceptionFor('noShell', 'debian:12')?.reason, 'legacy batch jobs');
    assert.equal(compiled.exceptionFor('noShell', 'ubuntu:24.04'), undefined);
    assert.equal(compiled.exceptionFor('nonRoot', 'debian:12'), undefined);
  });
});
