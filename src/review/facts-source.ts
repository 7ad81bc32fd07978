import type { FactsResult } from '../rules/types.js';

/** One image to learn about, with what the kubelet would pull it with. */
export interface FactsRequest {
  readonly image: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The pod's spec.imagePullSecrets names. */
  readonly imagePullSecrets: readonly string[];
}

/**
 * Facts for one image within the admission deadline; never throws (failures become `unavailable`). `deadline`
 * (epoch ms), when given, is when `signal` fires: no registry retry is started that could not finish before it.
 */
export type FactsSource = (request: FactsRequest, signal: AbortSignal, deadline?: number) => Promise<FactsResult>;

/** What rules see for an image nobody inspected (offline, or not needed by any active rule). */
export const NOT_INSPECTED: FactsResult = { kind: 'not-inspected' };
export const noInspection: FactsSource = async () => NOT_INSPECTED;
