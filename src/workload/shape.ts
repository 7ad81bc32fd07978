import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { isJsonObject } from '../shared/records.js';

/**
 * The API server decodes objects into typed structs before calling webhooks, so a real request always has the
 * right types; anything else comes from a broken client. We check the fields we read instead of trusting a cast.
 */
export class WorkloadShapeError extends Error {
  override readonly name = 'WorkloadShapeError';
}

/**
 * What is wrong, as a path suffix and a complaint (".securityContext.runAsUser must be an integer"), or undefined.
 * Every admission walks its pod spec: paths are only put together once something is wrong.
 */
type Problem = string | undefined;

const BOOLEAN_FIELDS = ['runAsNonRoot', 'privileged', 'allowPrivilegeEscalation', 'readOnlyRootFilesystem'] as const;
const INTEGER_FIELDS = ['runAsUser', 'runAsGroup', 'fsGroup'] as const;
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

export function assertPodSpec(value: unknown, where: string): asserts value is V1PodSpec {
  const problem = podSpecProblem(value);
  if (problem !== undefined) throw new WorkloadShapeError(`${where}${problem}`);
}

function podSpecProblem(value: unknown): Problem {
  if (!isJsonObject(value)) return ' must be an object';
  for (const list of CONTAINER_LISTS) {
    const problem = listProblem(value[list], containerProblem);
    if (problem !== undefined) return `.${list}${problem}`;
  }
  const os = value['os'];
  return (
    within('.securityContext', securityContextProblem(value['securityContext'])) ??
    within('.serviceAccountName', optionalStringProblem(value['serviceAccountName'])) ??
    within('.imagePullSecrets', listProblem(value['imagePullSecrets'], namedProblem)) ??
    within('.volumes', listProblem(value['volumes'], namedProblem)) ??
    (os !== undefined && os !== null && (!isJsonObject(os) || typeof os['name'] !== 'string') ? '.os.name must be a string' : undefined)
  );
}

function containerProblem(value: unknown): Problem {
  if (!isJsonObject(value)) return ' must be an object';
  return (
    within('.name', optionalStringProblem(value['name'])) ??
    within('.image', imageProblem(value['image'])) ??
    within('.securityContext', securityContextProblem(value['securityContext'])) ??
    within('.volumeMounts', listProblem(value['volumeMounts'], mountProblem))
  );
}

/** A list the review reads (containers, pull secrets, volumes, mounts): absent, or an array of valid items. */
function listProblem(value: unknown, itemProblem: (item: unknown) => Problem): Problem {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return ' must be an array';
  for (let i = 0; i < value.length; i++) {
    const problem = itemProblem(value[i]);
    if (problem !== undefined) return `[${i}]${problem}`;
  }
  return undefined;
}

function namedProblem(item: unknown): Problem {
  if (!isJsonObject(item)) return ' must be an object';
  return within('.name', optionalStringProblem(item['name']));
}

function mountProblem(item: unknown): Problem {
  if (!isJsonObject(item)) return ' must be an object';
  return within('.name', optionalStringProblem(item['name'])) ?? within('.mountPath', optionalStringProblem(item['mountPath']));
}

/**
 * An image reference is at most ~512 characters (distribution's grammar caps the name at 255, a tag at 128, a digest
 * at ~100); anything far longer is refused before a glob, a parser or a registry sees it.
 */
export const MAX_IMAGE_LENGTH = 4096;

function imageProblem(value: unknown): Problem {
  if (typeof value !== 'string') return optionalStringProblem(value);
  return value.length > MAX_IMAGE_LENGTH ? ` is ${value.length} characters long: an image reference is at most ${MAX_IMAGE_LENGTH}` : undefined;
}

function optionalStringProblem(value: unknown): Problem {
  return value !== undefined && value !== null && typeof value !== 'string' ? ' must be a string' : undefined;
}

function securityContextProblem(value: unknown): Problem {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) return ' must be an object';
  for (const key of BOOLEAN_FIELDS) {
    const field = value[key];
    if (field !== undefined && field !== null && typeof field !== 'boolean') return `.${key} must be a boolean`;
  }
  for (const key of INTEGER_FIELDS) {
    const field = value[key];
    if (field !== undefined && field !== null && !Number.isSafeInteger(field)) return `.${key} must be an integer`;
  }
  const caps = value['capabilities'];
  if (caps !== undefined && caps !== null) {
    if (!isJsonObject(caps)) return '.capabilities must be an object';
    for (const key of ['add', 'drop'] as const) {
      const list = caps[key];
      if (list !== undefined && list !== null && !(Array.isArray(list) && list.every((c) => typeof c === 'string'))) {
        return `.capabilities.${key} must be an array of strings`;
      }
    }
  }
  const seccomp = value['seccompProfile'];
  if (seccomp !== undefined && seccomp !== null && (!isJsonObject(seccomp) || typeof seccomp['type'] !== 'string')) {
    return '.seccompProfile.type must be a string';
  }
  return undefined;
}

/** A problem of a field, said from its parent: `.field` + the field's own problem. */
function within(field: string, problem: Problem): Problem {
  return problem === undefined ? undefined : `${field}${problem}`;
}
