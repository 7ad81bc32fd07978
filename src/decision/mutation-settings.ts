import type { CompiledPolicy, NamespaceInfo, PodScope } from '../policy/compile.js';

/** What mutation does to one container, resolved for the admission's namespace. */
export interface MutationSettings {
  /** The hardening defaults of planHardening (spec.mutate.securityContext). */
  readonly harden: boolean;
  readonly runAsUserFromImage: boolean;
  readonly rootFallbackUid: number | undefined;
  readonly readOnlyRootFilesystem: boolean;
  readonly writableDirs: readonly string[];
  /** pinDigest resolved: Always, or Production in a production namespace of the policy. */
  readonly pinDigest: boolean;
}

export const NO_MUTATION: MutationSettings = {
  harden: false,
  runAsUserFromImage: false,
  rootFallbackUid: undefined,
  readOnlyRootFilesystem: false,
  writableDirs: [],
  pinDigest: false,
};

/** One policy's spec.mutate for this namespace. */
export function settingsOf(policy: CompiledPolicy, namespace: NamespaceInfo): MutationSettings {
  const { mutate } = policy;
  return {
    harden: mutate.securityContext,
    runAsUserFromImage: mutate.runAsUserFromImage,
    rootFallbackUid: mutate.rootFallbackUid,
    readOnlyRootFilesystem: mutate.readOnlyRootFilesystem,
    writableDirs: mutate.writableDirs,
    pinDigest: mutate.pinDigest === 'Always' || (mutate.pinDigest === 'Production' && policy.isProduction(namespace)),
  };
}

/**
 * Several policies applying to one container: every mutation any of them asks for, writable dirs united in order,
 * the first rootFallbackUid given (policies are read in order, as in the policy file).
 */
export function mergeSettings(settings: readonly MutationSettings[]): MutationSettings {
  if (settings.length <= 1) return settings[0] ?? NO_MUTATION;
  return settings.reduce<MutationSettings>(
    (merged, next) => ({
      harden: merged.harden || next.harden,
      runAsUserFromImage: merged.runAsUserFromImage || next.runAsUserFromImage,
      rootFallbackUid: merged.rootFallbackUid ?? next.rootFallbackUid,
      readOnlyRootFilesystem: merged.readOnlyRootFilesystem || next.readOnlyRootFilesystem,
      writableDirs: [...new Set([...merged.writableDirs, ...next.writableDirs])],
      pinDigest: merged.pinDigest || next.pinDigest,
    }),
    NO_MUTATION,
  );
}

function sameSettings(a: MutationSettings, b: MutationSettings): boolean {
  if (a === b) return true;
  return (
    a.harden === b.harden &&
    a.runAsUserFromImage === b.runAsUserFromImage &&
    a.rootFallbackUid === b.rootFallbackUid &&
    a.readOnlyRootFilesystem === b.readOnlyRootFilesystem &&
    a.pinDigest === b.pinDigest &&
    a.writableDirs.length === b.writableDirs.length &&
    a.writableDirs.every((dir, i) => dir === b.writableDirs[i])
  );
}

/** The merged settings of the active policies that judge one container: what is patched, and what DryRun describes. */
export interface ImageSettings {
  /** The Enforce policies' settings (what is patched). */
  readonly enforced: MutationSettings;
  /** Every active policy's settings: the same object as `enforced` when the DryRun policies add nothing to it. */
  readonly all: MutationSettings;
}

/** The settings for a container running `image`, each applying policy matched once for both views. */
export function settingsForImage(policies: readonly CompiledPolicy[], scope: PodScope, image: string): ImageSettings {
  const enforced: MutationSettings[] = [];
  const all: MutationSettings[] = [];
  for (const policy of policies) {
    if (policy.mutate.action === 'Disabled' || !policy.appliesTo(scope, image).matched) continue;
    const settings = settingsOf(policy, scope.namespace);
    all.push(settings);
    if (policy.mutate.action === 'Enforce') enforced.push(settings);
  }
  const mergedEnforced = mergeSettings(enforced);
  const mergedAll = all.length === enforced.length ? mergedEnforced : mergeSettings(all);
  return { enforced: mergedEnforced, all: sameSettings(mergedAll, mergedEnforced) ? mergedEnforced : mergedAll };
}
