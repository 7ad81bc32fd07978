import { notApplicable, pass, violation, type Rule } from './types.js';

/** `:debug`, `:debug-nonroot`, `:latest-debug`, `debug-amd64`…: "debug" as a whole dash/dot/underscore-separated word. */
const DEBUG_TAG = /(?:^|[-_.])debug(?:[-_.]|$)/i;

export function isDebugTag(tag: string): boolean {
  return DEBUG_TAG.test(tag);
}

/** The tag of an image reference, or "" when it has none (a digest-only reference, or the implicit latest). */
export function tagOf(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  return colon === -1 ? '' : lastSegment.slice(colon + 1);
}

/** Debug variants (a busybox shell added to a distroless base) have no place in production: by tag, and by content. */
export const noDebugTag: Rule = {
  name: 'noDebugTag',
  usesFacts: true,
  evaluate({ container, production, facts }) {
    if (!production) return notApplicable('not a production namespace');
    const tag = tagOf(container.image);
    const fix = `use the non-debug variant of ${container.image}${tag ? ` (tag without "debug")` : ''}`;
    if (isDebugTag(tag)) return violation(`image tag ":${tag}" is a debug variant`, fix);
    if (facts.kind === 'known' && facts.facts.debugVariant) {
      return violation(`image is a debug variant by content (shells: ${facts.facts.shells.join(', ') || 'busybox'})`, fix);
    }
    return pass;
  },
};
