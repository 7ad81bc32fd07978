/**
 * A deliberately plain, slow reading of an image's facts, used only to check that the catalog's `expected` data
 * matches what was really pushed (so a wrong catalog entry fails here, not in the inspection tests). It pulls
 * every layer whole, folds the layers bottom-up into a path map, and resolves links step by step. It shares no
 * code with src/image; it is not the implementation under test.
 */
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';
import type { ImageConfig } from '../../src/image/layers/types.js';
import type { ExpectedFacts, ExpectedPlatformFacts } from './images.js';
import type { RegistryClient } from './registry-client.js';

/** Basenames that make an executable a shell (the product's convention, restated here, not imported). */
const SHELL_NAMES = new Set([
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
const MULTI_CALL = new Set(['busybox', 'toybox']);
/** Package-manager executables looked for on PATH, each reported under the name it was found by. */
const MANAGERS = [
  'apk',
  'apt',
  'apt-get',
  'brew',
  'conda',
  'dnf',
  'dpkg',
  'emerge',
  'microdnf',
  'nix-env',
  'opkg',
  'pacman',
  'pip',
  'pip3',
  'rpm',
  'yum',
  'zypper',
];

/** A regular file: one object per inode, shared by every path hard-linked to it. */
interface FileNode {
  readonly kind: 'file';
  /** The tar entry that created the file: still one of its names when a higher layer hides that path. */
  readonly origin: string;
  readonly mode: number;
  readonly content: Buffer | undefined;
}

type Node =
  | FileNode
  | { kind: 'dir' }
  | { kind: 'symlink'; target: string }
  | { kind: 'other' };

type Tree = Map<string, Node>;

interface RawEntry {
  readonly path: string;
  readonly header: Header;
  readonly content: Buffer | undefined;
}

/** "./usr//bin/" → "/usr/bin"; ".." is applied, never above the root. */
export function normalise(name: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return '/' + parts.join('/');
}

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';
const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

function decompress(blob: Buffer, mediaType: string): Buffer {
  if (mediaType.endsWith('gzip')) return gunzipSync(blob);
  if (mediaType.endsWith('zstd')) return zstdDecompressSync(blob);
  return blob;
}

async function readTar(data: Buffer): Promise<RawEntry[]> {
  const extract = tar.extract();
  const entries: RawEntry[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
      const content = entry.header.size < 64 * 1024 ? Buffer.concat(chunks) : undefined;
      entries.push({ path: normalise(entry.header.name), header: entry.header, content });
    }
  })();
  extract.end(data);
  await done;
  return entries;
}

function removeTree(tree: Tree, path: string): void {
  tree.delete(path);
  const prefix = path === '/' ? '/' : path + '/';
  for (const key of [...tree.keys()]) if (key.startsWith(prefix)) tree.delete(key);
}

/** One layer onto the tree: whiteouts and opaque markers first (they hide lower layers only), then the entries. */
function applyLayer(tree: Tree, entries: readonly RawEntry[]): void {
  for (const { path } of entries) {
    const base = baseOf(path);
    if (base === '.wh..wh..opq') {
      const dir = parentOf(path);
      for (const key of [...tree.keys()]) if (key.startsWith(dir === '/' ? '/' : dir + '/')) tree.delete(key);
    } else if (base.startsWith('.wh.')) {
      removeTree(tree, `${parentOf(path) === '/' ? '' : parentOf(path)}/${base.slice(4)}`);
    }
  }
  for (const { path, header, content } of entries) {
    if (baseOf(path).startsWith('.wh.') || path === '/') continue;
    const existing = tree.get(path);
    if (header.type === 'directory') {
      if (existing?.kind !== 'dir') removeTree(tree, path);
      tree.set(path, { kind: 'dir' });
      continue;
    }
    removeTree(tree, path);
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        tree.set(path, { kind: 'file', origin: path, mode: header.mode, content });
        break;
      case 'symlink':
        tree.set(path, { kind: 'symlink', target: header.linkname });
        break;
      case 'link': {
        const target = normalise(header.linkname);
        const node = tree.get(target);
        // The same object: a hard link is one more name of the file, not a copy of it.
        if (node?.kind === 'file') tree.set(path, node);
        break;
      }
      default:
        tree.set(path, { kind: 'other' });
    }
  }
}

