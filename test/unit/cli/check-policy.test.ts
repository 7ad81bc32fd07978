/**
 * `check --policy FILE` reads policies the way kubectl reads them (YAML 1.1): what it refuses the API server refuses
 * (test/e2e/yaml-compat.test.ts applies the same files to a real one), it says which YAML 1.1 reading caused it, and
 * it reads what `kubectl get dgp -o yaml` prints. Offline: no image is inspected, only the policy is under test.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../../src/cli/main.js';
import { textSink } from '../../support/text-sink.js';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - {name: web, image: registry.example/shop/web:2.1, securityContext: {runAsUser: 0}}
`;
const policy = (spec: string, name = 'p'): string => `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: ${name}}
spec:
  mode: Enforce
${spec}`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-check-policy-'));
  await writeFile(join(dir, 'pod.yaml'), POD);
});
after(() => rm(dir, { recursive: true, force: true }));

async function check(policyText: string): Promise<{ code: number; stdout: string; stderr: string }> {
  await writeFile(join(dir, 'policy.yaml'), policyText);
  const out = textSink();
  const err = textSink();
  const code = await main(['check', '--offline', '-f', 'pod.yaml', '--policy', 'policy.yaml'], { stdout: out.stream, stderr: err.stream, env: {}, cwd: dir });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('check --policy refuses what the API server refuses, naming the YAML 1.1 trap (exit 2)', () => {
  const rows: ReadonlyArray<readonly [string, string, RegExp]> = [
    [
      'an unquoted Off',
      '  rules: {nonRoot: {action: Off}}\n',
      /spec\.rules\.nonRoot\.action must be of type string, not the boolean false: .*unquoted Off for false; write Disabled/,
    ],
    [
      'an unquoted no as a label value',
      '  match: {namespaceSelector: {matchLabels: {legacy: no}}}\n',
      /matchLabels\.legacy must be of type string, not the boolean false: .*quote it: "no"/,
    ],
    ['an unquoted on as a namespace', '  match: {namespaces: [on]}\n', /spec\.match\.namespaces\.0 must be of type string, not the boolean true/],
  ];
  for (const [name, spec, message] of rows) {
    it(name, async () => {
      const run = await check(policy(spec));
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    });
  }
});

describe('check --policy accepts', () => {
  it('(the control: with nonRoot enforced, the root pod is denied, exit 1)', async () => {
    const run = await check(policy('  rules: {nonRoot: {action: Enforce}}\n'));
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /nonRoot/);
  });

  it('Disabled, with no warning', async () => {
    const run = await check(policy('  rules: {nonRoot: {action: Disabled}}\n'));
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(run.stderr, '');
  });

  it('a quoted "Off", read as Disabled, with a deprecation warning on standard error', async () => {
    const run = await check(policy('  rules: {nonRoot: {action: "Off"}}\n'));
    assert.equal(run.code, 0, 'nonRoot is disabled: the root pod is admitted');
    assert.equal(
      run.stderr,
      'distroless-guard check: warning: policy p: spec.rules.nonRoot.action: "Off" is deprecated and read as Disabled ' +
        '(unquoted, YAML 1.1 readers such as kubectl take Off for false): write Disabled\n',
    );
  });

  it('kubectl get dgp -o yaml output (a List; status and server metadata ignored) and more documents after it', async () => {
    const listed = `apiVersion: v1
kind: List
items:
  - ${policy('  failurePolicy: Fail\n  rules: {nonRoot: {action: Disabled}}\n').replaceAll('\n', '\n    ').trimEnd()}
    status: {observedGeneration: 2, totalViolations: 4, auditTimestamp: "2026-11-28T10:00:00Z"}
metadata: {resourceVersion: ""}
---
${policy('  rules: {nonRoot: {action: Enforce}}\n  match: {namespaces: [other]}\n', 'q')}`;
    const run = await check(listed.replace('metadata: {name: p}', 'metadata: {name: p, uid: 6f1c, generation: 2, resourceVersion: "41"}'));
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0, run.stdout);
  });
});
