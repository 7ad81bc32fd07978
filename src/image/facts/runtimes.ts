/**
 * The runtimes an image carries: a language interpreter or VM (python, node, java) and the C and C++ runtime
 * libraries (glibc, libstdc++). They decide which distroless image can replace the image (rules/distroless-fit.ts):
 * an interpreter needs its language image, a dynamically linked program the glibc of `base` or the libstdc++ of
 * `cc`, and an image with none of them fits `static`.
 *
 * Found by name, as package managers are, never by reading bytes:
 * - interpreters: an executable of theirs on the image's PATH, the entrypoint (else the command) when it names one,
 *   and the fixed places of distroless and official images (distroless nodejs `/nodejs/bin/node`, `$JAVA_HOME/bin/java`);
 * - libraries: `libc.so.6` and `libstdc++.so.6` in the library directories, Debian's multiarch ones included.
 * The version is what a file name says (`python3.11`, `/usr/lib/jvm/temurin-21-jre-amd64`), else what the official
 * images set in Env (`PYTHON_VERSION`, `NODE_VERSION`, `JAVA_VERSION`), else null.
 */
import { basename, dirname, joinPath } from '../layers/paths.js';
import type { ImageConfig } from '../layers/types.js';
import type { Union } from '../layers/union.js';
import { isExecutable } from './executable.js';
import { envOf } from './search-path.js';
import type { Runtime, RuntimeName } from './types.js';

/** python3 and python (distroless python3 links both to python3.N), and the versioned names alone. */
const PYTHON_NAMES: readonly string[] = ['python3', 'python', ...Array.from({ length: 20 }, (_, minor) => `python3.${minor}`)];
const NODE_NAMES: readonly string[] = ['node', 'nodejs'];
const JAVA_NAMES: readonly string[] = ['java'];

/** Where distroless nodejs images keep node (their entrypoint; not on PATH). */
const DISTROLESS_NODE = '/nodejs/bin/node';

/** Debian's multiarch triplets (the architectures distroless publishes) and the plain library directories. */
const TRIPLETS = ['x86_64-linux-gnu', 'aarch64-linux-gnu', 'arm-linux-gnueabihf', 's390x-linux-gnu', 'powerpc64le-linux-gnu', 'riscv64-linux-gnu'];
const LIBRARY_DIRS: readonly string[] = [...TRIPLETS.flatMap((t) => [`/usr/lib/${t}`, `/lib/${t}`]), '/usr/lib64', '/lib64', '/usr/lib', '/lib'];

/** Every runtime found, sorted by name. */
export function findRuntimes(union: Union, config: ImageConfig, searchPath: readonly string[]): Runtime[] {
  const entry = entryExecutable(config, union, searchPath);
  const runtimes: Runtime[] = [];
  const add = (name: RuntimeName, path: string | undefined, version: (path: string) => string | null): void => {
    if (path !== undefined) runtimes.push({ name, version: version(path), path });
  };
  add('glibc', library(union, 'libc.so.6'), () => null);
  add('java', interpreter(union, searchPath, JAVA_NAMES, entry, javaHomeExecutable(config)), (path) => javaVersion(path, config));
  add('libstdc++', library(union, 'libstdc++.so.6'), () => null);
  add('node', interpreter(union, searchPath, NODE_NAMES, entry, DISTROLESS_NODE), () => majorOf(envOf(config, 'NODE_VERSION')));
  add('python', interpreter(union, searchPath, PYTHON_NAMES, entry), (path) => pythonVersion(path, config));
  return runtimes;
}

/**
 * The first of the names found: on PATH (in PATH order), else the entrypoint, else the fixed places. The path is
 * the executable behind the links (`/usr/bin/python3` -> `python3.11` gives /usr/bin/python3.11).
 */
