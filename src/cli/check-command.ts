import type { CommandDefinition } from './flags.js';
import { outputFlags } from './output-flag.js';
import { BATCH_INSPECTION_FLAGS } from './registry-flags.js';

export const CHECK_FORMATS = ['table', 'json', 'yaml', 'sarif'] as const;

const flags = {
  filename: { type: 'string', short: 'f', multiple: true, value: 'PATH', help: 'a manifest file, a directory of .yaml/.yml/.json files, or - for standard input (multi-document YAML, List kinds, helm template or kustomize build output)' },
  recursive: { type: 'boolean', short: 'R', help: 'read directories recursively' },
  policy: { type: 'string', value: 'FILE', help: 'DistrolessPolicy documents to judge by (default: the embedded default policy)' },
  namespace: { type: 'string', short: 'n', value: 'NS', default: 'default', help: 'namespace of objects that name none' },
  'namespace-labels': { type: 'string', multiple: true, value: 'NS=k=v,...', help: 'labels of namespace NS, as the cluster would have them' },
  ...outputFlags(CHECK_FORMATS, '; json and yaml follow schemas/check-report.schema.json, sarif is SARIF 2.1.0'),
  ...BATCH_INSPECTION_FLAGS,
} as const;

/** `check`: would the guard admit these manifests? (runner: check.ts) */
export const CHECK_COMMAND: CommandDefinition<typeof flags> = {
  name: 'check',
  summary: 'would these manifests be admitted? decisions, violated rules and patches, before kubectl apply',
  description: `Evaluates every Pod and pod-template workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicaSet,
ReplicationController, PodTemplate) in the manifests exactly as the admission webhooks would on a CREATE: the
mutating webhook's patch is applied, then the validating webhook judges, images inspected in their registries.
Prints per object the decision (allowed, allowed with warnings, denied), the violated rules with their messages,
and the patch the mutating webhook would apply (as JSON Patch and as a diff). Exit 0 when everything would be
admitted, 1 when something would be denied, 2 for a usage or input error (bad YAML: file and line).`,
  flags,
};
