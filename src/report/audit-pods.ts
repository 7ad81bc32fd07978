/**
 * The heart of `audit`, shared by the command and serve's background audit: every running pod as a CREATE of its
 * Pod (images pinned to the digests it runs) through the validating webhook's own code, grouped under its workload.
 */
import { randomUUID } from 'node:crypto';
import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import type { ReviewDependencies } from '../review/review.js';
import { syntheticCreate } from './admission-request.js';
import type { AuditedPod } from './audit-report.js';
import { inReviewOrder, reportFinding } from './check-report.js';
import { evaluateValidation } from './evaluate.js';
import { ownerIndex, workloadOf } from './owners.js';
import { isRunning, ownedPod, podAdmissionObject } from './running-pods.js';

/** A ReplicaSet or a Job, as listed: what pods are owned through. */
export interface PodOwner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: V1ObjectMeta;
}

/** Every running pod through validate(), concurrently (facts are shared and bounded underneath). */
export async function auditPods(pods: readonly V1Pod[], owners: readonly PodOwner[], deps: ReviewDependencies, signal: AbortSignal): Promise<AuditedPod[]> {
  const index = ownerIndex(
    owners.map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.metadata.namespace ?? '',
      name: o.metadata.name ?? '',
      ...(o.metadata.uid ? { uid: o.metadata.uid } : {}),
      ...(o.metadata.ownerReferences ? { ownerReferences: o.metadata.ownerReferences } : {}),
    })),
  );
  return Promise.all(
    pods.filter(isRunning).map(async (pod): Promise<AuditedPod> => {
      const object = podAdmissionObject(pod);
      const owned = ownedPod(pod);
      const request = syntheticCreate(object, { defaultNamespace: owned.namespace, uid: randomUUID(), username: 'distroless-guard-audit' });
      const { decision, validation } = await evaluateValidation(request, deps, signal);
      return {
        namespace: owned.namespace,
        name: owned.name,
        workload: workloadOf(owned, index),
        decision,
        findings: inReviewOrder([...validation.findings, ...(validation.notChecked ?? [])]).map(reportFinding),
        warnings: validation.verdict.warnings,
        policies: validation.policies ?? [],
      };
    }),
  );
}
