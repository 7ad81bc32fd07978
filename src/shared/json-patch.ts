/**
 * RFC 6902 JSON Patch operations with RFC 6901 pointers, built from path segments so escaping is never
 * done by hand. The `jsonpatch` package applies patches (tests, previews); this module only emits them.
 */

export type PointerSegment = string | number;

export type JsonPatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'test'; readonly path: string; readonly value: unknown };

/** RFC 6901 §3: "~" is written "~0" and "/" is written "~1" (in that order). */
export function escapePointerSegment(segment: PointerSegment): string {
  if (typeof segment === 'number') return String(segment);
  return segment.includes('~') || segment.includes('/') ? segment.replaceAll('~', '~0').replaceAll('/', '~1') : segment;
}

export function pointer(segments: readonly PointerSegment[]): string {
  let path = '';
  for (const segment of segments) path += `/${escapePointerSegment(segment)}`;
  return path;
}

export const patchOps = {
  add: (segments: readonly PointerSegment[], value: unknown): JsonPatchOperation => ({ op: 'add', path: pointer(segments), value }),
  replace: (segments: readonly PointerSegment[], value: unknown): JsonPatchOperation => ({ op: 'replace', path: pointer(segments), value }),
  remove: (segments: readonly PointerSegment[]): JsonPatchOperation => ({ op: 'remove', path: pointer(segments) }),
  test: (segments: readonly PointerSegment[], value: unknown): JsonPatchOperation => ({ op: 'test', path: pointer(segments), value }),
};
