/**
 * Writes the generated manifests (npm run gen:crd): the DistrolessPolicy CRD from src/policy/schema.ts and the
 * default DistrolessPolicy object from src/policy/default-policy.ts. test/manifests/crd.test.ts keeps them in step.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_POLICY_MANIFEST, policyCrdYaml } from '../src/policy/crd.js';

const base = resolve(import.meta.dirname, '../manifests/base');
for (const [file, text] of [['crd.yaml', policyCrdYaml()], ['default-policy.yaml', DEFAULT_POLICY_MANIFEST]] as const) {
  writeFileSync(resolve(base, file), text);
  console.log(`wrote ${resolve(base, file)}`);
}
