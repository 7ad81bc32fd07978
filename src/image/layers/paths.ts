/**
 * Path helpers for layer tar names and the merged filesystem. Every path the layer index stores is absolute and
 * normalised: "/usr/bin/bash", never "./usr/bin/bash", "usr/bin/", "/a/../b".
 */

/** OCI image-spec layer.md: `.wh.<name>` deletes `<name>` from lower layers. */
export const WHITEOUT_PREFIX = '.wh.';
/** OCI image-spec layer.md: `.wh..wh..opq` hides every lower-layer child of its directory. */
export const OPAQUE_MARKER = '.wh..wh..opq';
/** AUFS bookkeeping names (`.wh..wh.plnk`, `.wh..wh.aufs`): not whiteouts, skipped like containerd does. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

/**
 * Normalises a tar entry name (or hard-link target) to an absolute path. `.` and `..` are collapsed lexically and
 * `..` never climbs above the root, so `../../etc/passwd` lands at `/etc/passwd`, as containerd's root-scoped
 * extraction does. The root itself is "/".
 */
export function normalisePath(name: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return '/' + parts.join('/');
}

/** Parent directory of a normalised path; the root's parent is the root. */
export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** Last component of a normalised path ("" for the root). */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a normalised directory and one component name. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? '/' + name : dir + '/' + name;
}

/** Strict ancestors of a normalised path, nearest first, excluding the root: "/a/b/c" → "/a/b", "/a". */
export function* ancestors(path: string): Generator<string> {
  let end = path.lastIndexOf('/');
  while (end > 0) {
    yield path.slice(0, end);
    end = path.lastIndexOf('/', end - 1);
  }
}

/** Components of a path, empty ones dropped ("." and ".." are kept: resolution gives them meaning). */
export function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

export type WhiteoutMarker =
  | { readonly kind: 'whiteout'; readonly path: string }
  | { readonly kind: 'opaque'; readonly dir: string }
  | { readonly kind: 'ignored' };

/**
 * Classifies a normalised entry path as a whiteout marker, or returns null for an ordinary entry. A marker naming
 * "", "." or ".." cannot delete anything sensible (containerd would remove the parent) and is ignored.
 */
export function whiteoutOf(path: string): WhiteoutMarker | null {
  const base = basename(path);
  if (!base.startsWith(WHITEOUT_PREFIX)) return null;
  const dir = dirname(path);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'ignored' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') return { kind: 'ignored' };
  return { kind: 'whiteout', path: joinPath(dir, name) };
}
