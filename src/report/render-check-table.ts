import { describeContainer } from '../decision/combine-findings.js';
import type { CheckedFinding, CheckedObject, CheckReport } from './check-report.js';

const LABEL: Readonly<Record<CheckedObject['decision'], string>> = {
  denied: 'DENIED',
  'allowed-with-warnings': 'WARNINGS',
  allowed: 'ALLOWED',
  skipped: 'SKIPPED',
};

/**
 * The human-readable `check` output: a block per judged object (decision, object, where it is written; then each
 * violation with its fix, enforced or DryRun, exemptions, the rules not checked (one line per policy, rule and reason,
 * naming the containers), the warnings kubectl would print, and the patch as operations and as a diff), one line per
 * object not judged, and a summary line.
 */
export function renderCheckTable(report: CheckReport): string {
  const out: string[] = [];
  for (const object of report.objects) out.push(...renderObject(object));
  if (report.objects.length > 0) out.push('');
  out.push(summaryLine(report));
  return `${out.join('\n')}\n`;
}

function renderObject(object: CheckedObject): string[] {
  const head = `${LABEL[object.decision].padEnd(9)} ${object.kind} ${object.namespace}/${object.name}  ${object.source.file}:${object.source.line}`;
  if (object.decision === 'skipped') return [`${head}  (${object.skipped ?? 'not judged'})`];
  const lines = [head];
  for (const finding of object.findings) {
    const at = finding.position ? `  (line ${finding.position.line})` : '';
    const who = `[${finding.policy}/${finding.rule}] ${describeContainer(finding.container)}`;
    switch (finding.outcome) {
      case 'Enforce':
        lines.push(`  denied:  ${who}: ${finding.message}. Fix: ${finding.fix ?? ''}${at}`);
        break;
      case 'DryRun':
        lines.push(`  dry-run: ${who}: ${finding.message}. Fix: ${finding.fix ?? ''}${at}`);
        break;
      case 'Exempt':
        lines.push(`  exempt:  ${who}: ${finding.message} (${finding.reason ?? ''})${at}`);
        break;
      case 'NotChecked':
        break; // grouped below
    }
  }
  lines.push(...notChecked(object.findings));
  for (const warning of object.warnings) lines.push(`  Warning: ${warning}`);
  if (object.patch.length > 0) {
    lines.push(`  patch (${object.patch.length} JSON Patch operation${object.patch.length === 1 ? '' : 's'}):`);
    for (const op of object.patch) lines.push(`    ${JSON.stringify(op)}`);
    lines.push('  diff:', ...object.diff.trimEnd().split('\n').map((l) => `    ${l}`));
  }
  return lines;
}

/** `not checked: [default/noShell] containers app, sidecar: image not inspected`, per policy, rule and reason. */
function notChecked(findings: readonly CheckedFinding[]): string[] {
  const groups = new Map<string, Set<string>>();
  for (const f of findings) {
    if (f.outcome !== 'NotChecked') continue;
    const key = `[${f.policy}/${f.rule}] \0: ${f.message}`;
    groups.set(key, (groups.get(key) ?? new Set()).add(f.container.name));
  }
  return [...groups].map(([key, names]) => `  not checked: ${key.replace('\0', `container${names.size === 1 ? '' : 's'} ${[...names].join(', ')}`)}`);
}

export function summaryLine(report: CheckReport): string {
  const s = report.summary;
  const judged = s.objects - s.skipped;
  const parts = [`${s.denied} denied`, `${s.allowedWithWarnings} allowed with warnings`, `${s.allowed} allowed`];
  const skipped = s.skipped > 0 ? `; ${s.skipped} not judged` : '';
  return `${judged} object${judged === 1 ? '' : 's'} judged: ${parts.join(', ')}${skipped}; ${s.images} image${s.images === 1 ? '' : 's'} inspected`;
}
