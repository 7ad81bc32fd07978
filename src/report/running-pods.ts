import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { isJsonObject, type JsonObject } from '../shared/records.js';
import type { OwnedObject } from './owners.js';

/** Pods that have finished are history, not what an Enforce switch would stop. */
export function isRunning(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/**
 * A running pod as the Pod a CREATE would carry: its metadata's labels and annotations (opt-outs live there) and its
 * spec, with every image pinned to the digest the kubelet runs (status imageID), so the audit judges what runs
 * and not what a tag points at today. A plain JSON copy: nothing the review reads is a client-node class instance.
 */
export function podAdmissionObject(pod: V1Pod): JsonObject {
  const spec: unknown = JSON.parse(JSON.stringify(pod.spec ?? {}));
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const running = new Map(statuses.map((s: V1ContainerStatus) => [s.name, s.imageID] as const));
  if (isJsonObject(spec)) {
    for (const list of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
      const containers = spec[list];
      if (!Array.isArray(containers)) continue;
      for (const container of containers as unknown[]) {
        if (!isJsonObject(container) || typeof container['image'] !== 'string' || typeof container['name'] !== 'string') continue;
        (container as Record<string, unknown>)['image'] = pinnedImage(container['image'], running.get(container['name']));
      }
    }
  }
  const metadata = pod.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: metadata.name ?? '',
      namespace: metadata.namespace ?? '',
      ...(metadata.labels ? { labels: { ...metadata.labels } } : {}),
      ...(metadata.annotations ? { annotations: { ...metadata.annotations } } : {}),
    },
    spec: isJsonObject(spec) ? spec : {},
  };
}

/**
 * `repo:tag` + the imageID the kubelet reports → `repo:tag@sha256:…`. Only a repository digest is used
 * (`…@sha256:…`, as containerd and CRI-O report it); a bare `sha256:…` (an image ID, the config's digest under
 * some runtimes) names no manifest, and an image already pinned is left alone.
 */
export function pinnedImage(image: string, imageID: string | undefined): string {
  if (image.includes('@') || imageID === undefined) return image;
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(imageID)?.[1];
  return digest === undefined ? image : `${image}@${digest}`;
}

/** A pod as ownership sees it. */
export function ownedPod(pod: V1Pod): OwnedObject {
  const metadata = pod.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    ...(metadata.uid ? { uid: metadata.uid } : {}),
    ...(metadata.ownerReferences ? { ownerReferences: metadata.ownerReferences } : {}),
  };
}
