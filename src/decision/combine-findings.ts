import type { Verdict } from '../admission/verdict.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { JsonPatchOperation } from '../shared/json-patch.js';
import type { ContainerIdentity, Finding } from './finding.js';

export const WARNING_PREFIX = '[distroless-guard]';

/** Combines findings into one verdict: denied when any violation is enforced; every DryRun violation a warning. */
export function verdictOf(
  findings: readonly Finding[],
  extra: { warnings?: readonly string[]; patch?: readonly JsonPatchOperation[]; auditAnnotations?: Readonly<Record<string, string>> } = {},
): Verdict {
  if (findings.length === 0 && (extra.warnings ?? []).length === 0) return { allowed: true, warnings: [], auditAnnotations: { ...extra.auditAnnotations }, patch: extra.patch ?? [] };
  const denials: string[] = [];
  const warnings: string[] = [];
  for (const finding of findings) {
    const { outcome } = finding;
    switch (outcome.kind) {
      case 'violation':
        if (outcome.action === 'Enforce') denials.push(`[${finding.policy}/${finding.rule}] ${describeContainer(finding.container)}: ${outcome.message}. Fix: ${outcome.fix}`);
        else warnings.push(warning('DryRun:', finding.container, outcome.message, `would be denied by ${finding.policy}/${finding.rule}`));
        break;
      case 'ignored-failure':
        warnings.push(warning(`${finding.policy}/${finding.rule} skipped (failurePolicy Ignore) for`, finding.container, outcome.message));
        break;
      case 'exempt':
        break;
    }
  }
  const allWarnings = [...new Set([...warnings, ...(extra.warnings ?? [])])];
  const auditAnnotations = { ...auditAnnotationsOf(findings), ...extra.auditAnnotations };
  if (denials.length > 0) {
    const message = `distroless-guard denied the request: ${denials.join('; ')}`;
    return { allowed: false, denial: { code: 403, message }, warnings: allWarnings, auditAnnotations, patch: [] };
  }
  return { allowed: true, warnings: allWarnings, auditAnnotations, patch: extra.patch ?? [] };
}

export function describeContainer(container: ContainerIdentity, image = container.image): string {
  const kind = container.kind === 'container' ? 'container' : container.kind === 'initContainer' ? 'init container' : 'ephemeral container';
  return `${kind} "${container.name}" (${image || 'no image'})`;
}

/** Kubernetes asks for warnings "under 120 characters if possible"; over 256 the API server may truncate (encode.ts cuts there). */
export const WARNING_BUDGET = 120;

/**
 * "[distroless-guard] <what> container "app" (image) [<after>]: message" — naming the container and its image, e.g.
 * "[distroless-guard] DryRun: container "app" (nginx:1.27) would be denied by prod/noShell: …". Over budget,
 * the image is shortened to its last path segment; the message itself is never cut here, it is what the user needs.
 */
export function warning(what: string, container: ContainerIdentity, message: string, after = ''): string {
  const tail = `${after ? ` ${after}` : ''}: ${message}`;
  const full = `${WARNING_PREFIX} ${what} ${describeContainer(container)}${tail}`;
  if (full.length <= WARNING_BUDGET) return full;
  return `${WARNING_PREFIX} ${what} ${describeContainer(container, container.image.slice(container.image.lastIndexOf('/') + 1))}${tail}`;
}

/**
 * One audit annotation per policy/rule with findings. The API server prefixes keys with the webhook name, so a key
 * must be a valid qualified-name part: at most 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends.
 */
function auditAnnotationsOf(findings: readonly Finding[]): Record<string, string> {
  const grouped = new Map<string, string[]>();
  for (const finding of findings) {
    const key = annotationKey(`${finding.policy}.${finding.rule}`);
    const { outcome } = finding;
    const label = outcome.kind === 'exempt' ? `Exempt (${outcome.reason})` : outcomeLabel(finding);
    const values = grouped.get(key) ?? [];
    values.push(`${label}: ${describeContainer(finding.container)}: ${outcome.message}`);
    grouped.set(key, values);
  }
  return Object.fromEntries([...grouped].map(([key, values]) => [key, values.join(' | ')]));
}

/** What became of an admission, as logs, metrics and reports label it. */
export type Decision = 'allowed' | 'allowed-with-warnings' | 'denied';

/** The decision label of logs, metrics and reports alike. */
export function decisionOf(verdict: Verdict): Decision {
  if (!verdict.allowed) return 'denied';
  return verdict.warnings.length > 0 ? 'allowed-with-warnings' : 'allowed';
}

/**
 * The answer to a review still running at the webhook's deadline: the policies' failurePolicy decides, and one
 * `Fail` among them is enough to deny.
 */
export function lastResortVerdict(policies: readonly Pick<CompiledPolicy, 'name' | 'failurePolicy'>[], timeoutMs: number): Verdict {
  const failing = policies.filter((p) => p.failurePolicy === 'Fail');
  const message = `distroless-guard could not decide within the ${timeoutMs / 1000}s webhook timeout`;
  return failing.length > 0
    ? { allowed: false, denial: { code: 503, message: `${message} (failurePolicy: Fail in ${failing.map((p) => p.name).join(', ')})` }, warnings: [], auditAnnotations: {}, patch: [] }
    : { allowed: true, warnings: [`${WARNING_PREFIX} ${message}; admitted (failurePolicy: Ignore)`], auditAnnotations: {}, patch: [] };
}

/** How a finding ended, for audit annotations, logs and metrics alike. */
export function outcomeLabel(finding: Finding): 'Enforce' | 'DryRun' | 'Exempt' | 'NotChecked' {
  const { outcome } = finding;
  return outcome.kind === 'violation' ? outcome.action : outcome.kind === 'exempt' ? 'Exempt' : 'NotChecked';
}

export function annotationKey(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_.-]/g, '-').slice(-63).replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  return cleaned || 'finding';
}
