/**
 * Debug variants, recognised by content rather than tag or entrypoint (distroless python/java/nodejs :debug keep
 * their language entrypoint). Two rules, each explainable in one sentence:
 * 1. `/busybox/busybox` is an executable: the layer distroless :debug adds (busybox plus its applet links).
 * 2. os-release says Distroless, every shell of the image is a busybox/toybox multi-call binary, and one of them
 *    is reachable through PATH as `sh`, `busybox` or `toybox`: the same idea in another directory.
 * A Chainguard `-dev` image (apk, bash, busybox) matches neither: it is not distroless, but not a debug variant of
 * a distroless image either.
 */
import { joinPath } from '../layers/paths.js';
import type { Union } from '../layers/union.js';
import { isExecutable } from './executable.js';
import type { OsRelease } from './os-release.js';
import type { ShellExecutable } from './shells.js';

export const DISTROLESS_DEBUG_BUSYBOX = '/busybox/busybox';

export interface DebugEvidence {
  readonly union: Union;
  readonly shells: readonly ShellExecutable[];
  readonly osRelease: OsRelease | undefined;
  readonly searchPath: readonly string[];
}

/** Why the image is a debug variant, or null when it is not one. */
export function debugVariantReason({ union, shells, osRelease, searchPath }: DebugEvidence): string | null {
  if (isExecutable(union, DISTROLESS_DEBUG_BUSYBOX)) {
    return `${DISTROLESS_DEBUG_BUSYBOX} is an executable (the distroless :debug layout)`;
  }
  const prettyName = osRelease?.['PRETTY_NAME'] ?? '';
  if (!/distroless/i.test(prettyName) || shells.length === 0 || !shells.every((shell) => shell.multiCall)) return null;
  const multiCallFiles = new Set(shells.map((shell) => shell.file));
  for (const dir of searchPath) {
    for (const name of ['sh', 'busybox', 'toybox']) {
      const path = joinPath(dir, name);
      const resolved = union.resolve(path);
      if (resolved !== undefined && multiCallFiles.has(resolved.entry.path)) {
        return `os-release says ${prettyName} and its only shell is a multi-call binary on PATH (${path})`;
      }
    }
  }
  return null;
}
