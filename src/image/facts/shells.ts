/**
 * Shells in the final filesystem.
 *
 * A shell is an executable regular file (any x bit on the file a name resolves to) that is either
 * - named like a shell: some name it is reachable by — its own path, a hard link, or a symlink resolving to it —
 *   has a basename in {@link SHELL_NAMES} (so `/usr/bin/sh -> dash` makes dash a shell, and a shell is still one
 *   under an odd name), or
 * - a busybox/toybox multi-call binary: some name of it is `busybox` or `toybox`. The bytes are not read, so a
 *   multi-call binary is known by its name, e.g. the Docker Hub busybox image whose file is `/bin/[` with
 *   `/bin/busybox` and `/bin/sh` as hard links to it.
 * Data files named `bash` or `dash` (bash-completion, lintian overrides, debianutils shells.d) have no x bit and
 * are not shells.
 *
 * Reported paths — the convention of `PlatformFacts.shells`: every path that exists in the final filesystem
 * (a tar entry no higher layer hides) and names a shell, sorted:
 * - the file itself and every symlink or hard link resolving to it (`/usr/bin/dash`, `/usr/bin/sh`);
 * - for a multi-call binary only the names with a shell or multi-call basename (`/busybox/sh`, `/busybox/busybox`),
 *   not its ~380 applet links (`/busybox/ls` runs ls, not a shell).
 * Paths through a symlinked directory are never listed twice: with `/bin -> usr/bin` the entry is `/bin` itself, so
 * `/usr/bin/sh` is reported and `/bin/sh` is not.
 */
import { basename } from '../layers/paths.js';
import type { LayerEntry } from '../layers/types.js';
import type { Union } from '../layers/union.js';
import { isExecutableFile } from './executable.js';

export const SHELL_NAMES: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'rbash',
  'dash',
  'ash',
  'hush',
  'zsh',
  'ksh',
  'ksh93',
  'mksh',
  'lksh',
  'pdksh',
  'oksh',
  'yash',
  'posh',
  'csh',
  'tcsh',
  'fish',
]);

export const MULTI_CALL_NAMES: ReadonlySet<string> = new Set(['busybox', 'toybox']);

export interface ShellExecutable {
  /** A path of the final filesystem that runs the shell. */
  readonly path: string;
  /** The entry holding the file: the resolved path of a symlink, the link target of a hard link. */
  readonly file: string;
  /** The file is a busybox/toybox multi-call binary. */
  readonly multiCall: boolean;
}

interface Inode {
  readonly file: string;
  readonly names: Set<string>;
}

const isShellName = (name: string): boolean => SHELL_NAMES.has(name) || MULTI_CALL_NAMES.has(name);

/** Every shell name of the union, sorted by path. */
export function findShells(union: Union): ShellExecutable[] {
  // Keyed by the file's entry object: every name of one file resolves to the very same entry.
  const inodes = new Map<LayerEntry, Inode>();
  const addName = (file: LayerEntry, name: string): void => {
    const inode = inodes.get(file);
    if (inode === undefined) inodes.set(file, { file: file.path, names: new Set([name]) });
    else inode.names.add(name);
  };
  for (const { entry } of union.entries()) {
    if (entry.kind === 'file') {
      // Every ancestor of a visible entry is a directory, so a regular file is its own resolution.
      if (isExecutableFile(entry) && isShellName(basename(entry.path))) addName(entry, entry.path);
    } else if (entry.kind === 'symlink' || entry.kind === 'hardlink') {
      const resolved = union.resolve(entry.path);
      if (resolved !== undefined && isExecutableFile(resolved.entry)) addName(resolved.entry, entry.path);
    }
  }

  const shells: ShellExecutable[] = [];
  for (const [entry, { file, names }] of inodes) {
    // The file's own path is one of its names while no higher layer hides or replaces it.
    if (union.lookup(file)?.entry === entry) names.add(file);
    const basenames = [file, ...names].map(basename);
    const multiCall = basenames.some((name) => MULTI_CALL_NAMES.has(name));
    if (!multiCall && !basenames.some((name) => SHELL_NAMES.has(name))) continue;
    for (const path of names) {
      if (multiCall && !isShellName(basename(path))) continue;
      shells.push({ path, file, multiCall });
    }
  }
  return shells.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The reported paths: sorted, de-duplicated. */
export function shellPaths(shells: readonly ShellExecutable[]): string[] {
  return [...new Set(shells.map((shell) => shell.path))].sort();
}

/**
 * Whether the layers folded so far already prove "has a shell". Folding top-down only adds paths that no folded
 * layer occupies or hides, so a shell found on a partial fold is in the final image too; the scan may stop here.
 * Proving "no shell" needs every layer.
 */
export function hasSettledShell(union: Union): boolean {
  return findShells(union).length > 0;
}
