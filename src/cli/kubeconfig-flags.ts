import type { FlagSpecs } from './flags.js';

/** How a command that reads a cluster finds it, spelled as kubectl spells it. */
export const KUBECONFIG_FLAGS = {
  kubeconfig: { type: 'string', value: 'FILE', help: 'kubeconfig to use (default: every file of $KUBECONFIG merged as kubectl merges them, else ~/.kube/config, else in-cluster)' },
  context: { type: 'string', value: 'NAME', help: 'kubeconfig context to use (default: the current one)' },
} as const satisfies FlagSpecs;
