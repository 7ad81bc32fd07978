import type { V1Container, V1ObjectMeta, V1PodSpec } from '@kubernetes/client-node';
import type { AdmissionRequest } from '../admission/request.js';
import type { PointerSegment } from '../shared/json-patch.js';
import { isJsonObject, type JsonObject } from '../shared/records.js';
import { podSpecPathOf } from './kinds.js';
import { assertPodSpec, WorkloadShapeError } from './shape.js';

export type ContainerKind = 'container' | 'initContainer' | 'ephemeralContainer';

const LIST_OF: Readonly<Record<ContainerKind, 'containers' | 'initContainers' | 'ephemeralContainers'>> = {
  container: 'containers',
  initContainer: 'initContainers',
  ephemeralContainer: 'ephemeralContainers',
};

export interface ContainerTarget {
  readonly kind: ContainerKind;
  readonly name: string;
  readonly image: string;
  /** JSON path of the container inside the request object. */
  readonly path: readonly PointerSegment[];
  readonly container: V1Container;
}

/** One pod spec carried by a request, with the containers that are to be judged. */
export interface PodTarget {
  readonly specPath: readonly PointerSegment[];
  readonly spec: V1PodSpec;
  /** The object's own metadata (for a template: the workload's), e.g. for annotations. */
  readonly metadata: V1ObjectMeta;
  /** The labels the pods carry: a Pod's own, or those of the workload's pod template. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** The annotations the pods carry (a Pod's own, or the template's), over the workload object's own. */
  readonly podAnnotations: Readonly<Record<string, string>>;
  /** The ephemeralcontainers subresource: only spec.ephemeralContainers may change (no volumes, no init containers). */
  readonly ephemeralOnly: boolean;
  /** Containers to judge: on UPDATE only those new or changed, so unrelated updates are never blocked. */
  readonly containers: readonly ContainerTarget[];
  /** Whether the API server will accept a patch of these containers (a Pod's spec is immutable after CREATE). */
  readonly patchable: boolean;
}

export type TargetsResult =
  | { readonly kind: 'targets'; readonly target: PodTarget }
  /** The request is not ours to judge; the reason is logged and explains the allow. */
  | { readonly kind: 'skip'; readonly reason: string };

/** Finds the pod spec a request carries and which of its containers to judge. Throws WorkloadShapeError on a malformed object. */
export function podTargetOf(request: AdmissionRequest): TargetsResult {
  const { operation, subResource, kind } = request;
  if (operation !== 'CREATE' && operation !== 'UPDATE') return skip(`operation ${operation} is not judged`);
  const ephemeral = subResource === 'ephemeralcontainers';
  if (subResource !== '' && !ephemeral) return skip(`subresource ${subResource} is not judged`);
  const specPath = podSpecPathOf(kind.group, kind.kind);
  if (!specPath) return skip(`kind ${kind.group ? `${kind.group}/` : ''}${kind.kind} is not judged`);
  if (ephemeral && kind.kind !== 'Pod') return skip(`ephemeralcontainers of ${kind.kind} are not judged`);
  if (!request.object) throw new WorkloadShapeError(`request.object is required for ${operation} of ${kind.kind}`);

  const spec = at(request.object, specPath);
  assertPodSpec(spec, `request.object.${specPath.join('.')}`);
  const oldSpec = operation === 'UPDATE' && request.oldObject ? at(request.oldObject, specPath) : undefined;
  if (oldSpec !== undefined) assertPodSpec(oldSpec, `request.oldObject.${specPath.join('.')}`);
  const previous = oldSpec;
  const metadata = isJsonObject(request.object['metadata']) ? (request.object['metadata'] as V1ObjectMeta) : {};
  // The pod spec's sibling: a Pod's metadata, or the template's ({spec, metadata} of a PodTemplateSpec).
  const podMetadata = at(request.object, [...specPath.slice(0, -1), 'metadata']);

  const kinds: readonly ContainerKind[] = ephemeral ? ['ephemeralContainer'] : ['container', 'initContainer', 'ephemeralContainer'];
  const containers = kinds.flatMap((k) => containersOf(spec, k, specPath)).filter((c) => !previous || isNewOrChanged(c, spec, previous));
  const isPod = kind.kind === 'Pod';
  return {
    kind: 'targets',
    target: {
      specPath,
      spec,
      metadata,
      podLabels: labelsOf(podMetadata),
      podAnnotations: podMetadata === metadata ? stringMapOf(metadata, 'annotations') : { ...stringMapOf(metadata, 'annotations'), ...stringMapOf(podMetadata, 'annotations') },
      containers,
      patchable: !isPod || operation === 'CREATE' || ephemeral,
      ephemeralOnly: ephemeral,
    },
  };
}

function containersOf(spec: V1PodSpec, kind: ContainerKind, specPath: readonly PointerSegment[]): ContainerTarget[] {
  const list = spec[LIST_OF[kind]] as V1Container[] | undefined;
  return (list ?? []).map((container, index) => ({
    kind,
    name: container.name ?? '',
    image: container.image ?? '',
    path: [...specPath, LIST_OF[kind], index],
    container,
  }));
}

/** A container is re-judged on UPDATE when it is new, when it changed, or when the pod-level securityContext changed. */
function isNewOrChanged(target: ContainerTarget, spec: V1PodSpec, previous: V1PodSpec): boolean {
  if (JSON.stringify(spec.securityContext ?? null) !== JSON.stringify(previous.securityContext ?? null)) return true;
  const before = (previous[LIST_OF[target.kind]] as V1Container[] | undefined)?.find((c) => c.name === target.name);
  return before === undefined || JSON.stringify(before) !== JSON.stringify(target.container);
}

function at(object: JsonObject, path: readonly PointerSegment[]): unknown {
  let current: unknown = object;
  for (const segment of path) {
    if (!isJsonObject(current)) return undefined;
    current = current[String(segment)];
  }
  return current;
}

function labelsOf(metadata: unknown): Readonly<Record<string, string>> {
  return stringMapOf(metadata, 'labels');
}

/** The string entries of metadata.labels or .annotations (the request's own object when all are strings, as usual). */
function stringMapOf(metadata: unknown, field: 'labels' | 'annotations'): Readonly<Record<string, string>> {
  const map = isJsonObject(metadata) ? metadata[field] : undefined;
  if (!isJsonObject(map)) return {};
  if (allStrings(map)) return map as Record<string, string>;
  return Object.fromEntries(Object.entries(map).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function allStrings(map: JsonObject): boolean {
  for (const key in map) if (typeof map[key] !== 'string') return false;
  return true;
}

const skip = (reason: string): TargetsResult => ({ kind: 'skip', reason });
