import type { Verdict } from '../admission/verdict.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { RULES } from '../rules/index.js';
import type { JsonPatchOperation } from '../shared/json-patch.js';
import type { Finding } from './finding.js';
import { abbreviations, containerLists, describeContainer, firstFitting, shortPolicyName, WARNING_PREFIX, withinBudget } from './warning-text.js';

export { describeContainer, warning, WARNING_BUDGET, WARNING_PREFIX } from './warning-text.js';

/**
 * Combines findings into one verdict: denied when any violation is enforced, the denial one line per such finding;
 * one warning per policy and rule for the DryRun violations (and another for the checks failurePolicy Ignore
 * skipped), naming the containers; every finding, with its fix, in the audit annotations.
 */
export function verdictOf(
  findings: readonly Finding[],
  extra: { warnings?: readonly string[]; patch?: readonly JsonPatchOperation[]; auditAnnotations?: Readonly<Record<string, string>> } = {},
): Verdict {
  if (findings.length === 0 && (extra.warnings ?? []).length === 0) return { allowed: true, warnings: [], auditAnnotations: { ...extra.auditAnnotations }, patch: extra.patch ?? [] };
  const denials = findings.flatMap((f) => (f.outcome.kind === 'violation' && f.outcome.action === 'Enforce' ? [denialLine(f, f.outcome)] : []));
  const allWarnings = [...new Set([...ruleWarnings(findings), ...(extra.warnings ?? []).map(withinBudget)])];
  const auditAnnotations = { ...auditAnnotationsOf(findings), ...extra.auditAnnotations };
  if (denials.length > 0) {
    // Shown after the API server's `admission webhook "…" denied the request: `, as is (newlines kept, kubectl
    // prints them): one finding per line, as Gatekeeper lists its violations, and no second "denied".
    return { allowed: false, denial: { code: 403, message: denials.join('\n') }, warnings: allWarnings, auditAnnotations, patch: [] };
  }
  return { allowed: true, warnings: allWarnings, auditAnnotations, patch: extra.patch ?? [] };
}

type Violation = Extract<Finding['outcome'], { kind: 'violation' }>;

/** `[policy/rule] container "app" (image): what is wrong. Fix: what to do` */
function denialLine(finding: Finding, outcome: Violation): string {
  return `[${finding.policy}/${finding.rule}] ${describeContainer(finding.container)}: ${outcome.message}. Fix: ${outcome.fix}`;
}

interface WarningGroup {
  readonly head: string;
  /** In the order met; a Set: a pod may have thousands of containers. */
  readonly names: Set<string>;
  readonly messages: Set<string>;
  readonly headline: string;
}

/**
 * One warning per policy, rule and kind (would deny, or skipped under failurePolicy Ignore), naming its containers:
 * `[distroless-guard] default/noShell would deny containers app, sidecar: image has a shell: /bin/sh`. The message
 * when every container has the same one, else the rule's headline (the full messages, a failure's reason too, are
 * in the audit annotations); fewer names ("and 2 more") before a cut. The fixes and images are in the audit annotations (and in check's output), not here.
 */
function ruleWarnings(findings: readonly Finding[]): string[] {
  const groups = new Map<string, WarningGroup>();
  for (const finding of findings) {
    const { outcome } = finding;
    const dryRun = outcome.kind === 'violation' && outcome.action === 'DryRun';
    if (!dryRun && outcome.kind !== 'ignored-failure') continue;
    const key = `${finding.policy}\0${finding.rule}\0${outcome.kind}`;
    let group = groups.get(key);
    if (group === undefined) {
      const subject = `${WARNING_PREFIX} ${shortPolicyName(finding.policy)}/${finding.rule}`;
      group = dryRun
        ? { head: `${subject} would deny`, names: new Set(), messages: new Set(), headline: RULES[finding.rule].headline }
        : { head: `${subject} skipped (failurePolicy Ignore) for`, names: new Set(), messages: new Set(), headline: 'could not inspect image' };
      groups.set(key, group);
    }
    group.names.add(finding.container.name);
    group.messages.add(outcome.message);
  }
  return [...groups.values()].map(({ head, names, messages, headline }) => {
    const texts = messages.size === 1 ? [...messages].flatMap((m) => [m, ...listShortened(m)]).concat(headline) : [headline];
    return firstFitting(containerLists([...names]).flatMap((list) => texts.map((text) => `${head} ${list}: ${text}`)));
  });
}

/** "image has a shell: /bin/sh, /usr/bin/bash, /usr/bin/dash" → "image has a shell: /bin/sh and 2 more", …; [] when not a list. */
function listShortened(message: string): string[] {
  const colon = message.indexOf(': ');
  const items = message.slice(colon + 2).split(', ');
  if (colon === -1 || items.length < 2 || items.some((item) => item === '' || item.includes(' '))) return [];
  return abbreviations(items).slice(1).map((list) => `${message.slice(0, colon)}: ${list}`);
}

/**
 * One audit annotation per policy/rule with findings: every container's outcome, message and fix. The API server
 * prefixes keys with the webhook name, so a key must be a valid qualified-name part: at most 63 characters of
 * [A-Za-z0-9-_.], alphanumeric at both ends.
 */
function auditAnnotationsOf(findings: readonly Finding[]): Record<string, string> {
  const grouped = new Map<string, string[]>();
  for (const finding of findings) {
    const key = annotationKey(`${finding.policy}.${finding.rule}`);
    const { outcome } = finding;
    const label = outcome.kind === 'exempt' ? `Exempt (${outcome.reason})` : outcomeLabel(finding);
    const fix = outcome.kind === 'violation' ? `. Fix: ${outcome.fix}` : '';
    const values = grouped.get(key) ?? [];
    values.push(`${label}: ${describeContainer(finding.container)}: ${outcome.message}${fix}`);
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
    : { allowed: true, warnings: [withinBudget(`${WARNING_PREFIX} ${message}; admitted (failurePolicy: Ignore)`)], auditAnnotations: {}, patch: [] };
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
