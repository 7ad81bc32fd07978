import type { V1Container, V1PodSpec, V1SecurityContext } from '@kubernetes/client-node';

/**
 * The kube-apiserver validation rules a mutation patch can trip (pkg/apis/core/validation/validation.go):
 * used by tests to prove every patched pod is one the API server accepts and kubelet can start.
 */
export function kubernetesErrors(spec: V1PodSpec): string[] {
  const errors: string[] = [];
  const windows = spec.os?.name === 'windows';
  const lists = [spec.containers ?? [], spec.initContainers ?? [], spec.ephemeralContainers ?? []] as V1Container[][];
  const volumeNames = new Set((spec.volumes ?? []).map((v) => v.name));
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
      for (const field of [
        'seccompProfile',
        'capabilities',
        'privileged',
        'allowPrivilegeEscalation',
        'readOnlyRootFilesystem',
        'runAsUser',
        'runAsGroup',
      ] as const) {
        if (sc[field] !== undefined) errors.push(`${where}: ${field} may not be set on a windows pod`);
      }
    }
    // kubelet (not the API server): "container's runAsUser breaks non-root policy"
    const runAsUser = sc.runAsUser ?? spec.securityContext?.runAsUser;
    const runAsNonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
    if (runAsNonRoot === true && runAsUser === 0) errors.push(`${where}: runAsUser 0 breaks non-root policy (kubelet)`);
    // validateVolumeMounts: every mount names a pod volume; mountPath unique within the container.
    const paths = new Set<string>();
    for (const mount of container.volumeMounts ?? []) {
      if (!volumeNames.has(mount.name)) errors.push(`${where}: volumeMount ${mount.name} names no volume`);
      if (paths.has(mount.mountPath)) errors.push(`${where}: mountPath ${mount.mountPath} must be unique`);
      if (!mount.mountPath.startsWith('/')) errors.push(`${where}: mountPath ${mount.mountPath} must be absolute`);
      paths.add(mount.mountPath);
    }
  }
  // validateContainers/validateInitContainers: one namespace of names for every container of the pod.
  const names = lists.flat().map((c) => c.name);
  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i))) errors.push(`container name ${name} is used twice`);
  // validateVolumes: names are unique RFC 1123 labels.
  const volumes = (spec.volumes ?? []).map((v) => v.name);
  for (const name of new Set(volumes.filter((n, i) => volumes.indexOf(n) !== i))) errors.push(`volume name ${name} is used twice`);
  for (const name of volumes) if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) errors.push(`volume name ${name} is not a DNS label`);
  return errors;
}
