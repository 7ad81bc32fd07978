/**
 * Globs as Kyverno writes them for names and images: `*` matches any run of characters (including "/", so
 * `registry.k8s.io/*` matches every image of that registry), `?` one character; everything else is literal.
 */
export function compileGlob(glob: string): (value: string) => boolean {
  if (!/[*?]/.test(glob)) return (value) => value === glob;
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => regex.test(value);
}

export function compileGlobs(globs: readonly string[]): (value: string) => string | undefined {
  const matchers = globs.map((glob) => ({ glob, test: compileGlob(glob) }));
  return (value) => matchers.find((m) => m.test(value))?.glob;
}
