import type { V1Container, V1PodSpec } from '@kubernetes/client-node';

/**
 * The security settings a container actually runs with: Kubernetes lets the container's securityContext override
 * the pod's for runAsUser, runAsGroup, runAsNonRoot, seccompProfile (and SELinux/Windows options); privilege,
 * escalation and capabilities exist only on the container.
 */
export interface EffectiveSecurity {
  readonly runAsUser: number | undefined;
  readonly runAsGroup: number | undefined;
  readonly runAsNonRoot: boolean | undefined;
  readonly seccompProfileType: string | undefined;
  readonly privileged: boolean | undefined;
  readonly allowPrivilegeEscalation: boolean | undefined;
  readonly capabilitiesAdd: readonly string[];
  readonly capabilitiesDrop: readonly string[] | undefined;
  readonly readOnlyRootFilesystem: boolean | undefined;
  /** spec.os.name: windows pods may not set Linux-only fields (the API server rejects them). */
  readonly windows: boolean;
}

export function effectiveSecurity(spec: V1PodSpec, container: V1Container): EffectiveSecurity {
  const pod = spec.securityContext ?? {};
  const own = container.securityContext ?? {};
  return {
    runAsUser: own.runAsUser ?? pod.runAsUser ?? undefined,
    runAsGroup: own.runAsGroup ?? pod.runAsGroup ?? undefined,
    runAsNonRoot: own.runAsNonRoot ?? pod.runAsNonRoot ?? undefined,
    seccompProfileType: own.seccompProfile?.type ?? pod.seccompProfile?.type ?? undefined,
    privileged: own.privileged ?? undefined,
    allowPrivilegeEscalation: own.allowPrivilegeEscalation ?? undefined,
    capabilitiesAdd: own.capabilities?.add ?? [],
    capabilitiesDrop: own.capabilities?.drop ?? undefined,
    readOnlyRootFilesystem: own.readOnlyRootFilesystem ?? undefined,
    windows: spec.os?.name === 'windows',
  };
}

/** Capability names may be written with or without the CAP_ prefix, in any case. */
export function normaliseCapability(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

/** capabilities.drop includes ALL (however written). */
export function dropsAll(drop: readonly string[] | undefined): boolean {
  return drop !== undefined && drop.some((c) => c === 'ALL' || normaliseCapability(c) === 'ALL');
}
