import type { JsonPatchOperation } from '../shared/json-patch.js';

/** The wire-neutral answer to one AdmissionRequest; encode.ts turns it into an AdmissionReview response. */
export interface Verdict {
  readonly allowed: boolean;
  /** Why the request is denied (shown by kubectl after "admission webhook ... denied the request:"). */
  readonly denial?: { readonly code: number; readonly message: string };
  /** kubectl prints each as "Warning: ..."; keep each short (the API server truncates long ones). */
  readonly warnings: readonly string[];
  /** Recorded in the API server's audit log, keys prefixed with the webhook name. */
  readonly auditAnnotations: Readonly<Record<string, string>>;
  /** Empty: no patch. */
  readonly patch: readonly JsonPatchOperation[];
}

export const allowVerdict = (warnings: readonly string[] = []): Verdict => ({ allowed: true, warnings, auditAnnotations: {}, patch: [] });
