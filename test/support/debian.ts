/**
 * Real Debian 12 content for test images: `apt-get download` into .cache/debs, `dpkg-deb -x` into
 * .cache/debroot/<pkg>, both kept between runs (the .cache dir is git-ignored). Downloads and extractions go to a
 * temp dir first and are renamed into place, so two test processes filling the cache at once cannot see half a
 * package.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dir, relativePath, symlink, treeFromDir } from './tree.js';
import type { TreeEntry } from './tree.js';

const run = promisify(execFile);

/** The repo's git-ignored .cache; DG_TEST_CACHE moves it (e.g. to try a cold cache without touching the shared one). */
export const CACHE_DIR = process.env['DG_TEST_CACHE'] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../.cache');
const DEBS = join(CACHE_DIR, 'debs');
const ROOTS = join(CACHE_DIR, 'debroot');

function cachedDeb(name: string): string | undefined {
  if (!existsSync(DEBS)) return undefined;
  const file = readdirSync(DEBS).find((entry) => entry.startsWith(`${name}_`) && entry.endsWith('.deb'));
  return file === undefined ? undefined : join(DEBS, file);
}

async function aptDownload(names: readonly string[]): Promise<void> {
  mkdirSync(DEBS, { recursive: true });
  const work = mkdtempSync(join(CACHE_DIR, 'download-'));
  try {
    try {
      await run('apt-get', ['download', '-q', ...names], { cwd: work });
    } catch {
      // No package lists yet (fresh machine) or stale ones: refresh once, serialised with other test processes.
      await run('flock', ['/tmp/dg-apt-update.lock', 'apt-get', 'update', '-qq']);
      await run('apt-get', ['download', '-q', ...names], { cwd: work });
    }
    for (const file of readdirSync(work)) renameSync(join(work, file), join(DEBS, file));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Paths of the downloaded .deb files, downloading the missing ones in one apt-get call. */
export async function debFiles(names: readonly string[]): Promise<string[]> {
  const missing = names.filter((name) => cachedDeb(name) === undefined);
  if (missing.length > 0) await aptDownload(missing);
  return names.map((name) => {
    const file = cachedDeb(name);
    if (file === undefined) throw new Error(`apt-get download ${name} left no .deb in ${DEBS}`);
    return file;
  });
}

async function extract(name: string, deb: string): Promise<string> {
  const target = join(ROOTS, name);
  if (existsSync(target)) return target;
  mkdirSync(ROOTS, { recursive: true });
  const work = mkdtempSync(join(ROOTS, `.${name}-`));
  try {
    await run('dpkg-deb', ['-x', deb, work]);
    try {
      renameSync(work, target);
    } catch (error) {
      if (!existsSync(target)) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}

const extracted = new Map<string, Promise<string>>();

/** Extracted trees of the named packages (cached on disk and per process), in the order given. */
export function debPackages(names: readonly string[]): Promise<string[]> {
  const todo = names.filter((name) => !extracted.has(name) && !existsSync(join(ROOTS, name)));
  const downloads = todo.length > 0 ? debFiles(todo) : undefined;
  for (const name of names) {
    if (extracted.has(name)) continue;
    const index = todo.indexOf(name);
    const job =
      downloads === undefined || index < 0
        ? Promise.resolve(join(ROOTS, name))
        : downloads.then((debs) => extract(name, debs[index] ?? ''));
    extracted.set(
      name,
      job.catch((error: unknown) => {
        extracted.delete(name);
        throw error;
      }),
    );
  }
  return Promise.all(names.map((name) => extracted.get(name) ?? Promise.reject(new Error(`no job for ${name}`))));
}

/** Extracted tree of one package: the path of a directory holding what the .deb installs. */
export async function debPackage(name: string): Promise<string> {
  const [root] = await debPackages([name]);
  if (root === undefined) throw new Error(`no tree for ${name}`);
  return root;
}

/** The package's control fields (`dpkg-deb -f`), the text distroless keeps in /var/lib/dpkg/status.d/<pkg>. */
export async function debControl(name: string): Promise<string> {
  const [deb] = await debFiles([name]);
  if (deb === undefined) throw new Error(`no .deb for ${name}`);
  const { stdout } = await run('dpkg-deb', ['-f', deb]);
  return stdout.endsWith('\n') ? stdout : stdout + '\n';
}

/** Top-level dirs that Debian 12's usrmerge turns into symlinks into /usr. */
const MERGED_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'] as const;

/**
 * Where a packaged path lands in a merged-usr rootfs: "bin/bash" → "usr/bin/bash". Returns null for the top-level
 * directories themselves (base-files ships /bin, /lib, /sbin as directories; in the rootfs they are symlinks).
 */
export function mergedUsrPath(relative: string): string | null {
  const normal = relativePath(relative);
  const top = normal.split('/')[0] ?? '';
  if (!(MERGED_DIRS as readonly string[]).includes(top)) return normal;
  return normal === top ? null : `usr/${normal}`;
}

/** The usrmerge symlinks a Debian 12 rootfs has: /bin -> usr/bin, /sbin -> usr/sbin, /lib -> usr/lib, /lib64. */
export function mergedUsrLinks(): TreeEntry[] {
  return [
    dir('usr'),
    symlink('bin', 'usr/bin'),
    symlink('sbin', 'usr/sbin'),
    symlink('lib', 'usr/lib'),
    symlink('lib64', 'usr/lib64'),
  ];
}

export interface PackageTreeOptions {
  /** Move /bin, /sbin, /lib* files under /usr (Debian 12 layout). Default true. */
  readonly mergedUsr?: boolean;
  /** Keep only entries this returns true for (called with the image path, e.g. "usr/bin/dash"). */
  readonly include?: (path: string, entry: TreeEntry) => boolean;
}

/** One package's files as tree entries at their rootfs paths. */
export async function packageTree(name: string, options: PackageTreeOptions = {}): Promise<TreeEntry[]> {
  const root = await debPackage(name);
  const merged = options.mergedUsr ?? true;
  const entries = treeFromDir(root, merged ? { mapPath: mergedUsrPath } : {});
  const include = options.include;
  return include === undefined ? entries : entries.filter((entry) => include(relativePath(entry.path), entry));
}

/** Every executable regular file, for trimming packages down to data (a distroless base keeps none). */
export function isExecutableFile(entry: TreeEntry): boolean {
  return entry.type === 'file' && ((entry.mode ?? 0) & 0o111) !== 0;
}
