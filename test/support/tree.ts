/**
 * Layer contents as data: a list of entries written to a tar in order, with full control over what real layers
 * contain (modes, owners, symlinks, hard links, whiteouts, opaque markers, "./" names), and a reader that turns a
 * directory on disk (an extracted .deb) into such entries.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';

interface Common {
  /** Absolute or relative path in the image ("/usr/bin/bash" and "usr/bin/bash" are the same). */
  readonly path: string;
  /** Raw tar name, written verbatim instead of the one derived from `path` (for odd names in tests). */
  readonly tarName?: string;
}

export interface FileEntry extends Common {
  readonly type: 'file';
  readonly content: Uint8Array | string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

export interface DirEntry extends Common {
  readonly type: 'dir';
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

export interface SymlinkEntry extends Common {
  readonly type: 'symlink';
  /** Written verbatim: absolute ("/busybox/busybox") or relative ("dash", "../lib/os-release"). */
  readonly target: string;
}

export interface HardlinkEntry extends Common {
  readonly type: 'hardlink';
  /** Path of an earlier entry of the same layer (tar type 1). */
  readonly target: string;
}

/** Deletes `path` from lower layers: written as `<dir>/.wh.<name>`. */
export interface WhiteoutEntry extends Common {
  readonly type: 'whiteout';
}

/** Hides every lower-layer child of the directory `path`: written as `<path>/.wh..wh..opq`. */
export interface OpaqueEntry extends Common {
  readonly type: 'opaque';
}

export type TreeEntry = FileEntry | DirEntry | SymlinkEntry | HardlinkEntry | WhiteoutEntry | OpaqueEntry;

/** How tar names are spelled: "usr/bin/sh" (plain) or "./usr/bin/sh" (dot-slash, as GNU tar -C dir . writes). */
export type NameStyle = 'plain' | 'dot-slash';

export const file = (path: string, content: Uint8Array | string, mode = 0o644): FileEntry => ({
  type: 'file',
  path,
  content,
  mode,
});
export const exe = (path: string, content: Uint8Array | string): FileEntry => file(path, content, 0o755);
export const dir = (path: string, mode = 0o755): DirEntry => ({ type: 'dir', path, mode });
export const symlink = (path: string, target: string): SymlinkEntry => ({ type: 'symlink', path, target });
export const hardlink = (path: string, target: string): HardlinkEntry => ({ type: 'hardlink', path, target });
export const whiteout = (path: string): WhiteoutEntry => ({ type: 'whiteout', path });
export const opaque = (path: string): OpaqueEntry => ({ type: 'opaque', path });

/** "/usr//bin/" → "usr/bin"; rejects ".." so a test cannot write outside the tree by accident. */
export function relativePath(path: string): string {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new Error(`".." in tree path ${path}`);
  return parts.join('/');
}

/** Parent directories of every entry, as dir entries, for entries whose parents are not listed. */
export function withParents(entries: readonly TreeEntry[]): TreeEntry[] {
  const listed = new Set(entries.filter((entry) => entry.type === 'dir').map((entry) => relativePath(entry.path)));
  const out: TreeEntry[] = [];
  for (const entry of entries) {
    const parts = relativePath(entry.path).split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (!listed.has(parent)) {
        listed.add(parent);
        out.push(dir(parent));
      }
    }
    out.push(entry);
  }
  return out;
}

/** Later entries for the same path replace earlier ones, keeping the earlier position (so parents stay first). */
export function mergeTrees(...trees: readonly (readonly TreeEntry[])[]): TreeEntry[] {
  const byPath = new Map<string, TreeEntry>();
  for (const tree of trees) {
    for (const entry of tree) {
      const key = `${entry.type === 'whiteout' || entry.type === 'opaque' ? entry.type : 'node'}:${relativePath(entry.path)}`;
      const previous = byPath.get(key);
      // Two packages shipping the same directory: keep the first; anything else: the later one wins.
      if (previous?.type === 'dir' && entry.type === 'dir') continue;
      byPath.set(key, entry);
    }
  }
  return [...byPath.values()];
}

export interface ReadDirOptions {
  /**
   * Maps a path relative to the root ("bin/bash") to its path in the image, or null to leave that entry out (the
   * children of a directory left out are still read and mapped). Default: unchanged.
   */
  readonly mapPath?: (relative: string) => string | null;
}

/** Reads a directory on disk into entries: modes and owners kept, symlinks verbatim, repeated inodes as hard links. */
export function treeFromDir(root: string, options: ReadDirOptions = {}): TreeEntry[] {
  const out: TreeEntry[] = [];
  const seenInodes = new Map<string, string>();
  const mapPath = options.mapPath ?? ((relative: string) => relative);
  const walk = (relativeDir: string): void => {
    for (const name of readdirSync(join(root, relativeDir)).sort()) {
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      const mapped = mapPath(relative);
      const full = join(root, relative);
      const stat = lstatSync(full);
      const mode = stat.mode & 0o7777;
      if (stat.isDirectory()) {
        if (mapped !== null) out.push({ type: 'dir', path: mapped, mode, uid: stat.uid, gid: stat.gid });
        walk(relative);
      } else if (mapped === null) {
        continue;
      } else if (stat.isSymbolicLink()) {
        out.push(symlink(mapped, readlinkSync(full)));
      } else if (stat.isFile()) {
        const inode = `${stat.dev}:${stat.ino}`;
        const first = stat.nlink > 1 ? seenInodes.get(inode) : undefined;
        if (first !== undefined) {
          out.push(hardlink(mapped, first));
        } else {
          if (stat.nlink > 1) seenInodes.set(inode, mapped);
          out.push({ type: 'file', path: mapped, content: readFileSync(full), mode, uid: stat.uid, gid: stat.gid });
        }
      }
    }
  };
  walk('');
  return out;
}

/** A fixed mtime keeps layer digests identical from run to run. */
const MTIME = new Date('2024-01-01T00:00:00Z');

type TarHeader = Partial<Header> & Pick<Header, 'name'>;

function tarName(path: string, style: NameStyle, isDir: boolean): string {
  const relative = relativePath(path);
  return (style === 'dot-slash' ? './' : '') + relative + (isDir ? '/' : '');
}

function splitParent(relative: string): [string, string] {
  const slash = relative.lastIndexOf('/');
  return slash < 0 ? ['', relative] : [relative.slice(0, slash + 1), relative.slice(slash + 1)];
}

function headerFor(entry: TreeEntry, style: NameStyle): { header: TarHeader; body?: Buffer } {
  const base = { mtime: MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  const name = (path: string, isDir = false) => entry.tarName ?? tarName(path, style, isDir);
  switch (entry.type) {
    case 'file': {
      const body = Buffer.from(entry.content);
      const owner = { uid: entry.uid ?? 0, gid: entry.gid ?? 0 };
      return { header: { ...base, ...owner, name: name(entry.path), type: 'file', mode: entry.mode ?? 0o644 }, body };
    }
    case 'dir': {
      const owner = { uid: entry.uid ?? 0, gid: entry.gid ?? 0 };
      return { header: { ...base, ...owner, name: name(entry.path, true), type: 'directory', mode: entry.mode ?? 0o755 } };
    }
    case 'symlink':
      return { header: { ...base, name: name(entry.path), type: 'symlink', mode: 0o777, linkname: entry.target } };
    case 'hardlink': {
      const linkname = tarName(entry.target, style, false);
      return { header: { ...base, name: name(entry.path), type: 'link', mode: 0o755, linkname } };
    }
    case 'whiteout': {
      const [parent, leaf] = splitParent(relativePath(entry.path));
      return { header: { ...base, name: name(`${parent}.wh.${leaf}`), type: 'file', mode: 0o644 }, body: Buffer.alloc(0) };
    }
    case 'opaque': {
      const marker = `${relativePath(entry.path)}/.wh..wh..opq`;
      return { header: { ...base, name: name(marker), type: 'file', mode: 0o644 }, body: Buffer.alloc(0) };
    }
  }
}

/** Writes the entries, in order, as an uncompressed tar. Long names get PAX headers from tar-stream. */
export async function packTar(entries: readonly TreeEntry[], style: NameStyle = 'plain'): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const entry of entries) {
    const { header, body } = headerFor(entry, style);
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      if (body === undefined) pack.entry(header, done);
      else pack.entry(header, body, done);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}
