import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { DEFAULT_POLICY_MANIFEST, policyCrd, policyCrdYaml } from '../../../src/policy/crd.js';
import { closedSchema, INT_OR_STRING, PRESERVE_UNKNOWN } from '../../../src/policy/schema.js';
import { policyExamples } from '../../support/docs.js';

/**
 * The CRD the API server validates policies with, checked on its own openAPIV3Schema (as committed in manifests/),
 * not on the TypeScript schema it was generated from. Unknown fields are closed off the way kubectl's default
 * strict field validation (Kubernetes ≥ 1.25) makes the API server refuse them.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
type Schema = Record<string, unknown>;

async function committedCrd(): Promise<{ text: string; schema: Schema; version: Schema }> {
  const text = await readFile(resolve(ROOT, 'manifests/base/crd.yaml'), 'utf8');
  const crd = parse(text) as { spec: { versions: Schema[] } };
  const version = crd.spec.versions[0] as Schema;
  return { text, version, schema: (version['schema'] as { openAPIV3Schema: Schema }).openAPIV3Schema };
}

async function validator(): Promise<ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword(PRESERVE_UNKNOWN);
  ajv.addKeyword(INT_OR_STRING);
  ajv.addKeyword('x-kubernetes-list-type');
  ajv.addKeyword('x-kubernetes-list-map-keys');
  ajv.addFormat('date-time', true);
  ajv.addFormat('int64', true);
  return ajv.compile(closedSchema((await committedCrd()).schema));
}

/** The structural-schema rules of apiextensions.k8s.io/v1 that a JSON-schema validator does not enforce. */
function structuralProblems(schema: Schema, path = ''): string[] {
  const problems: string[] = [];
  const typed = typeof schema['type'] === 'string' || schema[INT_OR_STRING] === true || schema[PRESERVE_UNKNOWN] === true;
  if (!typed) problems.push(`${path || '(root)'}: no type`);
  if (schema['properties'] !== undefined && schema['additionalProperties'] !== undefined)
    problems.push(`${path}: properties and additionalProperties together`);
  for (const forbidden of ['$ref', 'oneOf', 'not', 'dependencies', 'patternProperties']) if (forbidden in schema) problems.push(`${path}: ${forbidden}`);
  const pattern = schema['pattern'];
  // Go's regexp (RE2) has no lookaround and no backreferences.
  if (typeof pattern === 'string' && /\(\?[=!<]|\\[1-9]/.test(pattern)) problems.push(`${path}: pattern ${pattern} is not RE2`);
  for (const [name, child] of Object.entries((schema['properties'] as Record<string, Schema> | undefined) ?? {}))
    problems.push(...structuralProblems(child, `${path}.${name}`));
  if (typeof schema['items'] === 'object') problems.push(...structuralProblems(schema['items'] as Schema, `${path}[]`));
  if (typeof schema['additionalProperties'] === 'object') problems.push(...structuralProblems(schema['additionalProperties'] as Schema, `${path}{}`));
  return problems;
}

const policy = (spec: unknown): unknown => ({ apiVersion: 'distroless-guard.io/v1alpha1', kind: 'DistrolessPolicy', metadata: { name: 'p' }, spec });

describe('the DistrolessPolicy CRD (manifests/base/crd.yaml)', () => {
  it('is what src/policy/schema.ts generates (npm run gen:crd), and the default policy object is the embedded one', async () => {
    assert.equal((await committedCrd()).text, policyCrdYaml(), 'run npm run gen:crd');
    assert.equal(await readFile(resolve(ROOT, 'manifests/base/default-policy.yaml'), 'utf8'), DEFAULT_POLICY_MANIFEST, 'run npm run gen:crd');
  });

  it('reads the same as YAML 1.1, as kubectl reads it (an unquoted Off would be the boolean false in the enum)', async () => {
    assert.deepEqual(parse((await committedCrd()).text, { version: '1.1' }), policyCrd());
  });

  it('is a structural schema the API server accepts', async () => {
    const { schema, version } = await committedCrd();
    assert.deepEqual(structuralProblems(schema), []);
    assert.deepEqual(Object.keys(schema['properties'] as Schema).sort(), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    assert.deepEqual((schema['properties'] as Record<string, Schema>)['metadata'], { type: 'object' }, 'metadata may not be described further');
    assert.deepEqual(version['subresources'], { status: {} });
    const columns = (version['additionalPrinterColumns'] as { name: string; jsonPath: string }[]).map((c) => `${c.name}=${c.jsonPath}`);
    assert.ok(columns.includes('Mode=.spec.mode') && columns.includes('Age=.metadata.creationTimestamp'), columns.join());
  });

  it('accepts every DistrolessPolicy example of the README and docs/', async () => {
    const validate = await validator();
    const examples = policyExamples();
    assert.ok(examples.length >= 4, `documented examples found: ${examples.length}`);
    for (const { where, document } of examples) assert.ok(validate(document), `${where}: ${JSON.stringify(validate.errors)}`);
    const manifest = parse(DEFAULT_POLICY_MANIFEST) as unknown;
    assert.ok(validate(manifest), JSON.stringify(validate.errors));
  });

  const mistakes: { name: string; spec: unknown; path: string }[] = [
    { name: 'mode in lower case', spec: { mode: 'enforce' }, path: '/spec/mode' },
    { name: 'a misspelt rule', spec: { rules: { noShel: { action: 'Enforce' } } }, path: '/spec/rules' },
    { name: 'an action that does not exist', spec: { rules: { noShell: { action: 'Deny' } } }, path: '/spec/rules/noShell/action' },
    { name: 'failurePolicy in lower case', spec: { failurePolicy: 'fail' }, path: '/spec/failurePolicy' },
    { name: 'an exception without a reason', spec: { rules: { nonRoot: { exceptions: [{ images: ['x/*'] }] } } }, path: '/spec/rules/nonRoot/exceptions/0' },
    {
      name: 'an exception with no images',
      spec: { rules: { nonRoot: { exceptions: [{ images: [], reason: 'r' }] } } },
      path: '/spec/rules/nonRoot/exceptions/0/images',
    },
    { name: 'namespace instead of namespaces', spec: { match: { namespace: ['shop'] } }, path: '/spec/match' },
    { name: 'namespaces as a string', spec: { match: { namespaces: 'shop' } }, path: '/spec/match/namespaces' },
    {
      name: 'a selector operator that does not exist',
      spec: { production: { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'Equals', values: ['prod'] }] } } },
      path: '/spec/production/namespaceSelector/matchExpressions/0/operator',
    },
    {
      name: 'matchLabels with a non-string value',
      spec: { exclude: { namespaceSelector: { matchLabels: { tier: 1 } } } },
      path: '/spec/exclude/namespaceSelector/matchLabels/tier',
    },
    { name: 'a misspelt mutate field', spec: { mutate: { securityContxt: true } }, path: '/spec/mutate' },
    { name: 'a relative writable dir', spec: { mutate: { writableDirs: ['tmp'] } }, path: '/spec/mutate/writableDirs/0' },
    { name: 'a rootFallbackUid of 0', spec: { mutate: { rootFallbackUid: 0 } }, path: '/spec/mutate/rootFallbackUid' },
    { name: 'an unknown top-level spec field', spec: { enforce: true }, path: '/spec' },
  ];
  for (const mistake of mistakes) {
    it(`rejects ${mistake.name}`, async () => {
      const validate = await validator();
      assert.equal(validate(policy(mistake.spec)), false);
      const paths = (validate.errors ?? []).map((e) => e.instancePath);
      assert.ok(paths.includes(mistake.path), `${mistake.path} not among ${paths.join(', ')}`);
    });
  }
});
