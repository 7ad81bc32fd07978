/** From config and layer indexes to facts: pure, no I/O. */
import type { ImageConfig, LayerIndex } from '../layers/types.js';
import { buildUnion, type Union } from '../layers/union.js';
import { baseOf } from './base.js';
import { debugVariantReason } from './debug.js';
import { distributionOf, readOsRelease } from './os-release.js';
import { findPackageManagers } from './package-managers.js';
import { platformOf } from './platform.js';
import { searchPath } from './search-path.js';
import { findRuntimes } from './runtimes.js';
import { findShells, hasSettledShell, shellPaths } from './shells.js';
import { hasTmpDir } from './tmp-dir.js';
import type { ImageFacts, PlatformFacts, Runtime, ScanSummary } from './types.js';
import { imageUser, isNonRoot } from './user.js';

export class FactsError extends Error {
  override readonly name = 'FactsError';
  readonly code: 'no-platforms';

  constructor(code: 'no-platforms', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface PlatformInput {
  /** Defaults to {@link platformOf}(config). */
  readonly platform?: string;
  readonly digest: string;
  readonly config: ImageConfig;
  /** Ordered top (last applied) first; only the layers read when the scan stopped early. */
  readonly layers: readonly LayerIndex[];
  readonly scan: ScanSummary;
  /** The union of `layers`, when the caller has already folded them. */
  readonly union?: Union;
}

export function derivePlatformFacts(input: PlatformInput): PlatformFacts {
  const { config } = input;
  const union = input.union ?? buildUnion(input.layers);
  const path = searchPath(config);
  const osRelease = readOsRelease(union);
  const shellExecutables = findShells(union);
  const shells = shellPaths(shellExecutables);
  const packageManagers = findPackageManagers(union, path);
  const user = imageUser(config.config?.User ?? '', union);
  const debugVariant = debugVariantReason({ union, shells: shellExecutables, osRelease, searchPath: path }) !== null;
  return {
    platform: input.platform ?? platformOf(config),
    digest: input.digest,
    shells,
    packageManagers,
    user,
    nonRoot: isNonRoot(user),
    // A scan that stopped early (a shell settled the verdict) may not have reached the layer holding /tmp.
    hasTmpDir: hasTmpDir(union) ? true : input.scan.stoppedEarly ? null : false,
    debugVariant,
    distroless: shells.length === 0 && packageManagers.length === 0 && !debugVariant,
    base: baseOf(osRelease, config.config?.Labels),
    distribution: distributionOf(osRelease),
    runtimes: findRuntimes(union, config, path),
    scan: input.scan,
  };
}

/**
 * The worst case across platforms, so a rule judging the image judges its weakest platform:
 * shells and package managers are the union; nonRoot is false if any platform runs as root, else null if any is
 * unknown, else true; `user` comes from the first platform with that worst nonRoot, so the two agree;
 * debugVariant if any platform is one; distroless only if every platform is; hasTmpDir false if any platform lacks
 * /tmp, else null if any is unknown, else true; base and distribution are the first ones known; runtimes are the
 * union by name and version (the first platform's path kept).
 */
export function combinePlatforms(image: string, digest: string, platforms: readonly PlatformFacts[]): ImageFacts {
  const nonRoot = platforms.some((p) => p.nonRoot === false)
    ? false
    : platforms.some((p) => p.nonRoot === null)
      ? null
      : true;
  const worst = platforms.find((p) => p.nonRoot === nonRoot);
  if (worst === undefined) throw new FactsError('no-platforms', `${image}: no platform facts to combine`);
  return {
    image,
    digest,
    shells: sortedUnion(platforms.map((p) => p.shells)),
    packageManagers: sortedUnion(platforms.map((p) => p.packageManagers)),
    user: worst.user,
    nonRoot,
    hasTmpDir: platforms.some((p) => p.hasTmpDir === false) ? false : platforms.some((p) => p.hasTmpDir === null) ? null : true,
    debugVariant: platforms.some((p) => p.debugVariant),
    distroless: platforms.every((p) => p.distroless),
    base: platforms.find((p) => p.base !== null)?.base ?? null,
    distribution: platforms.find((p) => p.distribution !== null)?.distribution ?? null,
    runtimes: runtimeUnion(platforms.map((p) => p.runtimes)),
    platforms,
  };
}

function runtimeUnion(lists: ReadonlyArray<readonly Runtime[]>): Runtime[] {
  const byKey = new Map<string, Runtime>();
  for (const runtime of lists.flat()) if (!byKey.has(`${runtime.name}\0${runtime.version}`)) byKey.set(`${runtime.name}\0${runtime.version}`, runtime);
  return [...byKey.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function sortedUnion(lists: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(lists.flat())].sort();
}

/**
 * Whether a top-down scan may stop after the layers folded so far: a shell found on a partial fold is in the final
 * image too (folding top-down is monotonic), and it decides noShell. Other facts of an early-stopped scan are what
 * the layers read show (hasTmpDir is null unless /tmp was found); early stop is off wherever they matter (admission,
 * see src/cli/serve.ts).
 */
export function scanSettled(union: Union): boolean {
  return hasSettledShell(union);
}
