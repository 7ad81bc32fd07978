import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { isJsonObject } from '../admission/decode.js';

/**
 * The API server decodes objects into typed structs before calling webhooks, so a real request always has the
 * right types; anything else comes from a broken client. We check the fields we read instead of trusting a cast.
 */
export class WorkloadShapeError extends Error {
  override readonly name = 'WorkloadShapeError';
}

const BOOLEAN_FIELDS = ['runAsNonRoot', 'privileged', 'allowPrivilegeEscalation', 'readOnlyRootFilesystem'] as const;
const INTEGER_FIELDS = ['runAsUser', 'runAsGroup', 'fsGroup'] as const;
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

export function assertPodSpec(value: unknown, where: string): asserts value is V1PodSpec {
  if (!isJsonObject(value)) throw new WorkloadShapeError(`${where} must be an object`);
  for (const list of CONTAINER_LISTS) {
    const containers = value[list];
    if (containers === undefined || containers === null) continue;
    if (!Array.isArray(containers)) throw new WorkloadShapeError(`${where}.${list} must be an array`);
    containers.forEach((c: unknown, i) => assertContainer(c, `${where}.${list}[${i}]`));
  }
  assertSecurityContext(value['securityContext'], `${where}.securityContext`);
  assertOptionalString(value['serviceAccountName'], `${where}.serviceAccountName`);
  assertObjectList(value['imagePullSecrets'], `${where}.imagePullSecrets`, ['name']);
  assertObjectList(value['volumes'], `${where}.volumes`, ['name']);
  const os = value['os'];
  if (os !== undefined && os !== null && (!isJsonObject(os) || typeof os['name'] !== 'string')) {
    throw new WorkloadShapeError(`${where}.os.name must be a string`);
  }
}

function assertContainer(value: unknown, where: string): asserts value is V1Container {
  if (!isJsonObject(value)) throw new WorkloadShapeError(`${where} must be an object`);
  for (const key of ['name', 'image'] as const) {
    const field = value[key];
    if (field !== undefined && field !== null && typeof field !== 'string') throw new WorkloadShapeError(`${where}.${key} must be a string`);
  }
  assertSecurityContext(value['securityContext'], `${where}.securityContext`);
  assertObjectList(value['volumeMounts'], `${where}.volumeMounts`, ['name', 'mountPath']);
}

function assertOptionalString(value: unknown, where: string): void {
  if (value !== undefined && value !== null && typeof value !== 'string') throw new WorkloadShapeError(`${where} must be a string`);
}

/** A list the review reads (pull secrets, volumes, mounts): an array of objects whose `keys` are strings when set. */
function assertObjectList(value: unknown, where: string, keys: readonly string[]): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) throw new WorkloadShapeError(`${where} must be an array`);
  value.forEach((item: unknown, i) => {
    if (!isJsonObject(item)) throw new WorkloadShapeError(`${where}[${i}] must be an object`);
    for (const key of keys) assertOptionalString(item[key], `${where}[${i}].${key}`);
  });
}

function assertSecurityContext(value: unknown, where: string): void {
  if (value === undefined || value === null) return;
  if (!isJsonObject(value)) throw new WorkloadShapeError(`${where} must be an object`);
  for (const key of BOOLEAN_FIELDS) {
    const field = value[key];
    if (field !== undefined && field !== null && typeof field !== 'boolean') throw new WorkloadShapeError(`${where}.${key} must be a boolean`);
  }
  for (const key of INTEGER_FIELDS) {
    const field = value[key];
    if (field !== undefined && field !== null && !Number.isSafeInteger(field)) throw new WorkloadShapeError(`${where}.${key} must be an integer`);
  }
  const caps = value['capabilities'];
  if (caps !== undefined && caps !== null) {
    if (!isJsonObject(caps)) throw new WorkloadShapeError(`${where}.capabilities must be an object`);
    for (const key of ['add', 'drop'] as const) {
      const list = caps[key];
      if (list !== undefined && list !== null && !(Array.isArray(list) && list.every((c) => typeof c === 'string'))) {
        throw new WorkloadShapeError(`${where}.capabilities.${key} must be an array of strings`);
      }
    }
  }
  const seccomp = value['seccompProfile'];
  if (seccomp !== undefined && seccomp !== null && (!isJsonObject(seccomp) || typeof seccomp['type'] !== 'string')) {
    throw new WorkloadShapeError(`${where}.seccompProfile.type must be a string`);
  }
}
