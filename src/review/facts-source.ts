import type { FactsResult } from '../rules/types.js';

/** Facts for one image within the admission deadline; never throws (failures become `unavailable`). */
export type FactsSource = (image: string, signal: AbortSignal) => Promise<FactsResult>;

export const noInspection: FactsSource = async () => ({ kind: 'not-inspected' });
