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
  return below('', ...segments);
}

/** A pointer under one already built: `below(pointer(['spec', 'containers', 0]), 'securityContext')`. */
export function below(parent: string, ...segments: readonly PointerSegment[]): string {
  let path = parent;
  for (const segment of segments) path += `/${escapePointerSegment(segment)}`;
  return path;
}

/** Where an operation applies: path segments, or a pointer already built from them (see `below`). */
export type PatchPath = readonly PointerSegment[] | string;

export const pointerOf = (path: PatchPath): string => (typeof path === 'string' ? path : pointer(path));

export const patchOps = {
  add: (path: PatchPath, value: unknown): JsonPatchOperation => ({ op: 'add', path: pointerOf(path), value }),
  replace: (path: PatchPath, value: unknown): JsonPatchOperation => ({ op: 'replace', path: pointerOf(path), value }),
  remove: (path: PatchPath): JsonPatchOperation => ({ op: 'remove', path: pointerOf(path) }),
  test: (path: PatchPath, value: unknown): JsonPatchOperation => ({ op: 'test', path: pointerOf(path), value }),
};