function isDir(tree: Tree, path: string): boolean {
  if (path === '/') return true;
  if (tree.get(path)?.kind === 'dir') return true;
  for (const key of tree.keys()) if (key.startsWith(path + '/')) return true;
  return false;
}

/** Follows symlinks in every component; the final path and its node, or null (dangling, loop, not a dir). */
export function resolve(tree: Tree, path: string): { path: string; node: Node } | null {
  let pending = normalise(path).split('/').filter((part) => part !== '');
  let current = '/';
  let hops = 0;
  while (pending.length > 0) {
    const [part, ...rest] = pending;
    pending = rest;
    if (part === undefined) break;
    const next = current === '/' ? `/${part}` : `${current}/${part}`;
    const node = tree.get(next);
    if (node?.kind === 'symlink') {
      if (++hops > 40) return null;
      const target = node.target.startsWith('/') ? node.target : `${current}/${node.target}`;
      pending = [...normalise(target).split('/').filter((p) => p !== ''), ...pending];
      current = '/';
      continue;
    }
    if (node === undefined && !isDir(tree, next)) return null;
    if (pending.length > 0 && !isDir(tree, next)) return null;
    current = next;
  }
  const node = tree.get(current) ?? (isDir(tree, current) ? { kind: 'dir' as const } : undefined);
  return node === undefined ? null : { path: current, node };
}

/** The executable regular file `path` leads to once every symlink is followed, or null. */
function executableFile(tree: Tree, path: string): FileNode | null {
  const resolved = resolve(tree, path);
  if (resolved === null || resolved.node.kind !== 'file' || (resolved.node.mode & 0o111) === 0) return null;
  return resolved.node;
}

/**
 * Every path of the tree (the final filesystem: no path through a symlinked directory is a key) that names a shell:
 * the names of each executable file are gathered — its own path, its hard links, the symlinks resolving to it — and
 * a file is a shell when one of its names has a shell basename, or a multi-call one (busybox, toybox); the path the
 * file was created at counts as a name even when a higher layer hides it (a hidden /bin/busybox leaves /bin/ls a
 * busybox applet). Every visible name of a shell is listed, except that a multi-call binary is listed only by its
 * shell and multi-call names.
 */
function shellPaths(tree: Tree): string[] {
  const namesOf = new Map<FileNode, string[]>();
  for (const [path, node] of tree) {
    if (node.kind !== 'file' && node.kind !== 'symlink') continue;
    const file = executableFile(tree, path);
    if (file === null) continue;
    const names = namesOf.get(file);
    if (names === undefined) namesOf.set(file, [path]);
    else names.push(path);
  }
  const isShellName = (path: string) => SHELL_NAMES.has(baseOf(path)) || MULTI_CALL.has(baseOf(path));
  const shells = new Set<string>();
  for (const [file, names] of namesOf) {
    const allNames = [file.origin, ...names];
    const multiCall = allNames.some((path) => MULTI_CALL.has(baseOf(path)));
    if (!allNames.some(isShellName)) continue;
    for (const path of names) if (!multiCall || isShellName(path)) shells.add(path);
  }
  return [...shells].sort();
}

function readText(tree: Tree, path: string): string | null {
  const resolved = resolve(tree, path);
  return resolved?.node.kind === 'file' && resolved.node.content !== undefined ? resolved.node.content.toString('utf8') : null;
}

function userFacts(tree: Tree, configured: string): ExpectedPlatformFacts['user'] {
  const [userPart = '', groupPart] = configured.split(':');
  const passwd = (readText(tree, '/etc/passwd') ?? '')
    .split('\n')
    .map((line) => line.split(':'))
    .filter((fields) => fields.length >= 7);
  const numeric = /^\d+$/.test(userPart) ? Number(userPart) : userPart === '' ? 0 : null;
  const row = passwd.find((fields) => (numeric === null ? fields[0] === userPart : Number(fields[2]) === numeric));
  const uid = numeric ?? (row === undefined ? null : Number(row[2]));
  const gid =
    groupPart !== undefined && /^\d+$/.test(groupPart) ? Number(groupPart) : row === undefined ? null : Number(row[3]);
  const name = row?.[0] ?? (numeric === null ? userPart : null);
  return { configured, uid, gid, name };
}

