import type { JsonObject } from '../shared/records.js';
import type { GroupVersionKind, GroupVersionResource, Operation, UserInfo } from './wire.js';

/** The parts of an AdmissionRequest the guard uses, checked for shape by the decoder. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource: string;
  readonly operation: Operation;
  readonly namespace: string;
  readonly name: string;
  readonly object: JsonObject | null;
  readonly oldObject: JsonObject | null;
  /** request.dryRun: the webhook must have no side effects (it still answers fully). */
  readonly dryRun: boolean;
  readonly userInfo: UserInfo;
}