function interpreter(
  union: Union,
  searchPath: readonly string[],
  names: readonly string[],
  entry: string | undefined,
  ...fixed: readonly (string | undefined)[]
): string | undefined {
  for (const name of names) {
    for (const dir of searchPath) {
      const found = executablePath(union, joinPath(dir, name));
      if (found !== undefined) return found;
    }
  }
  if (entry !== undefined && names.includes(basename(entry))) return entry;
  for (const path of fixed) {
    const found = path === undefined ? undefined : executablePath(union, path);
    if (found !== undefined) return found;
  }
  return undefined;
}

function executablePath(union: Union, path: string): string | undefined {
  if (!isExecutable(union, path)) return undefined;
  return union.resolve(path)?.path;
}

/** The program the container starts: the entrypoint's first word, else the command's; a bare name looked up on PATH. */
function entryExecutable(config: ImageConfig, union: Union, searchPath: readonly string[]): string | undefined {
  const entrypoint = config.config?.Entrypoint;
  const program = entrypoint !== undefined && entrypoint !== null && entrypoint.length > 0 ? entrypoint[0] : config.config?.Cmd?.[0];
  if (program === undefined || program === '') return undefined;
  if (program.startsWith('/')) return executablePath(union, program);
  if (program.includes('/')) return undefined;
  for (const dir of searchPath) {
    const found = executablePath(union, joinPath(dir, program));
    if (found !== undefined) return found;
  }
  return undefined;
}

function javaHomeExecutable(config: ImageConfig): string | undefined {
  const home = envOf(config, 'JAVA_HOME');
  return home !== undefined && home.startsWith('/') ? joinPath(home, 'bin/java') : undefined;
}

/** The first library directory holding the library as a file (through links: /lib -> usr/lib finds the same one). */
function library(union: Union, name: string): string | undefined {
  for (const dir of LIBRARY_DIRS) {
    const resolved = union.resolve(joinPath(dir, name));
    if (resolved?.entry.kind === 'file') return resolved.path;
  }
  return undefined;
}

/** `python3.11` → "3.11"; `python3` → PYTHON_VERSION's "major.minor", else "3"; `python` → PYTHON_VERSION's, else null. */
function pythonVersion(path: string, config: ImageConfig): string | null {
  const named = /^python(\d+(?:\.\d+)?)?$/.exec(basename(path));
  const fromName = named?.[1];
  if (fromName !== undefined && fromName.includes('.')) return fromName;
  const env = /^(\d+\.\d+)/.exec(envOf(config, 'PYTHON_VERSION') ?? '')?.[1];
  return env ?? fromName ?? null;
}

/**
 * A JVM's major version: from its home directory's name (`/usr/lib/jvm/java-17-openjdk-amd64`, `temurin-21-jre-amd64`,
 * `java-1.8.0-openjdk` is 8), else JAVA_VERSION (`jdk-21.0.5+11`, `17.0.9`, `8u392`), else null.
 */
function javaVersion(path: string, config: ImageConfig): string | null {
  const home = basename(dirname(dirname(path)));
  for (const token of home.split(/[-_]/)) {
    if (ARCH_TOKENS.has(token)) continue;
    const major = javaMajor(token);
    if (major !== null) return major;
  }
  return javaMajor(envOf(config, 'JAVA_VERSION')?.replace(/^jdk-?/, '') ?? '');
}

const ARCH_TOKENS: ReadonlySet<string> = new Set(['amd64', 'arm64', 'aarch64', 'x86', '64', 'ppc64le', 'ppc64el', 's390x', 'riscv64', 'i386', 'armhf', 'armel']);

/** "21", "temurin21", "21.0.5+11", "8u392" → the major; "1.8.0" → "8" (Java's old numbering). */
function javaMajor(text: string): string | null {
  const match = /^[a-z]*(\d+)(?:\.(\d+))?/i.exec(text);
  if (match === null) return null;
  return match[1] === '1' && match[2] !== undefined ? match[2] : (match[1] ?? null);
}

/** "20.11.0" → "20"; anything else → null. */
function majorOf(version: string | undefined): string | null {
  return /^v?(\d+)(?:\.|$)/.exec(version ?? '')?.[1] ?? null;
}