/** An os-release field's value, unquoted. */
function osField(osRelease: string, key: string): string | null {
  const line = osRelease.split('\n').find((l) => l.startsWith(`${key}=`));
  return line === undefined ? null : line.slice(key.length + 1).replace(/^"(.*)"$/, '$1');
}

function distributionOf(osRelease: string | null): ExpectedPlatformFacts['distribution'] {
  const id = osRelease === null ? null : osField(osRelease, 'ID');
  return osRelease === null || id === null ? null : { id, versionId: osField(osRelease, 'VERSION_ID') ?? '' };
}

/** Library directories where glibc and libstdc++ are looked for (Debian multiarch first). */
const LIBRARY_DIRS = ['x86_64-linux-gnu', 'aarch64-linux-gnu', 'arm-linux-gnueabihf', 's390x-linux-gnu', 'powerpc64le-linux-gnu', 'riscv64-linux-gnu']
  .flatMap((t) => [`/usr/lib/${t}`, `/lib/${t}`])
  .concat(['/usr/lib64', '/lib64', '/usr/lib', '/lib']);

/**
 * Runtimes as the catalog states them: an interpreter is an executable named like one in a PATH directory, reported
 * at the file its links lead to, python's version from that file's name, node's from NODE_VERSION; a library is
 * libc.so.6 (glibc) or libstdc++.so.6 resolving to a regular file in a library directory.
 */
function runtimeFacts(tree: Tree, dirs: readonly string[], env: readonly string[]): ExpectedPlatformFacts['runtimes'] {
  const interpreter = (names: readonly string[]): string | null => {
    for (const name of names) {
      for (const dir of dirs) {
        const resolved = resolve(tree, `${dir}/${name}`);
        if (resolved !== null && executableFile(tree, resolved.path) !== null) return resolved.path;
      }
    }
    return null;
  };
  const library = (name: string): string | null => {
    for (const dir of LIBRARY_DIRS) {
      const resolved = resolve(tree, `${dir}/${name}`);
      if (resolved?.node.kind === 'file') return resolved.path;
    }
    return null;
  };
  const runtimes: { name: ExpectedPlatformFacts['runtimes'][number]['name']; version: string | null; path: string }[] = [];
  const glibc = library('libc.so.6');
  if (glibc !== null) runtimes.push({ name: 'glibc', version: null, path: glibc });
  const java = interpreter(['java']);
  if (java !== null) runtimes.push({ name: 'java', version: null, path: java });
  const cxx = library('libstdc++.so.6');
  if (cxx !== null) runtimes.push({ name: 'libstdc++', version: null, path: cxx });
  const node = interpreter(['node', 'nodejs']);
  const nodeVersion = env.find((e) => e.startsWith('NODE_VERSION='))?.slice(13).split('.')[0] ?? null;
  if (node !== null) runtimes.push({ name: 'node', version: nodeVersion, path: node });
  const python = interpreter(['python3', 'python', ...Array.from({ length: 20 }, (_, minor) => `python3.${minor}`)]);
  if (python !== null) runtimes.push({ name: 'python', version: /^python(\d+\.\d+)$/.exec(baseOf(python))?.[1] ?? null, path: python });
  return runtimes;
}

