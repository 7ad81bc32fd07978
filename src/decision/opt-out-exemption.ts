import type { CompiledPolicy } from '../policy/compile.js';
import type { RuleName } from '../policy/types.js';
import { OPT_OUT_ANNOTATION, OPT_OUT_REASON_ANNOTATION, type OptOutRequest } from '../workload/opt-out-annotations.js';
import { WARNING_PREFIX } from './combine-findings.js';

/** The exemption an opt-out annotation gives for one rule under one policy: only where the policy allows it, with a reason. */
export function optOutExemption(policy: CompiledPolicy, rule: RuleName, request: OptOutRequest | undefined): { readonly reason: string } | undefined {
  if (!request?.rules.has(rule) || !policy.allowsOptOut(rule) || request.reason === undefined) return undefined;
  return { reason: `opted out by annotation ${OPT_OUT_ANNOTATION}: ${request.reason}` };
}

/** What the user is told about the opt-out they asked for: honoured (it is audited), refused and why, or unknown names. */
export function optOutWarnings(policies: readonly CompiledPolicy[], request: OptOutRequest | undefined): string[] {
  if (request === undefined) return [];
  const warnings = request.unknown.map((name) => `${WARNING_PREFIX} ${OPT_OUT_ANNOTATION} names "${name}", which is not a rule`);
  for (const policy of policies) {
    for (const rule of request.rules) {
      if (policy.actionOf(rule) === 'Disabled') continue;
      if (!policy.allowsOptOut(rule)) warnings.push(`${WARNING_PREFIX} opt-out of ${policy.name}/${rule} refused: rules.${rule}.allowOptOut is not set`);
      else if (request.reason === undefined) warnings.push(`${WARNING_PREFIX} opt-out of ${policy.name}/${rule} refused: ${OPT_OUT_REASON_ANNOTATION} is required`);
      else warnings.push(`${WARNING_PREFIX} ${policy.name}/${rule} not enforced: opted out by annotation (${request.reason})`);
    }
  }
  return warnings;
}
