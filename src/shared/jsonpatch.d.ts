/** Types for the `jsonpatch` package (RFC 6902 apply), which ships none. */
declare module 'jsonpatch' {
  export function apply_patch<T>(document: T, patch: readonly unknown[]): T;
  export class InvalidPatch extends Error {}
  export class PatchApplyError extends Error {}
}
