import { parseReference } from '../image/reference/reference.js';
import { memoized } from '../shared/memo.js';
import { replaceImageFix, withTag, withoutDebug } from './distroless-fit.js';
import { notInspected, notProduction, pass, violation, type Rule } from './types.js';

/** `:debug`, `:debug-nonroot`, `:latest-debug`, `debug-amd64`…: "debug" as a whole dash/dot/underscore-separated word. */
export function isDebugTag(tag: string): boolean {
  return withoutDebug(tag) !== null;
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

/**
 * Debug variants (a busybox shell added to a distroless base) have no place in production: by tag, and by content.
 * The tag settles it without inspection; an innocent tag needs the content, so without facts it is not checked.
 */
export const noDebugTag: Rule = {
  name: 'noDebugTag',
  usesFacts: true,
  headline: 'debug image in production',
  evaluate({ container, production, facts }) {
    if (!production) return notProduction;
    const tag = tagOf(container.image);
    const plain = withoutDebug(tag);
    if (plain !== null) return violation(`image tag ":${tag}" is a debug variant`, `use ${withTag(container.image, tag, plain)} (the tag without "debug")`);
    if (facts.kind === 'not-inspected') return notInspected;
    if (facts.kind === 'known' && facts.facts.debugVariant) {
      const shells = facts.facts.shells.join(', ') || 'busybox';
      return violation(`image is a debug variant by content (shells: ${shells})`, replaceImageFix(container.image, tag, facts.facts));
    }
    return pass;
  },
};
