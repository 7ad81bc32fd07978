import { compileWildcard } from '../shared/wildcard.js';

/**
 * Globs as Kyverno writes them for names and images: `*` matches any run of characters (including "/", so
 * `registry.k8s.io/*` matches every image of that registry), `?` one character; everything else is literal.
 * Matched without regular expressions (shared/wildcard.ts), in time linear in the value for globs whose parts between
 * stars are literal or short: as a backtracking RegExp, a debug-image glob took seconds on a long image name
 * (bench/PERFORMANCE.md, "Measurements behind source choices").
 */
export function compileGlob(glob: string): (value: string) => boolean {
  return compileWildcard(glob, 'glob');
}

export function compileGlobs(globs: readonly string[]): (value: string) => string | undefined {
  const matchers = globs.map((glob) => ({ glob, test: compileGlob(glob) }));
  return (value) => matchers.find((m) => m.test(value))?.glob;
}
