import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAdmissionReview } from '../../../src/admission/decode.js';
import type { ImageFacts } from '../../../src/image/facts/types.js';
import { compilePolicies } from '../../../src/policy/compile.js';
import { validatePolicy } from '../../../src/policy/load.js';
import type { FactsSource } from '../../../src/review/facts-source.js';
import { staticNamespaces } from '../../../src/review/namespace-directory.js';
import { validate } from '../../../src/review/review.js';
import { policyExamples } from '../../support/docs.js';
import { admissionReview, imageFacts, objectOf } from '../../support/reviews.js';

/**
 * Several policies on one cluster, as the examples of docs/policy.md write them (read from the page itself): each is
 * evaluated, any Enforce violation denies, every DryRun violation warns; namespace selectors with
 * matchExpressions, image and service-account exclusions and exceptions decide which apply.
 */
const examples = policyExamples();
const named = (name: string) => {
  const found = examples.find((e) => e.document.metadata?.name === name);
  assert.ok(found, `documented example ${name}`);
  return validatePolicy(found.document, found.where);
};
const policies = compilePolicies([named('prod-strict'), named('everywhere-audit')], { guardNamespace: 'distroless-guard' });

const FACTS: Record<string, Partial<ImageFacts>> = {
  'shop/web:2.1': { shells: ['/bin/sh'], distroless: false },
  'shop/api:1': {},
  'registry.k8s.io/kube-proxy:v1.31.0': { shells: ['/bin/sh'], distroless: false },
  'registry.example/data/pg-backup:16': { packageManagers: ['apt'], distroless: false },
};
const facts: FactsSource = async ({ image }) => {
  const partial = FACTS[image];
  return partial ? { kind: 'known', facts: imageFacts(image, 'a', partial) } : { kind: 'unavailable', reason: 'not in the test' };
};
const namespaces = staticNamespaces({
  shop: { environment: 'production', team: 'web' },
  'shop-legacy': { environment: 'prod' },
  dev: { environment: 'dev', team: 'web' },
  monitoring: { environment: 'production', team: 'sre' },
  ci: { environment: 'production', team: 'platform' },
});
const HARDENED = { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

async function judge(namespace: string, image: string, serviceAccountName?: string) {
  const pod = objectOf('Pod', 'p', { containers: [{ name: 'c', image, securityContext: HARDENED }], ...(serviceAccountName ? { serviceAccountName } : {}) });
  const request = decodeAdmissionReview(JSON.stringify(admissionReview('Pod', pod, { namespace })));
  return (await validate(request, { policies: () => policies, namespaces, facts }, AbortSignal.timeout(5_000))).verdict;
}

describe('several policies (the documented examples prod-strict and everywhere-audit)', () => {
  const cases: {
    name: string;
    namespace: string;
    image: string;
    sa?: string;
    allowed: boolean;
    denial?: RegExp;
    warnings: RegExp[];
    audit?: Record<string, RegExp>;
  }[] = [
    {
      name: 'production + team label + shell: denied by prod-strict, and the audit policy warns too',
      namespace: 'shop',
      image: 'shop/web:2.1',
      allowed: false,
      denial: new RegExp(
        String.raw`^\[prod-strict\/noShell\] container "c" \(shop\/web:2\.1\): image has a shell: \/bin\/sh\. ` +
          String.raw`Fix: build FROM gcr\.io\/distroless\/static-debian12:nonroot`,
      ),
      warnings: [/^\[distroless-guard\] everywhere-audit\/noShell would deny container c: image has a shell: \/bin\/sh$/],
    },
    { name: 'production + team label + distroless: allowed, nothing to say', namespace: 'shop', image: 'shop/api:1', allowed: true, warnings: [] },
    {
      name: 'environment=prod without a team label (Exists fails): only audited',
      namespace: 'shop-legacy', image: 'shop/web:2.1', allowed: true,
      warnings: [/everywhere-audit\/noShell would deny container c/],
    },
    {
      name: 'dev (In fails): only audited',
      namespace: 'dev', image: 'shop/web:2.1', allowed: true,
      warnings: [/everywhere-audit\/noShell would deny container c/],
    },
    {
      name: 'an excluded namespace of the audit policy, matched by prod-strict',
      namespace: 'monitoring', image: 'shop/web:2.1', allowed: false, denial: /\[prod-strict\/noShell\]/, warnings: [],
    },
    {
      name: 'an image glob excluded from prod-strict: only audited',
      namespace: 'shop', image: 'registry.k8s.io/kube-proxy:v1.31.0', allowed: true,
      warnings: [/everywhere-audit\/noShell would deny container c/],
    },
    {
      name: 'an exception with its reason: exempt, in the audit annotation',
      namespace: 'shop', image: 'registry.example/data/pg-backup:16', allowed: true,
      warnings: [/everywhere-audit\/noPackageManager would deny container c/],
      audit: { 'prod-strict.noPackageManager': /^Exempt \(pg_dump wrapper; tracked in DATA-311\)/ },
    },
    {
      name: 'a service account in a namespace both match: denied and audited',
      namespace: 'ci', image: 'shop/web:2.1', sa: 'image-builder', allowed: false, denial: /\[prod-strict\/noShell\]/,
      warnings: [/everywhere-audit\/noShell would deny container c/],
    },
    {
      name: 'facts unavailable: prod-strict (failurePolicy Fail) denies saying why; the audit policy warns',
      namespace: 'shop', image: 'shop/unknown:1', allowed: false,
      denial: /\[prod-strict\/noShell\] .*could not inspect image: not in the test\. Fix: make the registry reachable/,
      warnings: [/everywhere-audit\/noShell would deny container c: could not inspect image/],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const verdict = await judge(c.namespace, c.image, c.sa);
      assert.equal(verdict.allowed, c.allowed, JSON.stringify(verdict));
      if (c.denial) assert.match(verdict.denial?.message ?? '', c.denial);
      for (const w of c.warnings) assert.ok(verdict.warnings.some((x) => w.test(x)), `${w} in ${JSON.stringify(verdict.warnings)}`);
      if (c.warnings.length === 0) assert.deepEqual(verdict.warnings.filter((x) => x.includes('would deny')), []);
      for (const w of verdict.warnings) assert.ok(w.length <= 120, `over the 120-character warning budget: ${w}`);
      for (const [key, value] of Object.entries(c.audit ?? {})) assert.match(verdict.auditAnnotations[key] ?? '', value);
    });
  }
});
