/**
 * Writes the generated manifests (npm run gen:crd): the DistrolessPolicy CRD from src/policy/schema.ts and the
 * default DistrolessPolicy object from src/policy/default-policy.ts, for the kustomize install and the Helm chart
 * alike. test/unit/manifests/crd.test.ts keeps them in step.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_POLICY_MANIFEST, policyCrdYaml } from '../src/policy/crd.js';

const root = resolve(import.meta.dirname, '..');
const crd = policyCrdYaml();
for (const [file, text] of [
  ['manifests/base/crd.yaml', crd],
  ['manifests/base/default-policy.yaml', DEFAULT_POLICY_MANIFEST],
  ['charts/distroless-guard/crds/distrolesspolicies.distroless-guard.io.yaml', crd],
  ['charts/distroless-guard/files/default-policy.yaml', DEFAULT_POLICY_MANIFEST],
] as const) {
  writeFileSync(resolve(root, file), text);
  console.log(`wrote ${resolve(root, file)}`);
}
