import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditReport, type AuditedPod } from './audit-report.js';
import { policyAuditStatuses } from './audit-status.js';
import type { ReportFinding } from './check-report.js';

const finding = (policy: string, rule: ReportFinding['rule'], outcome: ReportFinding['outcome'], container = 'app'): ReportFinding => ({
  policy,
  rule,
  outcome,
  container: { kind: 'container', name: container, image: 'debian:12' },
  message: `${rule} says no`,
});
const workload = (kind: string, namespace: string, name: string) => ({ apiVersion: 'apps/v1', kind, namespace, name });
const pod = (name: string, w: AuditedPod['workload'], findings: ReportFinding[]): AuditedPod => ({
  namespace: w.namespace,
  name,
  workload: w,
  decision: findings.some((f) => f.outcome === 'Enforce') ? 'denied' : 'allowed',
  findings,
  warnings: [],
  policies: [...new Set(findings.map((f) => f.policy))],
});

const report = auditReport(
  [
    pod('web-1', workload('Deployment', 'shop', 'web'), [finding('prod', 'noShell', 'Enforce'), finding('prod', 'nonRoot', 'Enforce')]),
    pod('web-2', workload('Deployment', 'shop', 'web'), [finding('prod', 'noShell', 'Enforce', 'sidecar')]),
    pod('db-0', workload('StatefulSet', 'data', 'db'), [finding('prod', 'noShell', 'Enforce'), finding('other', 'noShell', 'Enforce')]),
    pod('api-1', workload('Deployment', 'shop', 'api'), [finding('prod', 'noShell', 'Exempt'), finding('prod', 'nonRoot', 'NotChecked')]),
  ],
  { generatedAt: new Date('2026-11-28T10:00:00.456Z'), policies: ['prod', 'other', 'quiet'], images: 1, digests: 1 },
);

describe('policyAuditStatuses: what each policy status says after an audit', () => {
  const statuses = policyAuditStatuses(report, ['prod', 'other', 'quiet'], 20);
  const rows: ReadonlyArray<readonly [string, string, number, readonly string[]]> = [
    [
      'a workload counts once per rule, whatever its pods and containers',
      'prod',
      3,
      ['data/StatefulSet/db noShell', 'shop/Deployment/web noShell', 'shop/Deployment/web nonRoot'],
    ],
    ["another policy's findings are its own", 'other', 1, ['data/StatefulSet/db noShell']],
    ['a policy with nothing to deny says 0 (not absent: it was audited)', 'quiet', 0, []],
  ];
  for (const [name, policy, total, violations] of rows) {
    it(name, () => {
      const status = statuses.get(policy);
      assert.equal(status?.totalViolations, total);
      assert.deepEqual(status?.violations.map((v) => `${v.namespace}/${v.kind}/${v.name} ${v.rule}`), violations);
    });
  }
  it('exempt and unchecked findings are no violations', () => {
    assert.ok(!statuses.get('prod')?.violations.some((v) => v.name === 'api'));
  });
  it('the timestamp is whole seconds (metav1.Time), the message names the container', () => {
    assert.equal(statuses.get('prod')?.auditTimestamp, '2026-11-28T10:00:00Z');
    assert.equal(statuses.get('other')?.violations[0]?.message, 'container "app" (debian:12): noShell says no');
  });
  it('lists the first `limit` violations and counts them all', () => {
    const capped = policyAuditStatuses(report, ['prod'], 2).get('prod');
    assert.deepEqual([capped?.totalViolations, capped?.violations.length], [3, 2]);
  });
});
