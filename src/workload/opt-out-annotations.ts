import { RULE_NAMES, type RuleName } from '../policy/types.js';

export const OPT_OUT_ANNOTATION = 'distroless-guard.io/opt-out';
export const OPT_OUT_REASON_ANNOTATION = 'distroless-guard.io/opt-out-reason';

/** What a pod's annotations ask to opt out of; honoured only where a policy allows it (rules.<rule>.allowOptOut). */
export interface OptOutRequest {
  readonly rules: ReadonlySet<RuleName>;
  /** Names in the annotation that are not rules (reported, never honoured). */
  readonly unknown: readonly string[];
  readonly reason: string | undefined;
}

/** Parses `distroless-guard.io/opt-out: "noShell, nonRoot"` and its reason; undefined when the pod asks nothing. */
export function optOutRequestOf(annotations: Readonly<Record<string, string>>): OptOutRequest | undefined {
  const raw = annotations[OPT_OUT_ANNOTATION];
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const known = new Set<string>(RULE_NAMES);
  const reason = annotations[OPT_OUT_REASON_ANNOTATION]?.trim();
  return {
    rules: new Set(names.filter((n): n is RuleName => known.has(n))),
    unknown: names.filter((n) => !known.has(n)),
    reason: reason === '' ? undefined : reason,
  };
}
