import { parseReference } from '../image/reference/reference.js';
import { memoized } from '../shared/memo.js';
import { notProduction, pass, violation, type Rule } from './types.js';

/** `:debug`, `:debug-nonroot`, `:latest-debug`, `debug-amd64`…: "debug" as a whole dash/dot/underscore-separated word. */
const DEBUG_TAG = /(?:^|[-_.])debug(?:[-_.]|$)/i;

export function isDebugTag(tag: string): boolean {
  return DEBUG_TAG.test(tag);
}

/**
 * The tag of an image reference ("latest" when implicit), or "" for a digest-only or unparseable reference. Pods
 * repeat their images admission after admission: each reference is parsed once.
 */
export const tagOf = memoized(parsedTag, 4096);

function parsedTag(image: string): string {
  try {
    return parseReference(image).tag ?? '';
  } catch {
    return '';
  }
}

/** Debug variants (a busybox shell added to a distroless base) have no place in production: by tag, and by content. */
export const noDebugTag: Rule = {
  name: 'noDebugTag',
  usesFacts: true,
  evaluate({ container, production, facts }) {
    if (!production) return notProduction;
    const tag = tagOf(container.image);
    if (isDebugTag(tag)) return violation(`image tag ":${tag}" is a debug variant`, nonDebugFix(container.image, tag));
    if (facts.kind === 'known' && facts.facts.debugVariant) {
      return violation(`image is a debug variant by content (shells: ${facts.facts.shells.join(', ') || 'busybox'})`, nonDebugFix(container.image, tag));
    }
    return pass;
  },
};

function nonDebugFix(image: string, tag: string): string {
  return `use the non-debug variant of ${image}${tag ? ` (tag without "debug")` : ''}`;
}
