import { compileGlobs } from './glob.js';
import { compileSelector, describeSelector, type Labels } from './selector.js';
import { DEPRECATED_OFF, type Action, type ActionSpelling, type DistrolessPolicy, type InitContainerSpec, type MutateSpec, type PinDigestMode, type ResourceFilter, type RuleException, type RuleName } from './types.js';

export interface NamespaceInfo {
  readonly name: string;
  /** Includes kubernetes.io/metadata.name, which the API server sets on every Namespace. */
  readonly labels: Labels;
}

export interface PodScope {
  readonly namespace: NamespaceInfo;
  readonly serviceAccount: string;
}

/** Why a policy does or does not apply: a reason string, so every skip can be explained (logs, `check`). */
export type MatchResult = { readonly matched: true } | { readonly matched: false; readonly reason: string };

/** An init container declaration with its pod selector compiled. */
export interface CompiledInitContainer {
  /** The declaring policy's name. */
  readonly policy: string;
  readonly spec: InitContainerSpec;
  readonly allowRoot: boolean;
  /** Whether pods with these labels get it (no podSelector: every pod). */
  selects(podLabels: Labels): boolean;
}

/** spec.mutate with every default filled in. */
export interface CompiledMutate {
  readonly action: Action;
  readonly securityContext: boolean;
  readonly runAsUserFromImage: boolean;
  readonly rootFallbackUid: number | undefined;
  readonly readOnlyRootFilesystem: boolean;
  readonly writableDirs: readonly string[];
  readonly pinDigest: PinDigestMode;
  readonly initContainers: readonly CompiledInitContainer[];
}

export const DEFAULT_WRITABLE_DIRS: readonly string[] = ['/tmp'];

export interface CompiledPolicy {
  readonly name: string;
  readonly generation: number | undefined;
  readonly failurePolicy: 'Fail' | 'Ignore';
  readonly mutate: CompiledMutate;
  /** Whether this policy judges a container running `image` in this pod scope. */
  appliesTo(scope: PodScope, image: string): MatchResult;
  isProduction(namespace: NamespaceInfo): boolean;
  actionOf(rule: RuleName): Action;
  exceptionFor(rule: RuleName, image: string): RuleException | undefined;
  /** Whether pods may opt out of this rule by annotation (spec.rules.<rule>.allowOptOut). */
  allowsOptOut(rule: RuleName): boolean;
}

export interface CompileOptions {
  /** The guard's own namespace: never judged, so a broken guard cannot block its own repair. */
  readonly guardNamespace: string;
}

export const ALWAYS_EXCLUDED_NAMESPACES = ['kube-system'] as const;

/** Compiles globs and selectors once per policy change, not per admission. */
export function compilePolicies(policies: readonly DistrolessPolicy[], options: CompileOptions): CompiledPolicy[] {
  return policies.map((policy) => compilePolicy(policy, options));
}

export function compilePolicy(policy: DistrolessPolicy, options: CompileOptions): CompiledPolicy {
  const spec = policy.spec;
  const mode = spec.mode ?? 'DryRun';
  const match = compileFilter(spec.match ?? {});
  const exclude = compileFilter(spec.exclude ?? {});
  const excludeGiven = Object.values(spec.exclude ?? {}).some((field) => field !== undefined);
  const productionNames = compileGlobs(spec.production?.namespaces ?? []);
  const productionSelector = spec.production?.namespaceSelector ? compileSelector(spec.production.namespaceSelector) : undefined;
  const exceptions = new Map(
    Object.entries(spec.rules ?? {}).map(([rule, ruleSpec]) => [
      rule,
      (ruleSpec?.exceptions ?? []).map((e) => ({ exception: e, matches: compileGlobs(e.images) })),
    ]),
  );
  const builtinExcluded = new Set<string>([options.guardNamespace, ...ALWAYS_EXCLUDED_NAMESPACES]);

  return {
    name: policy.metadata.name,
    generation: policy.metadata.generation,
    failurePolicy: spec.failurePolicy ?? 'Fail',
    mutate: compileMutate(policy.metadata.name, spec.mutate ?? {}, actionOf(spec.mutate?.action ?? mode)),
    appliesTo(scope, image) {
      if (builtinExcluded.has(scope.namespace.name)) {
        return notMatched(`namespace ${scope.namespace.name} is always excluded (the guard must never block its own repair)`);
      }
      const missed = match.podMiss(scope) ?? match.imageMiss(image);
      if (missed) return notMatched(`does not match: ${missed}`);
      if (excludeGiven && !exclude.podMiss(scope) && !exclude.imageMiss(image)) return notMatched('excluded by spec.exclude');
      return MATCHED;
    },
    isProduction(namespace) {
      return productionNames(namespace.name) !== undefined || (productionSelector?.(namespace.labels) ?? false);
    },
    actionOf(rule) {
      return actionOf(spec.rules?.[rule]?.action ?? mode);
    },
    exceptionFor(rule, image) {
      return exceptions.get(rule)?.find((e) => matchesImage(e.matches, image))?.exception;
    },
    allowsOptOut(rule) {
      return spec.rules?.[rule]?.allowOptOut === true;
    },
  };
}

