import type { V1PodSpec, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { FactsResult } from '../rules/types.js';
import { below, patchOps, pointer, pointerOf, type JsonPatchOperation, type PatchPath } from '../shared/json-patch.js';
import { effectiveSecurity, type EffectiveSecurity } from '../workload/security-context.js';
import type { ContainerTarget } from '../workload/targets.js';
import { kept, type Change, type Note } from './change.js';
import { describeFields, planHardening, securityContextOperations } from './harden.js';
import type { MutationSettings } from './mutation-settings.js';
import { hasDigest, pinnedImage } from './pin-digest.js';
import { planRunAsUser } from './run-as-user.js';
import { planWritableDirs } from './writable-dirs.js';

export interface ContainerMutationInput {
  readonly spec: V1PodSpec;
  readonly target: ContainerTarget;
  readonly settings: MutationSettings;
  readonly facts: FactsResult;
  /** Volume names in use in the pod (its own and those already planned). */
  readonly takenVolumeNames: ReadonlySet<string>;
  /** Mounts already planned for this container (an injected init container's shared volume), before this plan's. */
  readonly plannedMounts?: readonly V1VolumeMount[];
  /** An injected init container its policy lets run as root. */
  readonly allowRoot?: boolean;
}

/** Everything one container gets. Empty fields mean nothing to do. */
export interface ContainerMutation {
  /** The pinned image reference, when pinned. */
  readonly image: string | undefined;
  /** securityContext fields to add, in order: hardening, runAsUser/runAsGroup, readOnlyRootFilesystem. */
  readonly securityContext: Readonly<Record<string, unknown>>;
  /** Mounts to add: `plannedMounts` first, then emptyDirs for writable directories. */
  readonly volumeMounts: readonly V1VolumeMount[];
  /** Pod volumes the new writable-directory mounts need. */
  readonly volumes: readonly V1Volume[];
  readonly changes: readonly Change[];
  readonly notes: readonly Note[];
}

/**
 * Plans one container's mutation: pure, from the pod spec, the container, the settings of the policies that apply
 * and the image's facts. Never replaces what the pod sets; what it keeps or cannot do becomes a note. Without image
 * facts the fact-dependent parts (runAsUser from the image, a missing /tmp, digest pinning) are skipped, with a note
 * when inspection failed (an offline guard, which inspects nothing by choice, stays quiet).
 */
export function planContainer(input: ContainerMutationInput): ContainerMutation {
  const { spec, target, settings, facts } = input;
  const container = target.container;
  const want = wantsOf(spec, target, settings);
  const { security } = want;
  const known = facts.kind === 'known' ? facts.facts : undefined;
  const securityContext: Record<string, unknown> = {};
  const changes: Change[] = [];
  const notes: Note[] = [];
  const skipped: string[] = [];

  if (settings.harden) {
    const hardening = planHardening(spec, target, { allowRoot: input.allowRoot === true, security });
    Object.assign(securityContext, hardening.fields);
    notes.push(...hardening.conflicts.map(kept));
  }

  if (want.runAsUser) {
    if (known) {
      const runAs = planRunAsUser(security, known, {
        runAsUserFromImage: settings.runAsUserFromImage,
        rootFallbackUid: settings.rootFallbackUid,
        allowRoot: input.allowRoot === true,
      });
      Object.assign(securityContext, runAs.fields);
      notes.push(...runAs.notes);
    } else skipped.push('runAsUser');
  }

  if (want.readOnlyRoot) {
    if (security.readOnlyRootFilesystem === undefined) securityContext['readOnlyRootFilesystem'] = true;
    else if (security.readOnlyRootFilesystem === false) notes.push(kept('readOnlyRootFilesystem: false is set explicitly; left as is'));
  }
  changes.push(...describeFields(securityContext).map((text) => ({ kind: 'harden' as const, text })));

  const plannedMounts = input.plannedMounts ?? [];
  const volumeMounts: V1VolumeMount[] = [...plannedMounts];
  const volumes: V1Volume[] = [];
  changes.push(...plannedMounts.map((mount) => ({ kind: 'mount' as const, text: `volume ${mount.name} at ${mount.mountPath}` })));
  if (want.writableDirs !== 'no') {
    const reason = want.writableDirs === 'read-only root' ? 'read-only root filesystem' : known?.hasTmpDir === false ? 'image has no /tmp' : undefined;
    if (reason !== undefined) {
      const writable = planWritableDirs({
        containerName: target.name,
        existingMounts: container.volumeMounts ?? [],
        plannedMountPaths: plannedMounts.map((mount) => mount.mountPath),
        dirs: settings.writableDirs,
        reason,
        takenVolumeNames: input.takenVolumeNames,
      });
      volumeMounts.push(...writable.mounts);
      volumes.push(...writable.volumes);
      changes.push(...writable.changes);
      notes.push(...writable.notes);
    } else if (!known) skipped.push('writable dirs');
  }

  let image: string | undefined;
  if (want.pin) {
    if (known) {
      image = pinnedImage(target.image, known.digest);
      if (image !== undefined) changes.push({ kind: 'pin', text: `image ${image}` });
    } else skipped.push('digest pinning');
  }

  if (facts.kind === 'unavailable' && skipped.length > 0) {
    notes.push({ what: 'no image facts for', text: `${facts.reason}; skipped: ${skipped.join(', ')}` });
  }
  return { image, securityContext, volumeMounts, volumes, changes, notes };
}

interface Wants {
  readonly security: EffectiveSecurity;
  /** runAsUser from the image or the root fallback: the pod sets no runAsUser (and is not a Windows pod). */
  readonly runAsUser: boolean;
  readonly readOnlyRoot: boolean;
  /** Writable directories: needed for a read-only root; for a writable one, only if the image has no /tmp. */
  readonly writableDirs: 'no' | 'read-only root' | 'if no /tmp';
  readonly pin: boolean;
}

function wantsOf(spec: V1PodSpec, target: ContainerTarget, settings: MutationSettings): Wants {
  const security = effectiveSecurity(spec, target.container);
  // The ephemeralcontainers subresource may change nothing but ephemeral containers: no pod volumes for them.
  const mountable = target.kind !== 'ephemeralContainer' && !security.windows;
  const readOnlyRoot = settings.readOnlyRootFilesystem && mountable;
  const readOnlyInEffect = security.readOnlyRootFilesystem === true || (readOnlyRoot && security.readOnlyRootFilesystem === undefined);
  return {
    security,
    runAsUser: (settings.runAsUserFromImage || settings.rootFallbackUid !== undefined) && security.runAsUser === undefined && !security.windows,
    readOnlyRoot,
    writableDirs: !mountable || settings.writableDirs.length === 0 ? 'no' : readOnlyInEffect ? 'read-only root' : 'if no /tmp',
    pin: settings.pinDigest && target.image !== '' && !hasDigest(target.image),
  };
}

/** Whether planning this container would use its image's facts: the caller inspects the image only then. */
export function needsFacts(spec: V1PodSpec, target: ContainerTarget, settings: MutationSettings): boolean {
  if (target.image === '') return false;
  const want = wantsOf(spec, target, settings);
  return want.runAsUser || want.pin || want.writableDirs === 'if no /tmp';
}

/** The operations for an existing container: its image, then its securityContext, then its volumeMounts. */
export function containerOperations(target: ContainerTarget, mutation: ContainerMutation): JsonPatchOperation[] {
  const path = pointer(target.path);
  const operations = securityContextOperations(path, target.container.securityContext, mutation.securityContext);
  if (mutation.image !== undefined) operations.unshift(patchOps.replace(below(path, 'image'), mutation.image));
  operations.push(...appendOperations(below(path, 'volumeMounts'), target.container.volumeMounts, mutation.volumeMounts));
  return operations;
}

/** Appends items to a list: an absent (or null) list is created whole, an existing one appended to with "-". */
export function appendOperations(path: PatchPath, existing: readonly unknown[] | null | undefined, items: readonly unknown[]): JsonPatchOperation[] {
  if (items.length === 0) return [];
  if (existing === undefined || existing === null) return [patchOps.add(path, [...items])];
  const end = below(pointerOf(path), '-');
  return items.map((item) => patchOps.add(end, item));
}
