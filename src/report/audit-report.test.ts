import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditReport, type AuditedPod } from './audit-report.js';
import type { ReportFinding } from './check-report.js';

const finding = (rule: ReportFinding['rule'], outcome: ReportFinding['outcome'], image = 'debian:12'): ReportFinding => ({
  policy: 'prod',
  rule,
  outcome,
  container: { kind: 'container', name: 'app', image },
  message: `${rule} says no`,
  fix: 'rebuild',
});

const deployment = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name, uid: `uid-${name}` });

function pod(
  name: string,
  workload: AuditedPod['workload'],
  decision: AuditedPod['decision'],
  findings: ReportFinding[] = [],
  policies = ['prod'],
  warnings: string[] = [],
): AuditedPod {
  return { namespace: workload.namespace, name, workload, decision, findings, warnings, policies };
}

const meta = { generatedAt: new Date('2025-01-02T03:04:05Z'), context: 'kind-test', policies: ['prod'], images: 3, digests: 2 };

describe('auditReport: pods grouped into workloads', () => {
  const pods: AuditedPod[] = [
    pod('web-a', deployment('web'), 'allowed'),
    pod('web-b', deployment('web'), 'denied', [finding('noShell', 'Enforce')]),
    pod('web-c', deployment('web'), 'denied', [finding('noShell', 'Enforce')]),
    pod('api-a', deployment('api'), 'allowed-with-warnings', [], ['prod'], ['[distroless-guard] prod/noShell skipped']),
    pod('proxy', { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-proxy' }, 'allowed', [], []),
    pod('solo', { apiVersion: 'v1', kind: 'Pod', namespace: 'dev', name: 'solo' }, 'allowed'),
  ];
  const report = auditReport(pods, meta);

  it('one entry per workload, namespaces and workloads sorted by name', () => {
    assert.deepEqual(
      report.namespaces.map((n) => [n.name, n.workloads.map((w) => `${w.kind}/${w.name}:${w.pods}:${w.decision}`)]),
      [
        ['dev', ['Pod/solo:1:allowed']],
        ['kube-system', ['DaemonSet/kube-proxy:1:not-covered']],
        ['shop', ['Deployment/api:1:allowed-with-warnings', 'Deployment/web:3:denied']],
      ],
    );
  });

  it('a workload is denied when any of its pods is, and lists each distinct finding once', () => {
    const web = report.namespaces.find((n) => n.name === 'shop')?.workloads.find((w) => w.name === 'web');
    assert.equal(web?.decision, 'denied');
    assert.deepEqual(web?.findings, [finding('noShell', 'Enforce')]);
    assert.equal(web?.uid, 'uid-web');
  });

  it('counts per namespace and in the summary', () => {
    assert.deepEqual(
      report.namespaces.map((n) => [n.name, n.denied, n.compliant, n.notCovered]),
      [
        ['dev', 0, 1, 0],
        ['kube-system', 0, 0, 1],
        ['shop', 1, 1, 0],
      ],
    );
    assert.deepEqual(report.summary, { namespaces: 3, workloads: 4, pods: 6, denied: 1, compliant: 2, notCovered: 1, images: 3, digests: 2 });
    assert.deepEqual([report.generatedAt, report.context, report.policies], ['2025-01-02T03:04:05.000Z', 'kind-test', ['prod']]);
  });

  it('no pods: an empty report', () => {
    assert.deepEqual(auditReport([], meta).summary, { namespaces: 0, workloads: 0, pods: 0, denied: 0, compliant: 0, notCovered: 0, images: 3, digests: 2 });
  });
});
