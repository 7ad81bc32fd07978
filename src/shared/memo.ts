/**
 * A pure function of a string remembered for the keys it has seen, at most `maxEntries` of them (all forgotten at
 * once when full: the hot keys come back on their next call). For inputs an admission repeats on every call, such as
 * the webhook's `?timeout=` or a pod's image references.
 */
export function memoized<V>(compute: (key: string) => V, maxEntries: number): (key: string) => V {
  const seen = new Map<string, V>();
  return (key) => {
    if (seen.has(key)) return seen.get(key) as V;
    const value = compute(key);
    if (seen.size >= maxEntries) seen.clear();
    seen.set(key, value);
    return value;
  };
}
