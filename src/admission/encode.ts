import { isEmptyRecord } from '../shared/records.js';
import type { Verdict } from './verdict.js';
import { ADMISSION_API_VERSION, type WireAdmissionResponse, type WireAdmissionReviewResponse } from './wire.js';

/** Warnings over 256 characters may be truncated by the API server; the codec guarantees the bound. */
export const MAX_WARNING_LENGTH = 256;

/**
 * Encodes a verdict as the AdmissionReview v1 response the API server expects, as the JSON text sent: the request
 * uid echoed, `status` only on denial, `patchType: JSONPatch` always alongside a (base64) patch, and no patch on
 * denial. The base64 patch (~2 KB for a Pod of 3 containers) is spliced in rather than passed through
 * JSON.stringify, which would scan it for characters to escape: base64's alphabet (RFC 4648 §4) has none (what the
 * scan cost: bench/PERFORMANCE.md, "Throughput (target 1): what was changed, and kept").
 */
export function encodeAdmissionReview(uid: string, verdict: Verdict): string {
  const review: WireAdmissionReviewResponse = { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: responseWithoutPatch(uid, verdict) };
  const json = JSON.stringify(review);
  if (!verdict.allowed || verdict.patch.length === 0) return json;
  const patch = Buffer.from(JSON.stringify(verdict.patch)).toString('base64');
  // `response` is the last member of the review, so the text ends with the two closing braces.
  return `${json.slice(0, -2)},"patchType":"JSONPatch","patch":"${patch}"}}`;
}

function responseWithoutPatch(uid: string, verdict: Verdict): WireAdmissionResponse {
  // Fields set one by one (not spread in): every admission is encoded, most of them a bare allow.
  const response: Mutable<WireAdmissionResponse> = { uid, allowed: verdict.allowed };
  if (!verdict.allowed && verdict.denial) response.status = { code: verdict.denial.code, message: verdict.denial.message };
  if (verdict.warnings.length > 0) response.warnings = verdict.warnings.map(clampWarning);
  if (!isEmptyRecord(verdict.auditAnnotations)) response.auditAnnotations = verdict.auditAnnotations;
  return response;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function clampWarning(warning: string): string {
  return warning.length <= MAX_WARNING_LENGTH ? warning : `${warning.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}