/** The deprecated spelling read as what it means (load.ts warns about it). */
export function actionOf(spelling: ActionSpelling): Action {
  return spelling === DEPRECATED_OFF ? 'Disabled' : spelling;
}

function compileMutate(policy: string, mutate: MutateSpec, action: Action): CompiledMutate {
  return {
    action,
    securityContext: mutate.securityContext ?? true,
    runAsUserFromImage: mutate.runAsUserFromImage ?? true,
    rootFallbackUid: mutate.rootFallbackUid,
    readOnlyRootFilesystem: mutate.readOnlyRootFilesystem ?? false,
    writableDirs: [...new Set(mutate.writableDirs ?? DEFAULT_WRITABLE_DIRS)],
    pinDigest: mutate.pinDigest ?? 'Production',
    initContainers: (mutate.initContainers ?? []).map((init) => {
      const selects = init.podSelector ? compileSelector(init.podSelector) : () => true;
      return { policy, spec: init, allowRoot: init.allowRoot ?? false, selects };
    }),
  };
}

/**
 * A pinned reference (`repo:tag@sha256:…`) also matches the globs written for its tag: digest pinning by the
 * mutating webhook must not take a container out of a policy, or out of an exception, that held before.
 */
function matchesImage(globs: (value: string) => string | undefined, image: string): boolean {
  const at = image.indexOf('@');
  return globs(image) !== undefined || (at !== -1 && globs(image.slice(0, at)) !== undefined);
}

const MATCHED: MatchResult = { matched: true };
const notMatched = (reason: string): MatchResult => ({ matched: false, reason });

/** A filter's fields are ANDed; each returns the reason it does not hold, or undefined when it holds (or is absent). */
function compileFilter(filter: ResourceFilter) {
  const namespaces = filter.namespaces ? compileGlobs(filter.namespaces) : undefined;
  const selector = filter.namespaceSelector ? compileSelector(filter.namespaceSelector) : undefined;
  const images = filter.images ? compileGlobs(filter.images) : undefined;
  const serviceAccounts = filter.serviceAccounts ? compileGlobs(filter.serviceAccounts) : undefined;
  return {
    podMiss(scope: PodScope): string | undefined {
      const ns = scope.namespace;
      if (namespaces && namespaces(ns.name) === undefined) return `namespace ${ns.name} is not in ${filter.namespaces?.join(', ')}`;
      if (selector && !selector(ns.labels)) return `namespace ${ns.name} labels do not match ${describeSelector(filter.namespaceSelector ?? {})}`;
      if (serviceAccounts) {
        const qualified = `${ns.name}:${scope.serviceAccount}`;
        if (serviceAccounts(qualified) === undefined && serviceAccounts(scope.serviceAccount) === undefined) {
          return `service account ${qualified} is not in ${filter.serviceAccounts?.join(', ')}`;
        }
      }
      return undefined;
    },
    imageMiss(image: string): string | undefined {
      if (images && !matchesImage(images, image)) return `image ${image} is not in ${filter.images?.join(', ')}`;
      return undefined;
    },
  };
}
