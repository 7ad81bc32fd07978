/** The DistrolessPolicy resource (distroless-guard.io/v1alpha1), the same document as a CRD object or a YAML file. */

export const POLICY_API_VERSION = 'distroless-guard.io/v1alpha1';
export const POLICY_KIND = 'DistrolessPolicy';

export const RULE_NAMES = ['noShell', 'noPackageManager', 'nonRoot', 'noPrivilegeEscalation', 'noDebugTag', 'noDebugContainers'] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export const MODES = ['Enforce', 'DryRun'] as const;
export type Mode = (typeof MODES)[number];
export const ACTIONS = ['Enforce', 'DryRun', 'Disabled'] as const;
export type Action = (typeof ACTIONS)[number];
/**
 * The old spelling of Disabled, still read (with a deprecation warning): unquoted, YAML 1.1 readers such as kubectl
 * take `Off` for the boolean false, which the API server then refuses as not a string.
 */
export const DEPRECATED_OFF = 'Off';
/** An action as a document may spell it. */
export type ActionSpelling = Action | typeof DEPRECATED_OFF;

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
  readonly action?: ActionSpelling;
  /**
   * Lets a pod opt out of this rule with the annotation distroless-guard.io/opt-out (naming the rule) and a
   * distroless-guard.io/opt-out-reason; audited. Default false: no opt-out.
   */
  readonly allowOptOut?: boolean;
  readonly exceptions?: readonly RuleException[];
}

export const PIN_DIGEST_MODES = ['Always', 'Production', 'Never'] as const;
export type PinDigestMode = (typeof PIN_DIGEST_MODES)[number];

/** A Kubernetes EnvVar (core/v1): a literal value or a valueFrom source, passed through as written. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: Readonly<Record<string, unknown>>;
}

/** Kubernetes ResourceRequirements (core/v1): quantities as strings ("100m", "64Mi") or numbers. */
export interface ResourceRequirements {
  readonly limits?: Readonly<Record<string, string | number>>;
  readonly requests?: Readonly<Record<string, string | number>>;
}

/**
 * An init container injected into matching pods: it runs the set-up that needs a shell (which the distroless app
 * image lacks) and leaves its results in an emptyDir volume that every app container mounts at the same path.
 */
export interface InitContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly resources?: ResourceRequirements;
  /** Pod labels (of a Pod, or of a workload's pod template) that select the pods to inject into; absent: every pod. */
  readonly podSelector?: LabelSelector;
  /** The emptyDir shared with the app containers. */
  readonly volume: { readonly name: string; readonly mountPath: string };
  /** Exempt the init container from nonRoot (it is always exempt from noShell). Default false. */
  readonly allowRoot?: boolean;
}

export interface MutateSpec {
  /** Default: spec.mode. DryRun reports the patch it would apply as a warning, without applying it. */
  readonly action?: ActionSpelling;
  /** Harden securityContext fields the pod leaves unset. Default true. */
  readonly securityContext?: boolean;
  /** Set runAsUser/runAsGroup to the uid/gid the image's user resolves to, when the pod sets no runAsUser. Default true. */
  readonly runAsUserFromImage?: boolean;
  /** runAsUser for an image whose user is root; absent: left unset, with a warning. */
  readonly rootFallbackUid?: number;
  /** Set readOnlyRootFilesystem: true where unset. Default false. */
  readonly readOnlyRootFilesystem?: boolean;
  /** emptyDir mounts where the root filesystem is read-only or the image has no /tmp. Default ["/tmp"]. */
  readonly writableDirs?: readonly string[];
  /** Rewrite `repo:tag` to `repo:tag@sha256:…` (the digest inspected). Default Production. */
  readonly pinDigest?: PinDigestMode;
  readonly initContainers?: readonly InitContainerSpec[];
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