function platformFacts(tree: Tree, config: ImageConfig, platform: string): ExpectedPlatformFacts {
  const env = config.config?.Env ?? [];
  const pathVar = env.find((item) => item.startsWith('PATH='))?.slice(5) ?? '';
  const managers = new Set<string>();
  for (const dir of pathVar.split(':').filter((item) => item !== '')) {
    for (const name of MANAGERS) if (executableFile(tree, `${dir}/${name}`) !== null) managers.add(name);
  }
  const user = userFacts(tree, config.config?.User ?? '');
  const debugVariant = executableFile(tree, '/busybox/busybox') !== null;
  const osRelease = readText(tree, '/etc/os-release') ?? readText(tree, '/usr/lib/os-release');
  const pretty = osRelease === null ? null : (/^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? null);
  const tmp = resolve(tree, '/tmp');
  const sortedShells = shellPaths(tree);
  const sortedManagers = [...managers].sort();
  return {
    platform,
    shells: sortedShells,
    packageManagers: sortedManagers,
    user,
    nonRoot: user.uid === null ? null : user.uid !== 0,
    hasTmpDir: tmp !== null && tmp.node.kind === 'dir',
    debugVariant,
    distroless: sortedShells.length === 0 && sortedManagers.length === 0 && !debugVariant,
    base: pretty,
    distribution: distributionOf(osRelease),
    runtimes: runtimeFacts(tree, pathVar.split(':').filter((item) => item !== ''), env),
  };
}

interface Manifest {
  readonly mediaType?: string;
  readonly config?: { readonly digest: string };
  readonly layers?: readonly { readonly digest: string; readonly mediaType: string }[];
  readonly manifests?: readonly {
    readonly digest: string;
    readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string };
  }[];
}

const platformName = (p: { os: string; architecture: string; variant?: string }) =>
  [p.os, p.architecture, ...(p.variant === undefined ? [] : [p.variant])].join('/');

async function imageFacts(client: RegistryClient, repository: string, manifest: Manifest): Promise<ExpectedPlatformFacts> {
  if (manifest.config === undefined || manifest.layers === undefined) throw new Error('not an image manifest');
  const config = JSON.parse((await client.getBlob(repository, manifest.config.digest)).toString('utf8')) as ImageConfig;
  const tree: Tree = new Map();
  for (const layer of manifest.layers) {
    const blob = await client.getBlob(repository, layer.digest);
    applyLayer(tree, await readTar(decompress(blob, layer.mediaType)));
  }
  const platform = {
    os: config.os ?? 'unknown',
    architecture: config.architecture ?? 'unknown',
    ...(config.variant === undefined ? {} : { variant: config.variant }),
  };
  return platformFacts(tree, config, platformName(platform));
}

/** Facts of `repository:reference` as this reference reading sees them, in the catalog's shape. */
export async function referenceFacts(client: RegistryClient, repository: string, reference: string): Promise<ExpectedFacts> {
  const response = await client.getManifest(repository, reference);
  if (response.status !== 200) throw new Error(`GET manifest ${repository}:${reference}: ${response.status}`);
  const manifest = JSON.parse(response.body.toString('utf8')) as Manifest;
  if (manifest.manifests === undefined) {
    const facts = await imageFacts(client, repository, manifest);
    const { platform: _platform, ...rest } = facts;
    return { ...rest, platforms: [facts] };
  }
  const platforms: ExpectedPlatformFacts[] = [];
  for (const child of manifest.manifests) {
    if (child.platform === undefined || child.platform.os === 'unknown') continue;
    const childManifest = await client.getManifest(repository, child.digest);
    const facts = await imageFacts(client, repository, JSON.parse(childManifest.body.toString('utf8')) as Manifest);
    platforms.push({ ...facts, platform: platformName(child.platform) });
  }
  const first = platforms[0];
  if (first === undefined) throw new Error('index without platforms');
  const union = (pick: (facts: ExpectedPlatformFacts) => readonly string[]) =>
    [...new Set(platforms.flatMap(pick))].sort();
  const nonRoot = platforms.some((p) => p.nonRoot === false) ? false : platforms.some((p) => p.nonRoot === null) ? null : true;
  return {
    shells: union((p) => p.shells),
    packageManagers: union((p) => p.packageManagers),
    user: first.user,
    nonRoot,
    hasTmpDir: platforms.every((p) => p.hasTmpDir),
    debugVariant: platforms.some((p) => p.debugVariant),
    distroless: platforms.every((p) => p.distroless),
    base: first.base,
    distribution: first.distribution,
    runtimes: first.runtimes,
    platforms,
  };
}
