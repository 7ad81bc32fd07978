/**
 * YAML 1.1, as kubectl reads it, on the real control plane: `kubectl apply -f manifests/base/crd.yaml` (client-side,
 * as the install page says) stores an enum of strings (`"Off"` stays a string, never the boolean false); a policy with
 * `action: Disabled` applies; and the same policy files go both ways, `distroless-guard check --policy FILE` and
 * `kubectl apply --dry-run=server -f FILE`, with the same verdict: what the CLI refuses the API server refuses, and
 * what it accepts the API server stores. `kubectl get dgp -o yaml` output reads as a policy file; an unset
 * failurePolicy is defaulted by the API server, so the FAILURE column is never blank.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { e2eCluster, type Cluster } from '../support/e2e-cluster.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LAUNCHER = join(ROOT, 'bin/distroless-guard');
const CRD = 'distrolesspolicies.distroless-guard.io';
const PREFIX = 'e2e-yaml-';

let cluster: Cluster;
let dir: string;
let setupError: unknown;

function ready(): Cluster {
  if (setupError !== undefined) throw setupError instanceof Error ? setupError : new Error(String(setupError));
  return cluster;
}

before(
  async () => {
    try {
      cluster = await e2eCluster();
      dir = await mkdtemp(join(tmpdir(), 'dg-e2e-yaml-'));
      await writeFile(
        join(dir, 'pod.yaml'),
        'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: web, image: registry.example/web:1}]\n',
      );
    } catch (error) {
      setupError = error;
    }
  },
  { timeout: 10 * 60_000 },
);

after(async () => {
  const names = (await cluster?.kubectl(['get', 'dgp', '-o', 'name']))?.stdout.split('\n').filter((n) => n.includes(`/${PREFIX}`)) ?? [];
  if (names.length > 0) await cluster.kubectl(['delete', ...names, '--ignore-not-found']);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  await cluster?.release();
});

/** `check --policy FILE --offline` through the launcher, as a user runs it. */
function check(policyFile: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(LAUNCHER, ['check', '--offline', '-f', join(dir, 'pod.yaml'), '--policy', policyFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

const policy = (name: string, spec: string): string => `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: ${PREFIX}${name}}
spec:
${spec}`;

describe('the CRD as kubectl applies it', () => {
  it('kubectl apply -f manifests/base/crd.yaml stores every enum value as a string ("Off" too), and the audit columns', async () => {
    const c = ready();
    await c.ok(['apply', '-f', join(ROOT, 'manifests/base/crd.yaml')]);
    await c.ok(['wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD}`]);
    type Props = Record<string, { enum?: unknown[]; default?: unknown; properties?: Props }>;
    const crd = await c.json<{
      spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: Props } }; additionalPrinterColumns: Array<{ name: string }> }> };
    }>(['get', 'crd', CRD]);
    const version = crd.spec.versions[0];
    const spec = version?.schema.openAPIV3Schema.properties['spec']?.properties ?? {};
    assert.deepEqual(spec['rules']?.properties?.['noShell']?.properties?.['action']?.enum, ['Enforce', 'DryRun', 'Disabled', 'Off']);
    assert.deepEqual(spec['mutate']?.properties?.['action']?.enum, ['Enforce', 'DryRun', 'Disabled', 'Off']);
    assert.equal(spec['failurePolicy']?.default, 'Fail');
    assert.deepEqual(version?.additionalPrinterColumns.map((col) => col.name), ['Mode', 'Failure', 'Ready', 'Violations', 'Last Audit', 'Age']);
    // What the issue checked: kubectl's own reading of the file, without the API server.
    const local = JSON.parse(await c.ok(['label', '--local', '-f', join(ROOT, 'manifests/base/crd.yaml'), 'x=y', '-o', 'json'])) as typeof crd;
    const enums = JSON.stringify(local).match(/"enum":\[[^\]]*\]/g) ?? [];
    assert.ok(enums.length > 0 && enums.every((e) => !/false|true|null/.test(e)), enums.join('\n'));
  });
});

