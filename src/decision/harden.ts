import type { V1PodSpec } from '@kubernetes/client-node';
import { below, patchOps, pointerOf, type JsonPatchOperation, type PatchPath } from '../shared/json-patch.js';
import { isEmptyRecord } from '../shared/records.js';
import { dropsAll, effectiveSecurity, normaliseCapability, type EffectiveSecurity } from '../workload/security-context.js';
import type { ContainerTarget } from '../workload/targets.js';

export interface HardeningPlan {
  /** The securityContext fields to add, in a fixed order. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Explicit user choices that contradict hardening: reported, never overwritten. */
  readonly conflicts: readonly string[];
}

/**
 * Plans the securityContext fields to add to one container where the pod leaves them unset (effective value:
 * container over pod). Never replaces what is set. Avoids combinations the API server rejects
 * (allowPrivilegeEscalation: false with privileged: true or with CAP_SYS_ADMIN added) and Linux-only fields on
 * Windows pods (spec.os.name: windows). `allowRoot` (an injected init container a policy lets run as root) leaves
 * runAsNonRoot alone, since kubelet would refuse to start a root image under it.
 */
export function planHardening(
  spec: V1PodSpec,
  target: ContainerTarget,
  options: { readonly allowRoot?: boolean; readonly security?: EffectiveSecurity } = {},
): HardeningPlan {
  const security = options.security ?? effectiveSecurity(spec, target.container);
  const fields: Record<string, unknown> = {};
  const conflicts: string[] = [];

  if (options.allowRoot !== true) {
    if (security.runAsNonRoot === false) conflicts.push('runAsNonRoot: false is set explicitly; left as is');
    else if (security.runAsNonRoot === undefined) {
      if (security.runAsUser === 0) conflicts.push('runAsUser: 0 is set explicitly; runAsNonRoot left unset');
      else fields['runAsNonRoot'] = true;
    }
  }
  if (!security.windows) {
    if (security.allowPrivilegeEscalation === undefined) {
      const sysAdmin = security.capabilitiesAdd.some((c) => normaliseCapability(c) === 'SYS_ADMIN');
      if (security.privileged === true) conflicts.push('privileged: true is set; allowPrivilegeEscalation left unset');
      else if (sysAdmin) conflicts.push('CAP_SYS_ADMIN is added; allowPrivilegeEscalation left unset');
      else fields['allowPrivilegeEscalation'] = false;
    } else if (security.allowPrivilegeEscalation) conflicts.push('allowPrivilegeEscalation: true is set explicitly; left as is');
    if (security.seccompProfileType === undefined) fields['seccompProfile'] = { type: 'RuntimeDefault' };
    else if (security.seccompProfileType === 'Unconfined') conflicts.push('seccompProfile Unconfined is set explicitly; left as is');
    if (security.capabilitiesDrop === undefined) fields['capabilities'] = { drop: ['ALL'] };
    else if (!dropsAll(security.capabilitiesDrop)) {
      conflicts.push('capabilities.drop is set without ALL; left as is');
    }
  }

  return { fields, conflicts };
}

/**
 * Adds securityContext fields to a container. An absent parent is created whole (RFC 6902 `add` needs the parent to
 * exist); otherwise fields are added one by one, and `capabilities` beside an existing capabilities object only
 * gets its `drop` list.
 */
export function securityContextOperations(
  containerPath: PatchPath,
  own: { capabilities?: unknown } | null | undefined,
  fields: Readonly<Record<string, unknown>>,
): JsonPatchOperation[] {
  if (isEmptyRecord(fields)) return [];
  const scPath = below(pointerOf(containerPath), 'securityContext');
  if (!own) return [patchOps.add(scPath, fields)];
  const operations: JsonPatchOperation[] = [];
  for (const field in fields) {
    const value = fields[field];
    operations.push(field === 'capabilities' && own.capabilities ? patchOps.add(below(scPath, 'capabilities', 'drop'), ['ALL']) : patchOps.add(below(scPath, field), value));
  }
  return operations;
}

/** "runAsNonRoot: true", "capabilities.drop: [ALL]", "seccompProfile: RuntimeDefault", "runAsUser: 65532". */
export function describeFields(fields: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(fields).map(([field, value]) => {
    if (field === 'seccompProfile') return 'seccompProfile: RuntimeDefault';
    if (field === 'capabilities') return 'capabilities.drop: [ALL]';
    return `${field}: ${String(value)}`;
  });
}
