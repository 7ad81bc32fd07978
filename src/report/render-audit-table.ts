import { describeContainer } from '../decision/combine-findings.js';
import type { AuditReport, WorkloadDecision } from './audit-report.js';

const LABEL: Readonly<Record<WorkloadDecision, string>> = {
  denied: 'DENIED',
  'allowed-with-warnings': 'WARNINGS',
  allowed: 'ALLOWED',
  'not-covered': 'NOT COVERED',
};

/** One row per workload (grouped by namespace), the reasons of every denial below, then the summary line. */
export function renderAuditTable(report: AuditReport): string {
  const header = ['NAMESPACE', 'WORKLOAD', 'PODS', 'DECISION', 'VIOLATED RULES'];
  const rows = report.namespaces.flatMap((ns) =>
    ns.workloads.map((w) => [
      ns.name,
      `${w.kind}/${w.name}`,
      String(w.pods),
      LABEL[w.decision],
      [...new Set(w.findings.filter((f) => f.outcome === 'Enforce').map((f) => `${f.policy}/${f.rule}`))].join(', '),
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (row: readonly string[]): string => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const lines = rows.length > 0 ? [format(header), ...rows.map(format)] : ['No running pods.'];

  const denied = report.namespaces.flatMap((ns) => ns.workloads.filter((w) => w.decision === 'denied').map((w) => ({ ns: ns.name, w })));
  for (const { ns, w } of denied) {
    lines.push('', `${w.kind} ${ns}/${w.name} would be denied:`);
    for (const f of w.findings.filter((f) => f.outcome === 'Enforce')) lines.push(`  [${f.policy}/${f.rule}] ${describeContainer(f.container)}: ${f.message}. Fix: ${f.fix ?? ''}`);
  }
  lines.push('', auditSummaryLine(report));
  return `${lines.join('\n')}\n`;
}

export function auditSummaryLine(report: AuditReport): string {
  const s = report.summary;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const notCovered = s.notCovered > 0 ? `, ${s.notCovered} not covered by any policy` : '';
  return (
    `${plural(s.pods, 'pod')} in ${plural(s.workloads, 'workload')} across ${plural(s.namespaces, 'namespace')}: ` +
    `${s.denied} would be denied, ${s.compliant} compliant${notCovered}; ${plural(s.images, 'image')} inspected (${plural(s.digests, 'digest')})`
  );
}
