/** The DistrolessPolicy resource (distroless-guard.io/v1alpha1), the same document as a CRD object or a YAML file. */

export const POLICY_API_VERSION = 'distroless-guard.io/v1alpha1';
export const POLICY_KIND = 'DistrolessPolicy';

export const RULE_NAMES = ['noShell', 'noPackageManager', 'nonRoot', 'noPrivilegeEscalation', 'noDebugTag', 'noDebugContainers'] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export const MODES = ['Enforce', 'DryRun'] as const;
export type Mode = (typeof MODES)[number];
export const ACTIONS = ['Enforce', 'DryRun', 'Off'] as const;
export type Action = (typeof ACTIONS)[number];

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** Which admissions a policy applies to. Every field given must match (AND); globs use `*` and `?`. */
export interface ResourceFilter {
  readonly namespaces?: readonly string[];
  readonly namespaceSelector?: LabelSelector;
  readonly images?: readonly string[];
  /** Service account names as "namespace:name" globs, or "name" globs in any namespace. */
  readonly serviceAccounts?: readonly string[];
}

export interface RuleException {
  readonly images: readonly string[];
  readonly reason: string;
}

export interface RuleSpec {
  readonly action?: Action;
  readonly exceptions?: readonly RuleException[];
}

export interface MutateSpec {
  /** Default: spec.mode. DryRun reports the patch it would apply as a warning, without applying it. */
  readonly action?: Action;
  /** Harden securityContext fields the pod leaves unset. Default true. */
  readonly securityContext?: boolean;
}

export interface DistrolessPolicySpec {
  readonly mode?: Mode;
  readonly match?: ResourceFilter;
  readonly exclude?: ResourceFilter;
  readonly production?: { readonly namespaces?: readonly string[]; readonly namespaceSelector?: LabelSelector };
  /** What to do when image facts cannot be had in time (registry down, auth refused, deadline). */
  readonly failurePolicy?: 'Fail' | 'Ignore';
  readonly rules?: Partial<Record<RuleName, RuleSpec>>;
  readonly mutate?: MutateSpec;
}

export interface DistrolessPolicy {
  readonly apiVersion: typeof POLICY_API_VERSION;
  readonly kind: typeof POLICY_KIND;
  readonly metadata: { readonly name: string; readonly generation?: number };
  readonly spec: DistrolessPolicySpec;
}
