/**
 * AdmissionReview admission.k8s.io/v1 as it travels on the wire. The only module that knows this shape;
 * everything past the codec works on `AdmissionRequest` and `Verdict`.
 * https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request
 */

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface UserInfo {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';


export interface WireStatus {
  readonly code: number;
  readonly message: string;
  readonly reason?: string;
}

export interface WireAdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: WireStatus;
  readonly patch?: string;
  readonly patchType?: 'JSONPatch';
  readonly warnings?: readonly string[];
  readonly auditAnnotations?: Readonly<Record<string, string>>;
}

export interface WireAdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: WireAdmissionResponse;
}
