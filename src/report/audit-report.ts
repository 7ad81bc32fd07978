/**
 * The result of `audit`: running pods judged as if every policy enforced, grouped into their workloads (a
 * Deployment, not each of its pods) per namespace. This shape is the `--format json` output, held to
 * schemas/audit-report.schema.json by a test; the table, the HTML page and the PolicyReports are drawn from it.
 */
import type { Decision } from '../decision/combine-findings.js';
import type { ReportFinding } from './check-report.js';
import type { WorkloadRef } from './owners.js';

export const AUDIT_REPORT_API_VERSION = 'distroless-guard.io/v1alpha1';

/** not-covered: no policy judges any of its containers (excluded namespaces such as kube-system included). */
export type WorkloadDecision = Decision | 'not-covered';

export interface AuditedPod {
  readonly namespace: string;
  readonly name: string;
  readonly workload: WorkloadRef;
  readonly decision: Decision | 'skipped';
  readonly findings: readonly ReportFinding[];
  readonly warnings: readonly string[];
  /** The policies that judged at least one of its containers. */
  readonly policies: readonly string[];
}

export interface AuditedWorkload {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid?: string;
  readonly pods: number;
  readonly decision: WorkloadDecision;
  readonly policies: readonly string[];
  /** Over all its pods, each distinct finding once. */
  readonly findings: readonly ReportFinding[];
  readonly warnings: readonly string[];
}

export interface AuditNamespace {
  readonly name: string;
  readonly denied: number;
  readonly compliant: number;
  readonly notCovered: number;
  readonly workloads: readonly AuditedWorkload[];
}

export interface AuditSummary {
  readonly namespaces: number;
  readonly workloads: number;
  readonly pods: number;
  readonly denied: number;
  /** Allowed, with or without warnings. */
  readonly compliant: number;
  readonly notCovered: number;
  /** Distinct image references inspected, and the distinct digests they came to. */
  readonly images: number;
  readonly digests: number;
}

export interface AuditReport {
  readonly apiVersion: typeof AUDIT_REPORT_API_VERSION;
  readonly kind: 'AuditReport';
  readonly generatedAt: string;
  /** The kubeconfig context audited, when known. */
  readonly context?: string;
  /** The policies judged by, every DryRun raised to Enforce. */
  readonly policies: readonly string[];
  readonly summary: AuditSummary;
  readonly namespaces: readonly AuditNamespace[];
}

export interface AuditMeta {
  readonly generatedAt: Date;
  readonly context?: string;
  readonly policies: readonly string[];
  readonly images: number;
  readonly digests: number;
}

export function auditReport(pods: readonly AuditedPod[], meta: AuditMeta): AuditReport {
  const groups = new Map<string, AuditedPod[]>();
  for (const pod of pods) {
    const { namespace, kind, name } = pod.workload;
    const key = `${namespace}\u0000${kind}\u0000${name}`;
    groups.set(key, [...(groups.get(key) ?? []), pod]);
  }
  const byNamespace = new Map<string, AuditedWorkload[]>();
  for (const members of groups.values()) {
    const first = members[0];
    if (!first) continue;
    const workloads = byNamespace.get(first.workload.namespace) ?? [];
    workloads.push(workloadOf(members));
    byNamespace.set(first.workload.namespace, workloads);
  }
  const namespaces = [...byNamespace.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, workloads]): AuditNamespace => {
      const sorted = workloads.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
      return { name, ...tally(sorted), workloads: sorted };
    });
  const all = namespaces.flatMap((n) => n.workloads);
  return {
    apiVersion: AUDIT_REPORT_API_VERSION,
    kind: 'AuditReport',
    generatedAt: meta.generatedAt.toISOString(),
    ...(meta.context === undefined ? {} : { context: meta.context }),
    policies: [...meta.policies],
    summary: { namespaces: namespaces.length, workloads: all.length, pods: pods.length, ...tally(all), images: meta.images, digests: meta.digests },
    namespaces,
  };
}

function workloadOf(pods: readonly AuditedPod[]): AuditedWorkload {
  const ref = pods[0]?.workload ?? { apiVersion: '', kind: '', namespace: '', name: '' };
  const policies = [...new Set(pods.flatMap((p) => p.policies))].sort();
  const findings = distinct(pods.flatMap((p) => p.findings), (f) => JSON.stringify([f.policy, f.rule, f.outcome, f.container, f.message]));
  const warnings = [...new Set(pods.flatMap((p) => p.warnings))];
  const decision: WorkloadDecision = pods.some((p) => p.decision === 'denied')
    ? 'denied'
    : policies.length === 0
      ? 'not-covered'
      : warnings.length > 0
        ? 'allowed-with-warnings'
        : 'allowed';
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, ...(ref.uid ? { uid: ref.uid } : {}), pods: pods.length, decision, policies, findings, warnings };
}

function tally(workloads: readonly AuditedWorkload[]): { denied: number; compliant: number; notCovered: number } {
  const count = (...decisions: WorkloadDecision[]): number => workloads.filter((w) => decisions.includes(w.decision)).length;
  return { denied: count('denied'), compliant: count('allowed', 'allowed-with-warnings'), notCovered: count('not-covered') };
}

function distinct<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(keyOf(item))) seen.set(keyOf(item), item);
  return [...seen.values()];
}
