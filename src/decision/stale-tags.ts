import type { FactsResult } from '../rules/types.js';
import { WARNING_BUDGET, WARNING_PREFIX } from './combine-findings.js';

/** The audit annotation (prefixed by the webhook name in the audit log) listing tags judged on a stale digest. */
export const STALE_TAG_ANNOTATION = 'stale-tag';

export interface StaleTagNotes {
  readonly warnings: readonly string[];
  readonly auditAnnotations: Readonly<Record<string, string>>;
}

/**
 * What an admission says when an image's tag was judged on its last resolved digest because the registry could not
 * be reached (image/cache/tag-cache.ts): one warning per image, within the 120-character budget, and an audit
 * annotation with the digest, when it was resolved and why it could not be confirmed.
 */
export function staleTagNotes(facts: ReadonlyMap<string, FactsResult>, now: number = Date.now()): StaleTagNotes {
  const warnings: string[] = [];
  const entries: string[] = [];
  for (const [image, result] of facts) {
    if (result.kind !== 'known' || result.facts.staleTag === undefined) continue;
    const { resolvedAt, reason } = result.facts.staleTag;
    const digest = result.facts.digest;
    const age = ageOf(now - resolvedAt);
    const full = `${WARNING_PREFIX} registry unreachable: ${image} judged as ${digest.slice(0, 19)}… resolved ${age} ago`;
    const short = `${WARNING_PREFIX} registry unreachable: ${image.slice(image.lastIndexOf('/') + 1)} judged as ${digest.slice(0, 19)}… resolved ${age} ago`;
    warnings.push(full.length <= WARNING_BUDGET ? full : short);
    entries.push(`${image} as ${digest} (resolved ${new Date(resolvedAt).toISOString()}; ${reason})`);
  }
  return { warnings, auditAnnotations: entries.length === 0 ? {} : { [STALE_TAG_ANNOTATION]: entries.join(' | ') } };
}

function ageOf(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes}m` : `${Math.round(minutes / 60)}h`;
}
