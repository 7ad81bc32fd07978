import { isEmptyRecord } from '../shared/records.js';
import type { Verdict } from './verdict.js';
import { ADMISSION_API_VERSION, type WireAdmissionResponse, type WireAdmissionReviewResponse } from './wire.js';

/** Warnings over 256 characters may be truncated by the API server; the codec guarantees the bound. */
export const MAX_WARNING_LENGTH = 256;

/**
 * Encodes a verdict as the AdmissionReview v1 response the API server expects: the request uid echoed,
 * `status` only on denial, `patchType: JSONPatch` always alongside a (base64) patch, and no patch on denial.
 */
export function encodeAdmissionReview(uid: string, verdict: Verdict): WireAdmissionReviewResponse {
  // Fields set one by one (not spread in): every admission is encoded, most of them a bare allow.
  const response: Mutable<WireAdmissionResponse> = { uid, allowed: verdict.allowed };
  if (!verdict.allowed && verdict.denial) response.status = { code: verdict.denial.code, message: verdict.denial.message };
  if (verdict.allowed && verdict.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(verdict.patch)).toString('base64');
  }
  if (verdict.warnings.length > 0) response.warnings = verdict.warnings.map(clampWarning);
  if (!isEmptyRecord(verdict.auditAnnotations)) response.auditAnnotations = verdict.auditAnnotations;
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function clampWarning(warning: string): string {
  return warning.length <= MAX_WARNING_LENGTH ? warning : `${warning.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}
