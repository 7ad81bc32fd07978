/**
 * The audit as PolicyReport objects (wgpolicyk8s.io/v1alpha2, the format Kyverno and Kubewarden emit and
 * policy-reporter dashboards read): one per namespace, one result per workload, policy and active rule.
 */
import type { RuleName } from '../policy/types.js';
import { RULES } from '../rules/index.js';
import type { AuditedWorkload, AuditReport } from './audit-report.js';
import type { ReportFinding } from './check-report.js';
import { RULE_HELP, type Severity } from './rule-help.js';

export const POLICY_REPORT_GROUP = 'wgpolicyk8s.io';
export const POLICY_REPORT_VERSION = 'v1alpha2';
export const POLICY_REPORT_PLURAL = 'policyreports';
export const POLICY_REPORT_NAME = 'distroless-guard-audit';
/** What marks a PolicyReport as ours: only these are replaced or deleted. */
export const MANAGED_BY = { key: 'app.kubernetes.io/managed-by', value: 'distroless-guard' } as const;
export const MANAGED_BY_SELECTOR = `${MANAGED_BY.key}=${MANAGED_BY.value}`;

export type PolicyResultValue = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export interface PolicyReportResult {
  readonly source: 'distroless-guard';
  readonly policy: string;
  readonly rule: RuleName;
  readonly category: string;
  readonly severity: Severity;
  readonly result: PolicyResultValue;
  readonly scored: boolean;
  readonly message: string;
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  readonly resources: readonly { readonly apiVersion: string; readonly kind: string; readonly namespace: string; readonly name: string; readonly uid?: string }[];
  readonly properties: Readonly<Record<string, string>>;
}

export interface PolicyReport {
  readonly apiVersion: `${typeof POLICY_REPORT_GROUP}/${typeof POLICY_REPORT_VERSION}`;
  readonly kind: 'PolicyReport';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly summary: Readonly<Record<PolicyResultValue, number>>;
  readonly results: readonly PolicyReportResult[];
}

export interface PolicyReportOptions {
  /** The rules a policy evaluates (action not Off). */
  readonly activeRules: (policy: string) => readonly RuleName[];
  readonly now: Date;
  /** --offline: rules that need image facts were not evaluated (skip, not pass). */
  readonly offline: boolean;
}

/** One report per namespace that has workloads some policy covers; namespaces with none get no report. */
export function policyReports(report: AuditReport, options: PolicyReportOptions): PolicyReport[] {
  const timestamp = { seconds: Math.floor(options.now.getTime() / 1000), nanos: 0 };
  return report.namespaces.flatMap((ns) => {
    const results = ns.workloads.flatMap((w) => w.policies.flatMap((policy) => options.activeRules(policy).map((rule) => resultOf(ns.name, w, policy, rule, timestamp, options.offline))));
    if (results.length === 0) return [];
    const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
    for (const r of results) summary[r.result] += 1;
    return [
      {
        apiVersion: `${POLICY_REPORT_GROUP}/${POLICY_REPORT_VERSION}`,
        kind: 'PolicyReport',
        metadata: { name: POLICY_REPORT_NAME, namespace: ns.name, labels: { [MANAGED_BY.key]: MANAGED_BY.value } },
        summary,
        results,
      },
    ];
  });
}

function resultOf(namespace: string, w: AuditedWorkload, policy: string, rule: RuleName, timestamp: PolicyReportResult['timestamp'], offline: boolean): PolicyReportResult {
  const findings = w.findings.filter((f) => f.policy === policy && f.rule === rule);
  const { result, message } = outcomeOf(findings, offline && RULES[rule].usesFacts);
  const fixes = [...new Set(findings.flatMap((f) => (f.fix && (result === 'fail' || result === 'warn') ? [f.fix] : [])))];
  return {
    source: 'distroless-guard',
    policy,
    rule,
    category: 'Distroless',
    severity: RULE_HELP[rule].severity,
    result,
    scored: true,
    message,
    timestamp,
    resources: [{ apiVersion: w.apiVersion, kind: w.kind, namespace, name: w.name, ...(w.uid ? { uid: w.uid } : {}) }],
    properties: { pods: String(w.pods), ...(fixes.length > 0 ? { fix: fixes.join('; ') } : {}) },
  };
}

function outcomeOf(findings: readonly ReportFinding[], notInspected: boolean): { result: PolicyResultValue; message: string } {
  const say = (fs: readonly ReportFinding[], text: (f: ReportFinding) => string): string => fs.map((f) => `container "${f.container.name}" (${f.container.image}): ${text(f)}`).join('; ');
  const enforced = findings.filter((f) => f.outcome === 'Enforce');
  if (enforced.length > 0) return { result: 'fail', message: say(enforced, (f) => f.message) };
  const dryRun = findings.filter((f) => f.outcome === 'DryRun');
  if (dryRun.length > 0) return { result: 'warn', message: say(dryRun, (f) => f.message) };
  const unchecked = findings.filter((f) => f.outcome === 'NotChecked');
  if (unchecked.length > 0 && notInspected) return { result: 'skip', message: 'image not inspected (--offline)' };
  if (unchecked.length > 0) return { result: 'error', message: say(unchecked, (f) => f.message) };
  if (findings.length > 0) return { result: 'skip', message: say(findings, (f) => `exempt: ${f.reason ?? ''}`) };
  if (notInspected) return { result: 'skip', message: 'image not inspected (--offline)' };
  return { result: 'pass', message: 'compliant' };
}
