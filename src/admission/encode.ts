import { isEmptyRecord } from '../shared/records.js';
import type { Verdict } from './verdict.js';
import { ADMISSION_API_VERSION, type WireAdmissionResponse, type WireAdmissionReviewResponse } from './wire.js';

/** Warnings over 256 characters may be truncated by the API server; the codec guarantees the bound. */
export const MAX_WARNING_LENGTH = 256;

/**
 * Encodes a verdict as the AdmissionReview v1 response the API server expects, as the JSON text sent: the request
 * uid echoed, `status` only on denial, `patchType: JSONPatch` always alongside a (base64) patch, and no patch on
 * denial.
 */
export function encodeAdmissionReview(uid: string, verdict: Verdict): string {
  const review: WireAdmissionReviewResponse = { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: responseOf(uid, verdict) };
  return JSON.stringify(review);
}

function responseOf(uid: string, verdict: Verdict): WireAdmissionResponse {
  const patched = verdict.allowed && verdict.patch.length > 0;
  return {
    uid,
    allowed: verdict.allowed,
    ...(!verdict.allowed && verdict.denial ? { status: { code: verdict.denial.code, message: verdict.denial.message } } : {}),
    ...(verdict.warnings.length > 0 ? { warnings: verdict.warnings.map(clampWarning) } : {}),
    ...(!isEmptyRecord(verdict.auditAnnotations) ? { auditAnnotations: verdict.auditAnnotations } : {}),
    ...(patched ? { patchType: 'JSONPatch' as const, patch: Buffer.from(JSON.stringify(verdict.patch)).toString('base64') } : {}),
  };
}

export function clampWarning(warning: string): string {
  return warning.length <= MAX_WARNING_LENGTH ? warning : `${warning.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}
