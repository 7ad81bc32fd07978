/**
 * Which Kubernetes Events one validating admission calls for, and on which object. Pure: the recorder
 * (event-recorder.ts) correlates and writes them, off the admission's path.
 *
 * - One Warning Event per policy and rule that denied (reason `Denied`) and per policy and rule with DryRun
 *   violations (reason `DryRunViolation`), naming the containers; a denial without a finding (the failurePolicy
 *   answer at the deadline) is one `Denied` Event with the denial's message.
 * - On the object a user looks at: a Pod created by a controller (a ReplicaSet's, a Job's) → that controller,
 *   as the ReplicaSet controller reports its own FailedCreate; any other named object → itself (a Deployment, a
 *   Pod), with its uid when it exists (an UPDATE, or a CREATE that is admitted), so `kubectl describe` lists the
 *   Event; a Pod without a name yet (generateName) and without a controller → its Namespace. core/v1 requires an
 *   Event in its object's namespace, and in `default` for a cluster-scoped object such as a Namespace (as
 *   client-go's recorder does).
 * - Never for a dry run (`request.dryRun`: no side effects, which is what `sideEffects: NoneOnDryRun` promises).
 */
import type { AdmissionRequest } from '../admission/request.js';
import { describeContainer } from '../decision/combine-findings.js';
import type { Finding } from '../decision/finding.js';
import type { ReviewResult } from '../review/review.js';
import { isJsonObject, type JsonObject } from '../shared/records.js';
import type { ObjectReference } from './event-correlator.js';

export type AdmissionEventReason = 'Denied' | 'DryRunViolation';

export interface AdmissionEvent {
  /** The Event's own namespace: the object's, or `default` for a cluster-scoped object. */
  readonly namespace: string;
  readonly involvedObject: ObjectReference;
  readonly reason: AdmissionEventReason;
  readonly message: string;
}

/** core/v1 Event messages are not limited by the API server, but events.k8s.io/v1 notes are (1 kB): kept under it. */
export const EVENT_MESSAGE_LIMIT = 1024;

export function admissionEvents(request: AdmissionRequest, result: ReviewResult): AdmissionEvent[] {
  if (request.dryRun) return [];
  const { verdict } = result;
  const groups = new Map<string, { reason: AdmissionEventReason; findings: Finding[] }>();
  for (const finding of result.findings) {
    if (finding.outcome.kind !== 'violation') continue;
    const reason = finding.outcome.action === 'Enforce' ? 'Denied' : 'DryRunViolation';
    const key = `${reason}\u0000${finding.policy}\u0000${finding.rule}`;
    const group = groups.get(key) ?? { reason, findings: [] };
    group.findings.push(finding);
    groups.set(key, group);
  }
  const drafts = [...groups.values()].map(({ reason, findings }) => ({ reason, message: messageOf(reason, findings) }));
  if (!verdict.allowed && !drafts.some((d) => d.reason === 'Denied')) drafts.unshift({ reason: 'Denied', message: verdict.denial?.message ?? 'denied' });
  if (drafts.length === 0) return [];
  const involvedObject = involvedObjectOf(request, verdict.allowed);
  const namespace = involvedObject.namespace || 'default';
  return drafts.map(({ reason, message }) => ({ namespace, involvedObject, reason, message: limited(message) }));
}

/** `[policy/rule] container "a" (image): message; container "b" (image): message`, DryRun's said as such. */
function messageOf(reason: AdmissionEventReason, findings: readonly Finding[]): string {
  const first = findings[0];
  const head = `[${first?.policy ?? ''}/${first?.rule ?? ''}]${reason === 'DryRunViolation' ? ' DryRun, would be denied:' : ''}`;
  const parts = findings.map((f) => `${describeContainer(f.container)}: ${f.outcome.kind === 'violation' ? f.outcome.message : ''}`);
  return `${head} ${[...new Set(parts)].join('; ')}`;
}

function limited(message: string): string {
  return message.length <= EVENT_MESSAGE_LIMIT ? message : `${message.slice(0, EVENT_MESSAGE_LIMIT - 1)}…`;
}

/** See the file comment: the controller of a Pod being created, else the object itself, else its namespace. */
export function involvedObjectOf(request: AdmissionRequest, admitted: boolean): ObjectReference {
  const object = request.object ?? {};
  const metadata = isJsonObject(object['metadata']) ? object['metadata'] : {};
  const controller = request.kind.kind === 'Pod' && request.operation === 'CREATE' ? controllerOf(metadata) : undefined;
  if (controller !== undefined) return { ...controller, namespace: request.namespace };
  const name = request.name || stringField(metadata, 'name');
  if (name === '') return { apiVersion: 'v1', kind: 'Namespace', name: request.namespace };
  // The uid the object has (or will have, when admitted: the API server sets it before validating admission).
  const existing = request.oldObject ?? (admitted ? object : undefined);
  const oldMetadata = existing && isJsonObject(existing['metadata']) ? existing['metadata'] : {};
  const uid = stringField(oldMetadata, 'uid');
  const { group, version, kind } = request.kind;
  return { apiVersion: group ? `${group}/${version}` : version, kind, name, ...(request.namespace ? { namespace: request.namespace } : {}), ...(uid ? { uid } : {}) };
}

function controllerOf(metadata: JsonObject): Omit<ObjectReference, 'namespace'> | undefined {
  const references = Array.isArray(metadata['ownerReferences']) ? (metadata['ownerReferences'] as unknown[]) : [];
  const controller = references.find((r): r is JsonObject => isJsonObject(r) && r['controller'] === true);
  if (controller === undefined) return undefined;
  const [apiVersion, kind, name, uid] = ['apiVersion', 'kind', 'name', 'uid'].map((k) => stringField(controller, k));
  if (!apiVersion || !kind || !name) return undefined;
  return { apiVersion, kind, name, ...(uid ? { uid } : {}) };
}

function stringField(object: JsonObject, key: string): string {
  const value = object[key];
  return typeof value === 'string' ? value : '';
}
