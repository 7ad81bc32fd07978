import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RuleName } from '../policy/types.js';
import { auditReport, type AuditedPod } from './audit-report.js';
import type { ReportFinding } from './check-report.js';
import { policyReports } from './render-policy-reports.js';

const f = (rule: RuleName, outcome: ReportFinding['outcome'], extra: Partial<ReportFinding> = {}): ReportFinding => ({
  policy: 'prod',
  rule,
  outcome,
  container: { kind: 'container', name: 'app', image: 'debian:12' },
  message: `${rule} violated`,
  ...(outcome === 'Exempt' ? { reason: 'legacy, ticket 12' } : { fix: `fix ${rule}` }),
  ...extra,
});
const pod = (namespace: string, kind: string, name: string, decision: AuditedPod['decision'], findings: ReportFinding[], policies = ['prod']): AuditedPod => ({
  namespace,
  name: `${name}-x`,
  workload: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, namespace, name, uid: `uid-${name}` },
  decision,
  findings,
  warnings: [],
  policies,
});

const report = auditReport(
  [
    pod('shop', 'Deployment', 'web', 'denied', [f('noShell', 'Enforce'), f('noPackageManager', 'Exempt'), f('nonRoot', 'NotChecked')]),
    pod('shop', 'Deployment', 'web', 'denied', [f('noShell', 'Enforce')]),
    pod('shop', 'Deployment', 'api', 'allowed', []),
    pod('kube-system', 'DaemonSet', 'proxy', 'allowed', [], []),
  ],
  { generatedAt: new Date('2025-01-02T03:04:05Z'), policies: ['prod'], images: 0, digests: 0 },
);
const active: readonly RuleName[] = ['noShell', 'noPackageManager', 'nonRoot'];
const now = new Date('2025-01-02T03:04:05Z');

describe('policyReports: the audit as wgpolicyk8s.io/v1alpha2 PolicyReports', () => {
  const reports = policyReports(report, { activeRules: () => active, now, offline: false });

  it('one report per namespace with covered workloads, named and labelled as ours', () => {
    assert.deepEqual(
      reports.map((r) => [r.apiVersion, r.kind, r.metadata]),
      [
        [
          'wgpolicyk8s.io/v1alpha2',
          'PolicyReport',
          { name: 'distroless-guard-audit', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'distroless-guard' } },
        ],
      ],
    );
  });

  it('one result per workload, policy and active rule: fail, skip for an exemption, error for facts not had, pass', () => {
    const shop = reports[0];
    assert.deepEqual(
      shop?.results.map((r) => [r.resources[0]?.name, r.rule, r.result, r.message]),
      [
        ['api', 'noShell', 'pass', 'compliant'],
        ['api', 'noPackageManager', 'pass', 'compliant'],
        ['api', 'nonRoot', 'pass', 'compliant'],
        ['web', 'noShell', 'fail', 'container "app" (debian:12): noShell violated'],
        ['web', 'noPackageManager', 'skip', 'container "app" (debian:12): exempt: legacy, ticket 12'],
        ['web', 'nonRoot', 'error', 'container "app" (debian:12): nonRoot violated'],
      ],
    );
    assert.deepEqual(shop?.summary, { pass: 3, fail: 1, warn: 0, error: 1, skip: 1 });
  });

  it('a result names the workload, its severity, the time, the pods and the fix', () => {
    const fail = reports[0]?.results.find((r) => r.result === 'fail');
    assert.deepEqual(fail, {
      source: 'distroless-guard',
      policy: 'prod',
      rule: 'noShell',
      category: 'Distroless',
      severity: 'high',
      result: 'fail',
      scored: true,
      message: 'container "app" (debian:12): noShell violated',
      timestamp: { seconds: 1735787045, nanos: 0 },
      resources: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'uid-web' }],
      properties: { pods: '2', fix: 'fix noShell' },
    });
  });

  it('offline, rules that need image facts are skipped, not passed', () => {
    const offline = policyReports(report, { activeRules: () => ['noShell', 'noPrivilegeEscalation'], now, offline: true });
    assert.deepEqual(
      offline[0]?.results.filter((r) => r.resources[0]?.name === 'api').map((r) => [r.rule, r.result]),
      [
        ['noShell', 'skip'],
        ['noPrivilegeEscalation', 'pass'],
      ],
    );
  });
});
