import type { RuleName } from '../policy/types.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** What each rule refuses (the rule table of docs/policy.md), for reports read without the docs at hand: SARIF, PolicyReports. */
export const RULE_HELP: Readonly<Record<RuleName, { readonly summary: string; readonly severity: Severity }>> = {
  noShell: { summary: 'The image must hold no shell (sh, bash, dash, ash, busybox, …) in its final filesystem.', severity: 'high' },
  noPackageManager: { summary: 'The image must have no package manager executable on its PATH (apt, dpkg, apk, yum, dnf, rpm, pip, …).', severity: 'medium' },
  nonRoot: {
    summary: 'The container must not run as root: a non-zero runAsUser, or an image user that resolves to a non-zero uid (and a numeric one with runAsNonRoot).',
    severity: 'high',
  },
  noPrivilegeEscalation: {
    summary: 'Pod Security "restricted": not privileged, allowPrivilegeEscalation: false, no capabilities added beyond NET_BIND_SERVICE, drop: [ALL].',
    severity: 'high',
  },
  noDebugTag: { summary: 'In production: no :debug, :debug-nonroot or -debug image tags, and no debug variants by content.', severity: 'medium' },
  noDebugContainers: { summary: 'In production: no ephemeral containers (kubectl debug).', severity: 'medium' },
};
