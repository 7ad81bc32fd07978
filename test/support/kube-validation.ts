import type { V1Container, V1PodSpec, V1SecurityContext } from '@kubernetes/client-node';

/**
 * The kube-apiserver validation rules a hardening patch can trip (pkg/apis/core/validation/validation.go):
 * used by tests to prove every patched pod is one the API server accepts and kubelet can start.
 */
export function kubernetesErrors(spec: V1PodSpec): string[] {
  const errors: string[] = [];
  const windows = spec.os?.name === 'windows';
  const lists = [spec.containers ?? [], spec.initContainers ?? [], spec.ephemeralContainers ?? []] as V1Container[][];
  for (const container of lists.flat()) {
    const sc: V1SecurityContext = container.securityContext ?? {};
    const where = `container ${container.name}`;
    // validateSecurityContext: "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"
    if (sc.allowPrivilegeEscalation === false && sc.privileged === true) errors.push(`${where}: allowPrivilegeEscalation false with privileged`);
    // "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"
    if (sc.allowPrivilegeEscalation === false && (sc.capabilities?.add ?? []).some((c) => c.replace(/^CAP_/, '') === 'SYS_ADMIN')) {
      errors.push(`${where}: allowPrivilegeEscalation false with CAP_SYS_ADMIN`);
    }
    for (const field of ['runAsUser', 'runAsGroup'] as const) {
      const value = sc[field];
      if (value !== undefined && (value < 0 || value > 2147483647)) errors.push(`${where}: ${field} out of range`);
    }
    if (sc.seccompProfile && !['RuntimeDefault', 'Unconfined', 'Localhost'].includes(sc.seccompProfile.type)) errors.push(`${where}: bad seccompProfile.type`);
    if (sc.seccompProfile?.type === 'Localhost' && !sc.seccompProfile.localhostProfile) errors.push(`${where}: Localhost seccomp without localhostProfile`);
    // validateWindows: Linux-only fields are forbidden when spec.os.name is windows.
    if (windows) {
      for (const field of ['seccompProfile', 'capabilities', 'privileged', 'allowPrivilegeEscalation', 'readOnlyRootFilesystem', 'runAsUser', 'runAsGroup'] as const) {
        if (sc[field] !== undefined) errors.push(`${where}: ${field} may not be set on a windows pod`);
      }
    }
    // kubelet (not the API server): "container's runAsUser breaks non-root policy"
    const runAsUser = sc.runAsUser ?? spec.securityContext?.runAsUser;
    const runAsNonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
    if (runAsNonRoot === true && runAsUser === 0) errors.push(`${where}: runAsUser 0 breaks non-root policy (kubelet)`);
  }
  return errors;
}
