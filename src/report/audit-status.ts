/**
 * What the background audit writes into each DistrolessPolicy's status (as Gatekeeper writes `totalViolations`
 * and the first violations into a constraint's): when it judged, and the workload and rule pairs this policy would
 * deny with every DryRun as Enforce — the same pairs its PolicyReport results call `fail`.
 */
import type { RuleName } from '../policy/types.js';
import type { AuditReport } from './audit-report.js';

export interface AuditViolation {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly rule: RuleName;
  /** The first container's finding. */
  readonly message: string;
}

export interface PolicyAuditStatus {
  readonly auditTimestamp: string;
  readonly totalViolations: number;
  /** The first `limit` of them, by namespace, kind, name and rule. */
  readonly violations: readonly AuditViolation[];
}

export function policyAuditStatuses(report: AuditReport, policies: readonly string[], limit: number): Map<string, PolicyAuditStatus> {
  const auditTimestamp = report.generatedAt.replace(/\.\d{3}Z$/, 'Z');
  const byPolicy = new Map<string, AuditViolation[]>(policies.map((p) => [p, []]));
  for (const namespace of report.namespaces) {
    for (const workload of namespace.workloads) {
      const seen = new Set<string>();
      for (const finding of workload.findings) {
        const key = `${finding.policy}\u0000${finding.rule}`;
        if (finding.outcome !== 'Enforce' || seen.has(key)) continue;
        seen.add(key);
        const message = `container "${finding.container.name}" (${finding.container.image}): ${finding.message}`;
        byPolicy.get(finding.policy)?.push({ kind: workload.kind, namespace: namespace.name, name: workload.name, rule: finding.rule, message });
      }
    }
  }
  const order = (v: AuditViolation): string => [v.namespace, v.kind, v.name, v.rule].join('\u0000');
  return new Map(
    [...byPolicy].map(([policy, violations]) => {
      // By code point, not locale: the same order on every machine.
      const sorted = violations.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
      return [policy, { auditTimestamp, totalViolations: sorted.length, violations: sorted.slice(0, limit) }];
    }),
  );
}
