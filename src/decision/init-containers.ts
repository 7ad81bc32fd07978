import type { V1Container, V1EnvVar, V1PodSpec, V1ResourceRequirements } from '@kubernetes/client-node';
import type { CompiledInitContainer, CompiledPolicy, PodScope } from '../policy/compile.js';
import type { ContainerTarget, PodTarget } from '../workload/targets.js';
import { hasDigest } from './pin-digest.js';

export interface Declaration {
  readonly policy: CompiledPolicy;
  readonly init: CompiledInitContainer;
}

/**
 * The init containers declared for this pod: by each policy that judges at least one of its app containers, when
 * the declaration's podSelector selects the pod's labels (for a workload: its pod template's).
 */
export function declarationsFor(target: Pick<PodTarget, 'spec' | 'podLabels'>, scope: PodScope, policies: readonly CompiledPolicy[]): Declaration[] {
  if (!policies.some((policy) => policy.mutate.initContainers.length > 0)) return [];
  const images = (target.spec.containers ?? []).map((c) => c.image ?? '');
  return policies
    .filter((policy) => images.some((image) => policy.appliesTo(scope, image).matched))
    .flatMap((policy) => policy.mutate.initContainers.filter((init) => init.selects(target.podLabels)).map((init) => ({ policy, init })));
}

/** The declaration an init container was injected from, recognised by name and image (the image possibly pinned since). */
export function injectedFrom(container: ContainerTarget, declarations: readonly Declaration[]): Declaration | undefined {
  if (container.kind !== 'initContainer') return undefined;
  return declarations.find(({ init }) => init.spec.name === container.name && sameImage(container.image, init.spec.image));
}

/** `declared`, or `declared@sha256:…` when the declaration names no digest (digest pinning adds one). */
export function sameImage(actual: string, declared: string): boolean {
  return actual === declared || (!hasDigest(declared) && actual.startsWith(`${declared}@`));
}

/** The container to inject, before mutation planning gives it a securityContext (and perhaps a pinned image). */
export function initContainerBody(init: CompiledInitContainer): V1Container {
  const { spec } = init;
  return {
    name: spec.name,
    image: spec.image,
    ...(spec.command ? { command: [...spec.command] } : {}),
    ...(spec.args ? { args: [...spec.args] } : {}),
    ...(spec.env ? { env: structuredClone(spec.env) as V1EnvVar[] } : {}),
    ...(spec.resources ? { resources: structuredClone(spec.resources) as V1ResourceRequirements } : {}),
    volumeMounts: [{ name: spec.volume.name, mountPath: spec.volume.mountPath }],
  };
}

/** Every container name of the pod: init containers share one namespace of names with the others. */
export function containerNames(spec: V1PodSpec): Set<string> {
  return new Set([...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name ?? ''));
}
