/** Which workload a pod belongs to, through its ownerReferences: Pod → ReplicaSet → Deployment, Pod → Job → CronJob. */

export interface OwnerReference {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly controller?: boolean;
}

/** A pod, or an object that owns pods, reduced to what ownership needs. */
export interface OwnedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  readonly ownerReferences?: readonly OwnerReference[];
}

export interface WorkloadRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export type OwnerIndex = ReadonlyMap<string, OwnedObject>;

const key = (namespace: string, kind: string, name: string): string => `${namespace}/${kind}/${name}`;

/** The owners known (listed ReplicaSets and Jobs), by namespace, kind and name. */
export function ownerIndex(objects: readonly OwnedObject[]): OwnerIndex {
  return new Map(objects.map((o) => [key(o.namespace, o.kind, o.name), o]));
}

/** Guards against a cycle of ownerReferences (the API server does not forbid one). */
const MAX_DEPTH = 8;

/**
 * The top of a pod's chain of controllers: each step follows the controller reference (else the first), looked up
 * among the known owners; an owner that is not known (a Deployment, a StatefulSet, an operator's resource) ends the
 * chain. A pod with no owner is its own workload, and so is a mirror pod (owned by its Node, which is no workload).
 */
export function workloadOf(pod: OwnedObject, owners: OwnerIndex): WorkloadRef {
  let current: OwnedObject = pod;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const refs = current.ownerReferences ?? [];
    const ref = refs.find((r) => r.controller === true) ?? refs[0];
    if (!ref?.kind || !ref.name || ref.kind === 'Node') break;
    const known = owners.get(key(pod.namespace, ref.kind, ref.name));
    if (!known) return { apiVersion: ref.apiVersion ?? '', kind: ref.kind, namespace: pod.namespace, name: ref.name, ...(ref.uid ? { uid: ref.uid } : {}) };
    current = known;
  }
  return { apiVersion: current.apiVersion, kind: current.kind, namespace: current.namespace, name: current.name, ...(current.uid ? { uid: current.uid } : {}) };
}
