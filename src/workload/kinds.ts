import type { PointerSegment } from '../shared/json-patch.js';

/**
 * Where each supported kind keeps its pod spec. Judging templates means `kubectl apply` of a Deployment is
 * refused at once, instead of its ReplicaSet failing to create pods out of sight (gatekeeper#1167).
 */
const POD_SPEC_PATHS: Readonly<Record<string, readonly PointerSegment[]>> = {
  '/Pod': ['spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  '/PodTemplate': ['template', 'spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The JSON path of the pod spec inside an object of this group/kind, or undefined when the kind is not judged. */
export function podSpecPathOf(group: string, kind: string): readonly PointerSegment[] | undefined {
  return POD_SPEC_PATHS[`${group}/${kind}`];
}

export const SUPPORTED_KINDS: readonly string[] = Object.keys(POD_SPEC_PATHS).map((k) => k.replace(/^\//, ''));
