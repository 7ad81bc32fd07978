import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdmissionRequest } from '../admission/request.js';
import type { Finding } from '../decision/finding.js';
import type { ReviewResult } from '../review/review.js';
import { admissionEvents, EVENT_MESSAGE_LIMIT, involvedObjectOf } from './admission-events.js';

const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const POD = { group: '', version: 'v1', kind: 'Pod' };

function request(overrides: Partial<AdmissionRequest> & { metadata?: Record<string, unknown>; oldMetadata?: Record<string, unknown> } = {}): AdmissionRequest {
  const { metadata, oldMetadata, ...rest } = overrides;
  const kind = rest.kind ?? DEPLOYMENT;
  return {
    uid: 'u',
    kind,
    resource: { group: kind.group, version: kind.version, resource: `${kind.kind.toLowerCase()}s` },
    subResource: '',
    operation: 'CREATE',
    namespace: 'shop',
    name: 'web',
    object: { metadata: { name: 'web', uid: 'new-uid', ...metadata } },
    oldObject: oldMetadata ? { metadata: oldMetadata } : null,
    dryRun: false,
    userInfo: {},
    ...rest,
  };
}

const violation = (
  policy: string,
  rule: Finding['rule'],
  action: 'Enforce' | 'DryRun',
  container = 'web',
  message = 'image has a shell: /bin/sh',
): Finding => ({
  policy,
  rule,
  container: { kind: 'container', name: container, image: 'shop/web:2.1' },
  outcome: { kind: 'violation', action, message, fix: 'build FROM a distroless base' },
});

function result(findings: readonly Finding[], denial?: string): ReviewResult {
  const denied = denial !== undefined || findings.some((f) => f.outcome.kind === 'violation' && f.outcome.action === 'Enforce');
  return {
    verdict: { allowed: !denied, ...(denied ? { denial: { code: 403, message: denial ?? 'x' } } : {}), warnings: [], auditAnnotations: {}, patch: [] },
    findings,
  };
}

describe('admissionEvents: one Event per policy and rule that denied or would deny', () => {
  const cases: ReadonlyArray<{ name: string; request: AdmissionRequest; result: ReviewResult; want: readonly string[] }> = [
    { name: 'an admission without violations has none', request: request(), result: result([]), want: [] },
    {
      name: 'one denial, one Event naming policy, rule, container and image',
      request: request(),
      result: result([violation('prod', 'noShell', 'Enforce')]),
      want: ['Denied [prod/noShell] container "web" (shop/web:2.1): image has a shell: /bin/sh'],
    },
    {
      name: 'two containers under one rule share its Event',
      request: request(),
      result: result([violation('prod', 'noShell', 'Enforce'), violation('prod', 'noShell', 'Enforce', 'side')]),
      want: ['Denied [prod/noShell] container "web" (shop/web:2.1): image has a shell: /bin/sh; container "side" (shop/web:2.1): image has a shell: /bin/sh'],
    },
    {
      name: 'DryRun violations are said to be so, one Event per rule',
      request: request(),
      result: result([violation('audit', 'noShell', 'DryRun'), violation('audit', 'nonRoot', 'DryRun', 'web', 'runs as root')]),
      want: [
        'DryRunViolation [audit/noShell] DryRun, would be denied: container "web" (shop/web:2.1): image has a shell: /bin/sh',
        'DryRunViolation [audit/nonRoot] DryRun, would be denied: container "web" (shop/web:2.1): runs as root',
      ],
    },
    {
      name: 'a denial without findings (failurePolicy Fail at the deadline) is one Event with its message',
      request: request(),
      result: result([], 'distroless-guard could not decide within the 10s webhook timeout (failurePolicy: Fail in prod)'),
      want: ['Denied distroless-guard could not decide within the 10s webhook timeout (failurePolicy: Fail in prod)'],
    },
    {
      name: 'a dry run (kubectl --dry-run=server) has no side effects: none',
      request: request({ dryRun: true }),
      result: result([violation('prod', 'noShell', 'Enforce')]),
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(admissionEvents(c.request, c.result).map((e) => `${e.reason} ${e.message}`), c.want));
  }

  it(`a message is kept under ${EVENT_MESSAGE_LIMIT} characters`, () => {
    const many = Array.from({ length: 40 }, (_, i) => violation('prod', 'noShell', 'Enforce', `container-${i}`));
    const [event] = admissionEvents(request(), result(many));
    assert.equal(event?.message.length, EVENT_MESSAGE_LIMIT);
    assert.ok(event?.message.endsWith('…'));
  });
});

describe('involvedObjectOf: the object a user looks at', () => {
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'rs-uid', controller: true };
  const cases: ReadonlyArray<{ name: string; request: AdmissionRequest; admitted: boolean; want: unknown }> = [
    {
      name: 'a denied Deployment CREATE: the Deployment, without a uid (it will not exist)',
      request: request(),
      admitted: false,
      want: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
    },
    {
      name: 'a denied Deployment UPDATE: the Deployment with the uid it has',
      request: request({ operation: 'UPDATE', oldMetadata: { name: 'web', uid: 'dep-uid' } }),
      admitted: false,
      want: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'dep-uid' },
    },
    {
      name: 'an admitted CREATE (DryRun): the object with the uid the API server gave it',
      request: request(),
      admitted: true,
      want: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'new-uid' },
    },
    {
      name: "a Pod a ReplicaSet creates: the ReplicaSet (the Pod's controller)",
      request: request({
        kind: POD,
        name: '',
        metadata: { name: '', generateName: 'web-7d9f-', ownerReferences: [{ ...owner, controller: false, name: 'x' }, owner] },
      }),
      admitted: false,
      want: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: 'web-7d9f', uid: 'rs-uid' },
    },
    {
      name: 'a bare Pod with a name: the Pod (core group: apiVersion v1)',
      request: request({ kind: POD, name: 'debug' }),
      admitted: false,
      want: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'debug' },
    },
    {
      name: 'a Pod without a name nor a controller: its Namespace (cluster-scoped, so the Event goes to default)',
      request: request({ kind: POD, name: '', metadata: { name: '', generateName: 'job-' } }),
      admitted: false,
      want: { apiVersion: 'v1', kind: 'Namespace', name: 'shop' },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(involvedObjectOf(c.request, c.admitted), c.want));

  it("the Event is in the object's namespace, or default for a Namespace", () => {
    const denied = result([violation('prod', 'noShell', 'Enforce')]);
    assert.equal(admissionEvents(request(), denied)[0]?.namespace, 'shop');
    assert.equal(admissionEvents(request({ kind: POD, name: '', metadata: { name: '' } }), denied)[0]?.namespace, 'default');
  });
});
