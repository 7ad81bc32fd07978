/**
 * One object through admission exactly as the webhooks would take it, with the webhooks' own code: the mutating
 * webhook first (kube-apiserver calls mutating before validating webhooks), its patch applied, then the validating
 * webhook on the mutated object. Nothing here judges anything itself.
 */
import { apply_patch } from 'jsonpatch';
import type { AdmissionRequest } from '../admission/request.js';
import { decisionOf, type Decision } from '../decision/combine-findings.js';
import { mutate, validate, type ReviewDependencies, type ReviewResult } from '../review/review.js';
import type { JsonObject } from '../shared/records.js';

export interface AdmissionEvaluation {
  /** "skipped" when the webhooks have nothing to judge (a Service, a Pod without containers). */
  readonly decision: Decision | 'skipped';
  /** Why nothing was judged, when skipped. */
  readonly skipped?: string;
  readonly validation: ReviewResult;
  readonly mutation: ReviewResult;
  /** Every warning kubectl would print, the mutating webhook's first. */
  readonly warnings: readonly string[];
  /** The object as it would be stored: after the mutating webhook's patch (the same object when there is none). */
  readonly mutated: JsonObject;
}

/** Mutate, apply the patch, validate. Throws WorkloadShapeError for a malformed pod spec (the caller's input error). */
export async function evaluateAdmission(request: AdmissionRequest, deps: ReviewDependencies, signal: AbortSignal): Promise<AdmissionEvaluation> {
  const original = request.object ?? {};
  const mutation = await mutate(request, deps, signal);
  const mutated = mutation.verdict.patch.length > 0 ? apply_patch(structuredClone(original), mutation.verdict.patch) : original;
  const validation = await validate({ ...request, object: mutated }, deps, signal);
  const warnings = [...new Set([...mutation.verdict.warnings, ...validation.verdict.warnings])];
  if (validation.skipped !== undefined) return { decision: 'skipped', skipped: validation.skipped, validation, mutation, warnings, mutated };
  return { decision: decisionOf({ ...validation.verdict, warnings }), validation, mutation, warnings, mutated };
}

/** The validating webhook alone (an audit of pods already running: mutation happened at their creation). */
export async function evaluateValidation(request: AdmissionRequest, deps: ReviewDependencies, signal: AbortSignal): Promise<{ decision: Decision | 'skipped'; validation: ReviewResult }> {
  const validation = await validate(request, deps, signal);
  return { decision: validation.skipped !== undefined ? 'skipped' : decisionOf(validation.verdict), validation };
}
