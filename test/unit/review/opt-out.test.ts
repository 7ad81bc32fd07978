import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAdmissionReview } from '../../../src/admission/decode.js';
import { compilePolicies } from '../../../src/policy/compile.js';
import { parsePolicies } from '../../../src/policy/load.js';
import { noInspection } from '../../../src/review/facts-source.js';
import { staticNamespaces } from '../../../src/review/namespace-directory.js';
import { validate } from '../../../src/review/review.js';
import { admissionReview, objectOf, type PodSpecInput } from '../../support/reviews.js';

/** Per-object opt-out by annotation: honoured only where the policy allows it for that rule, with a reason, audited. */
const POLICY = (allow: boolean) => `apiVersion: distroless-guard.io/v1alpha1
kind: DistrolessPolicy
metadata: {name: prod}
spec:
  mode: Enforce
  rules:
    noPrivilegeEscalation: {allowOptOut: ${allow}}
`;
const SPEC: PodSpecInput = { containers: [{ name: 'app', image: 'registry.example/app:1', securityContext: { runAsNonRoot: true, runAsUser: 1000 } }] };

async function run(allow: boolean, annotations: Record<string, string>, kind: 'Pod' | 'Deployment' = 'Pod', where: 'object' | 'template' = 'template') {
  const object = objectOf(kind, 'web', SPEC) as { metadata: Record<string, unknown>; spec: { template?: { metadata: Record<string, unknown> } } };
  if (kind === 'Pod' || where === 'object') object.metadata['annotations'] = annotations;
  else if (object.spec.template) object.spec.template.metadata['annotations'] = annotations;
  const request = decodeAdmissionReview(JSON.stringify(admissionReview(kind, object, { namespace: 'shop' })));
  const policies = compilePolicies(parsePolicies(POLICY(allow), 'test'), { guardNamespace: 'g' });
  return (await validate(request, { policies: () => policies, namespaces: staticNamespaces(), facts: noInspection }, AbortSignal.timeout(5_000))).verdict;
}

const OPT = 'distroless-guard.io/opt-out';
const REASON = 'distroless-guard.io/opt-out-reason';

describe('opt-out annotation', () => {
  const cases: {
    name: string;
    allow: boolean;
    annotations: Record<string, string>;
    kind?: 'Pod' | 'Deployment';
    where?: 'object' | 'template';
    allowed: boolean;
    warning?: RegExp;
    audit?: RegExp;
  }[] = [
    { name: 'no annotation: the rule applies', allow: true, annotations: {}, allowed: false },
    {
      name: 'allowed and with a reason: exempt, audited, and the user told',
      allow: true, annotations: { [OPT]: 'noPrivilegeEscalation', [REASON]: 'legacy entrypoint, JIRA-12' },
      allowed: true,
      warning: /prod\/noPrivilegeEscalation not enforced: opted out by annotation \(legacy entrypoint, JIRA-12\)/,
      audit: /^Exempt \(opted out by annotation distroless-guard\.io\/opt-out: legacy entrypoint, JIRA-12\)/,
    },
    {
      name: 'the policy does not allow it: refused, with why',
      allow: false, annotations: { [OPT]: 'noPrivilegeEscalation', [REASON]: 'please' }, allowed: false,
      warning: /opt-out of prod\/noPrivilegeEscalation refused: rules\.noPrivilegeEscalation\.allowOptOut is not set$/,
    },
    {
      name: 'no reason: refused',
      allow: true, annotations: { [OPT]: 'noPrivilegeEscalation' }, allowed: false,
      warning: /refused: distroless-guard\.io\/opt-out-reason is required/,
    },
    {
      name: 'an empty reason: refused',
      allow: true, annotations: { [OPT]: 'noPrivilegeEscalation', [REASON]: '  ' }, allowed: false,
      warning: /opt-out-reason is required/,
    },
    { name: 'another rule named: this one still applies', allow: true, annotations: { [OPT]: 'noShell', [REASON]: 'r' }, allowed: false },
    {
      name: 'a misspelt rule is reported',
      allow: true, annotations: { [OPT]: 'noPrivilegeEscalaton', [REASON]: 'r' }, allowed: false,
      warning: /names "noPrivilegeEscalaton", which is not a rule/,
    },
    { name: 'a list with spaces', allow: true, annotations: { [OPT]: 'noShell, noPrivilegeEscalation', [REASON]: 'r' }, allowed: true },
    {
      name: 'a Deployment: the pod template carries it (the pods inherit it)',
      allow: true, annotations: { [OPT]: 'noPrivilegeEscalation', [REASON]: 'r' }, kind: 'Deployment',
      where: 'template', allowed: true,
    },
    {
      name: 'a Deployment: on the object itself',
      allow: true, annotations: { [OPT]: 'noPrivilegeEscalation', [REASON]: 'r' }, kind: 'Deployment', where: 'object',
      allowed: true,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const verdict = await run(c.allow, c.annotations, c.kind, c.where);
      assert.equal(verdict.allowed, c.allowed, JSON.stringify(verdict));
      if (c.warning) assert.ok(verdict.warnings.some((w) => c.warning?.test(w)), JSON.stringify(verdict.warnings));
      if (c.audit) assert.match(verdict.auditAnnotations['prod.noPrivilegeEscalation'] ?? '', c.audit);
    });
  }
});
