/**
 * `audit --format html`: one self-contained page (inline CSS and SVG, no script, no external resource, so it
 * opens from a mail attachment or an air-gapped laptop): the summary, a chart of compliant and non-compliant
 * workloads per namespace, and per namespace every workload with the rules it would be denied by.
 */
import { describeContainer } from '../decision/combine-findings.js';
import type { AuditNamespace, AuditReport, AuditedWorkload, WorkloadDecision } from './audit-report.js';
import { auditSummaryLine } from './render-audit-table.js';

export const CHART_COLOURS = { denied: '#c62828', compliant: '#2e7d32', notCovered: '#9e9e9e' } as const;

const BADGE: Readonly<Record<WorkloadDecision, { label: string; colour: string }>> = {
  denied: { label: 'would be denied', colour: CHART_COLOURS.denied },
  'allowed-with-warnings': { label: 'allowed, with warnings', colour: '#ef6c00' },
  allowed: { label: 'compliant', colour: CHART_COLOURS.compliant },
  'not-covered': { label: 'not covered', colour: CHART_COLOURS.notCovered },
};

export function renderAuditHtml(report: AuditReport): string {
  const title = `distroless-guard audit${report.context ? ` of ${report.context}` : ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${h(title)}</h1>
<p class="meta">Generated ${h(report.generatedAt)} · policies as if every DryRun were Enforce: ${report.policies.length > 0 ? report.policies.map((p) => `<code>${h(p)}</code>`).join(', ') : 'none'}</p>
<p class="summary">${h(auditSummaryLine(report))}</p>
</header>
<main>
<section aria-label="Workloads per namespace">
<h2>Workloads per namespace</h2>
${chart(report.namespaces)}
</section>
${report.namespaces.map(namespaceSection).join('\n')}
</main>
</body>
</html>
`;
}

const ROW = 30;
const LABEL_WIDTH = 180;
const BAR_WIDTH = 480;
const COUNT_WIDTH = 300;

/** A horizontal stacked bar per namespace: denied, compliant, not covered, scaled to the largest namespace. */
export function chart(namespaces: readonly AuditNamespace[]): string {
  const largest = Math.max(1, ...namespaces.map((n) => n.denied + n.compliant + n.notCovered));
  const width = LABEL_WIDTH + BAR_WIDTH + COUNT_WIDTH;
  const legendY = namespaces.length * ROW + 12;
  const height = legendY + 24;
  const rows = namespaces.map((ns, i) => {
    const y = i * ROW;
    let x = LABEL_WIDTH;
    const segments = (
      [
        ['denied', ns.denied, CHART_COLOURS.denied],
        ['compliant', ns.compliant, CHART_COLOURS.compliant],
        ['not covered', ns.notCovered, CHART_COLOURS.notCovered],
      ] as const
    ).map(([what, count, colour]) => {
      if (count === 0) return '';
      const w = (count / largest) * BAR_WIDTH;
      const rect = `<rect x="${x.toFixed(1)}" y="${y + 5}" width="${w.toFixed(1)}" height="${ROW - 10}" fill="${colour}"><title>${h(`${ns.name}: ${count} ${what}`)}</title></rect>`;
      x += w;
      return rect;
    });
    return [
      `<text x="${LABEL_WIDTH - 8}" y="${y + ROW / 2 + 5}" text-anchor="end">${h(ns.name)}</text>`,
      ...segments,
      `<text x="${LABEL_WIDTH + BAR_WIDTH + 8}" y="${y + ROW / 2 + 5}">${ns.denied} denied · ${ns.compliant} compliant${ns.notCovered > 0 ? ` · ${ns.notCovered} not covered` : ''}</text>`,
    ].join('');
  });
  const legend = (
    [
      ['would be denied', CHART_COLOURS.denied],
      ['compliant', CHART_COLOURS.compliant],
      ['not covered by a policy', CHART_COLOURS.notCovered],
    ] as const
  )
    .map(([label, colour], i) => {
      const x = LABEL_WIDTH + i * 170;
      return `<rect x="${x}" y="${legendY}" width="14" height="14" fill="${colour}"></rect><text x="${x + 20}" y="${legendY + 12}">${label}</text>`;
    })
    .join('');
  return `<svg class="chart" role="img" aria-label="compliant and non-compliant workloads per namespace" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${rows.join('')}${legend}</svg>`;
}

function namespaceSection(ns: AuditNamespace): string {
  return `<section class="namespace">
<h2>${h(ns.name)} <small>${ns.denied} would be denied, ${ns.compliant} compliant${ns.notCovered > 0 ? `, ${ns.notCovered} not covered` : ''}</small></h2>
<table>
<thead><tr><th>Workload</th><th>Pods</th><th>Decision</th><th>Why</th></tr></thead>
<tbody>
${ns.workloads.map(workloadRow).join('\n')}
</tbody>
</table>
</section>`;
}

function workloadRow(w: AuditedWorkload): string {
  const badge = BADGE[w.decision];
  const reasons = w.findings.filter((f) => f.outcome === 'Enforce');
  const why =
    reasons.length === 0
      ? ''
      : `<ul>${reasons.map((f) => `<li><code>${h(`${f.policy}/${f.rule}`)}</code> ${h(describeContainer(f.container))}: ${h(f.message)}.${f.fix ? ` <span class="fix">Fix: ${h(f.fix)}</span>` : ''}</li>`).join('')}</ul>`;
  return `<tr class="${w.decision}"><td><code>${h(`${w.kind}/${w.name}`)}</code></td><td>${w.pods}</td><td><span class="badge" style="background:${badge.colour}">${badge.label}</span></td><td>${why}</td></tr>`;
}

/** HTML-escapes text for element content and attribute values alike. */
export function h(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#212121;background:#fafafa}
header{background:#263238;color:#fff;padding:20px 32px}
header h1{margin:0 0 6px;font-size:22px}
header .meta{margin:0;color:#b0bec5}
header .summary{margin:8px 0 0;font-size:16px}
main{padding:8px 32px 32px}
h2{font-size:18px;margin:24px 0 8px}
h2 small{font-weight:normal;color:#616161;font-size:13px;margin-left:8px}
svg.chart{background:#fff;border:1px solid #e0e0e0;padding:12px;font-size:13px}
svg.chart text{fill:#212121}
table{border-collapse:collapse;width:100%;table-layout:fixed;background:#fff;border:1px solid #e0e0e0}
th,td{text-align:left;vertical-align:top;padding:6px 10px;border-bottom:1px solid #eeeeee;overflow-wrap:anywhere}
th:nth-child(1){width:24%}
th:nth-child(2){width:6%}
th:nth-child(3){width:14%}
th{background:#eceff1;font-weight:600}
td ul{margin:0;padding-left:18px}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 9px;font-size:12px;white-space:nowrap}
.fix{color:#455a64}
code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
`;
