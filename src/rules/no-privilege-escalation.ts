import { dropsAll, normaliseCapability } from '../workload/security-context.js';
import { notApplicable, pass, violation, type Rule } from './types.js';

/** Capabilities Pod Security "restricted" allows to add back after dropping ALL. */
const ALLOWED_ADDED_CAPABILITIES = new Set(['NET_BIND_SERVICE']);

const WINDOWS = notApplicable('Windows pods have no Linux privileges to judge');

/** Pod Security Standards "restricted": not privileged, no privilege escalation, all capabilities dropped. */
export const noPrivilegeEscalation: Rule = {
  name: 'noPrivilegeEscalation',
  usesFacts: false,
  headline: 'may escalate privileges',
  evaluate({ security }) {
    if (security.windows) return WINDOWS;
    const problems: string[] = [];
    const fixes: string[] = [];
    if (security.privileged === true) {
      problems.push('privileged: true');
      fixes.push('remove privileged');
    }
    if (security.allowPrivilegeEscalation !== false) {
      problems.push(security.allowPrivilegeEscalation === true ? 'allowPrivilegeEscalation: true' : 'allowPrivilegeEscalation unset');
      fixes.push('set allowPrivilegeEscalation: false');
    }
    const added = security.capabilitiesAdd.length === 0 ? [] : security.capabilitiesAdd.map(normaliseCapability).filter((c) => !ALLOWED_ADDED_CAPABILITIES.has(c));
    if (added.length > 0) {
      problems.push(`adds capabilities ${added.join(', ')}`);
      fixes.push('add no capability other than NET_BIND_SERVICE');
    }
    if (!dropsAll(security.capabilitiesDrop)) {
      problems.push('no drop ALL');
      fixes.push('set capabilities.drop: [ALL]');
    }
    return problems.length === 0 ? pass : violation(problems.join(', '), fixes.join(', '));
  },
};
