import type { CommandDefinition } from './flags.js';
import { outputFlags } from './output-flag.js';
import { BATCH_INSPECTION_FLAGS } from './registry-flags.js';
import { KUBECONFIG_FLAGS } from './kubeconfig-flags.js';

export const AUDIT_FORMATS = ['table', 'json', 'yaml', 'html'] as const;

const flags = {
  ...KUBECONFIG_FLAGS,
  ...outputFlags(AUDIT_FORMATS, '; json and yaml follow schemas/audit-report.schema.json, html is a self-contained page'),
  'output-file': { type: 'string', value: 'FILE', help: 'write the report to FILE instead of standard output (-o FILE, a value that is no format, still says this)' },
  'write-reports': { type: 'boolean', help: 'write the results as PolicyReport objects (wgpolicyk8s.io/v1alpha2), one per namespace, replacing those an earlier audit wrote' },
  policy: { type: 'string', value: 'FILE', help: "judge by the DistrolessPolicy documents in FILE instead of the cluster's" },
  'guard-namespace': { type: 'string', value: 'NS', default: 'distroless-guard', help: "the guard's own namespace, never judged" },
  ...BATCH_INSPECTION_FLAGS,
} as const;

/** `audit`: what would switching the installed policies to Enforce break? (runner: audit.ts) */
export const AUDIT_COMMAND: CommandDefinition<typeof flags> = {
  name: 'audit',
  summary: 'which running workloads would an Enforce switch deny? optionally written as PolicyReports',
  description: `Lists the running pods of the cluster and judges them with the validating webhook's own rules against the
installed DistrolessPolicies as if every DryRun were Enforce (Disabled stays disabled): the workloads that an Enforce switch
would deny, grouped by namespace and owner (a Deployment, not each of its pods; a CronJob, not each Job), with a
summary line. Each image is judged by the digest the pod runs, and each distinct image inspected once. Exit 0 once
the audit is done (whatever it found), 1 when the cluster cannot be read, 2 for a usage error.`,
  flags,
};