describe('the same file through check --policy and kubectl apply: the same verdict', () => {
  // [name, spec, accepted, what check says (stderr), what the API server says]
  const rows: ReadonlyArray<readonly [string, string, boolean, RegExp | '', RegExp | '']> = [
    ['disabled', '  rules:\n    noShell: {action: Disabled}\n', true, '', ''],
    [
      'quoted-off',
      '  rules:\n    noShell: {action: "Off"}\n',
      true,
      /warning: policy e2e-yaml-quoted-off: spec\.rules\.noShell\.action: "Off" is deprecated .*write Disabled/,
      '',
    ],
    [
      'unquoted-off',
      '  rules:\n    noShell: {action: Off}\n',
      false,
      new RegExp(
        String.raw`spec\.rules\.noShell\.action must be of type string, not the boolean false: ` +
          String.raw`YAML 1\.1, as kubectl reads it, takes an unquoted Off for false; write Disabled`,
      ),
      /spec\.rules\.noShell\.action: Invalid value: "boolean": spec\.rules\.noShell\.action in body must be of type string: "boolean"/,
    ],
    [
      'label-yes',
      '  match: {namespaceSelector: {matchLabels: {legacy: yes}}}\n',
      false,
      /matchLabels\.legacy must be of type string, not the boolean true: .*quote it: "yes"/,
      /matchLabels\.legacy: Invalid value: "boolean": .* must be of type string/,
    ],
    [
      'typo',
      '  mode: Enforse\n',
      false,
      /spec\.mode must be one of "Enforce", "DryRun"/,
      /spec\.mode: Unsupported value: "Enforse": supported values: "Enforce", "DryRun"/,
    ],
    ['null-field', '  mode: Enforce\n  failurePolicy: ~\n', true, '', ''],
  ];
  for (const [name, spec, accepted, checkSays, serverSays] of rows) {
    it(`${name}: ${accepted ? 'both accept' : 'both refuse'}`, async () => {
      const c = ready();
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, policy(name, spec));
      const checked = await check(file);
      const applied = await c.kubectl(['apply', '--dry-run=server', '-f', file]);
      console.log(
        `${name}: check exit ${checked.code}: ${checked.stderr.trim() || '(nothing on stderr)'}\n` +
          `${name}: kubectl apply exit ${applied.code}: ${(applied.stderr || applied.stdout).trim()}`,
      );
      assert.equal(checked.code, accepted ? 0 : 2, checked.stderr);
      assert.equal(applied.code, accepted ? 0 : 1, applied.stderr);
      if (checkSays === '') assert.equal(checked.stderr, '');
      else assert.match(checked.stderr, checkSays);
      if (serverSays !== '') assert.match(applied.stderr, serverSays);
    });
  }
});

describe('stored policies', () => {
  it('action: Disabled applies; failurePolicy is defaulted (FAILURE is Fail, not blank); kubectl get dgp -o yaml is a policy file', async () => {
    const c = ready();
    await c.ok(['apply', '-f', '-'], { input: policy('stored', '  mode: Enforce\n  rules:\n    noShell: {action: Disabled}\n') });
    await c.ok(['apply', '-f', '-'], { input: policy('stored-2', '  rules:\n    nonRoot: {action: "Off"}\n') });
    const row = (await c.ok(['get', 'dgp', `${PREFIX}stored`, '--no-headers'])).trim().split(/ +/);
    assert.deepEqual(row.slice(0, 3), [`${PREFIX}stored`, 'Enforce', 'Fail']);
    const stored = await c.json<{ spec: { failurePolicy?: string; rules: { noShell: { action: string } } } }>(['get', 'dgp', `${PREFIX}stored`]);
    assert.deepEqual([stored.spec.failurePolicy, stored.spec.rules.noShell.action], ['Fail', 'Disabled']);

    const listed = join(dir, 'listed.yaml');
    await writeFile(listed, await c.ok(['get', 'dgp', `${PREFIX}stored`, `${PREFIX}stored-2`, '-o', 'yaml']));
    const checked = await check(listed);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stderr, /warning: policy e2e-yaml-stored-2: spec\.rules\.nonRoot\.action: "Off" is deprecated/);
  });
});
