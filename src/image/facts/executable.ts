import type { LayerEntry } from '../layers/types.js';
import type { Union } from '../layers/union.js';

/** A regular file with any execute bit: what execve(2) would run (a directory's x bit means search). */
export function isExecutableFile(entry: LayerEntry): boolean {
  return entry.kind === 'file' && (entry.mode & 0o111) !== 0;
}

/** `path` names an executable once symlinks and hard links are followed. A dangling link is not one. */
export function isExecutable(union: Union, path: string): boolean {
  const resolved = union.resolve(path);
  return resolved !== undefined && isExecutableFile(resolved.entry);
}
