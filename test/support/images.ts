/**
 * The catalog of test images: each built from real Debian content, pushed to a test registry by seedImages(), and
 * paired with the facts inspection must find in it, so inspection tests can iterate over the catalog.
 *
 * Conventions of `expected` (those of PlatformFacts, written in src/image/facts/shells.ts and package-managers.ts):
 * - `shells` lists every path of the final filesystem (a tar entry no higher layer hides) that names a shell
 *   executable: the file itself and every symlink or hard link to it, resolved through the merged filesystem
 *   (merged-usr dash and bash give /usr/bin/bash, /usr/bin/dash, /usr/bin/rbash -> bash, /usr/bin/sh -> dash). A
 *   shell executable is an executable regular file with a shell basename by any of its names (sh, bash, rbash,
 *   dash, ash, hush, zsh, ksh, ksh93, mksh, lksh, pdksh, oksh, yash, posh, csh, tcsh, fish), or a busybox/toybox
 *   multi-call binary; a multi-call binary is listed only by its names that are shell names or busybox/toybox (a
 *   :debug image gives /busybox/ash, /busybox/busybox, /busybox/sh, not its ~380 applet links). A path reached only
 *   through a symlinked directory is not listed separately (/bin/sh under /bin -> usr/bin is /usr/bin/sh). Sorted.
 * - `packageManagers` lists the base names of package-manager executables (apk, apt, apt-get, brew, conda, dnf,
 *   dpkg, emerge, microdnf, nix-env, opkg, pacman, pip, pip3, rpm, yum, zypper) found on the image's PATH after
 *   resolution, each name as found (apt and apt-get both listed when both exist); busybox's dpkg and rpm applets
 *   count (they install packages). Sorted, deduplicated.
 * - `user` follows src/image/facts/types.ts ImageUser; `base` is /etc/os-release's PRETTY_NAME (through symlinks);
 *   `distribution` its ID and VERSION_ID (distroless says debian 12).
 * - `runtimes` (src/image/facts/runtimes.ts): python, node or java found by an executable's name on PATH (or the
 *   entrypoint), reported at the file behind the links with the version its name says; glibc and libstdc++ by
 *   libc.so.6 and libstdc++.so.6 in the library directories. Sorted by name.
 * - `hasTmpDir`: /tmp resolves (through symlinks) to a directory; the distroless base, Debian and busybox have one,
 *   scratch-style images holding only an app binary do not. For an index: every platform has one.
 * - `debugVariant` means the distroless :debug shape: /busybox/busybox added to an image, whatever the entrypoint.
 * - For an index, the top-level facts are the worst case over its platforms (shells and managers united); the
 *   attestation entry (unknown/unknown) is not a platform.
 */
import type { PlatformFacts } from '../../src/image/facts/types.js';
import { buildImage, buildIndex, buildLayer, DEFAULT_PATH, push } from './image-builder.js';
import type { BuiltImage, BuiltIndex, BuiltLayer, Compression } from './image-builder.js';
import { createRegistryClient, MANIFEST_ACCEPT } from './registry-client.js';
import type { RegistryClient } from './registry-client.js';
import {
  appBinary,
  busyboxHardlinkTree,
  debianFullTree,
  DEBUG_PATH,
  distrolessDebugTree,
  distrolessStaticTree,
  packageFile,
  pythonTree,
  shellsTree,
} from './rootfs.js';
import { dir, exe, file, opaque, symlink, whiteout } from './tree.js';
import type { TreeEntry } from './tree.js';
import type { Credentials } from './token-server.js';

export type ExpectedPlatformFacts = Pick<
  PlatformFacts,
  | 'platform'
  | 'shells'
  | 'packageManagers'
  | 'user'
  | 'nonRoot'
  | 'hasTmpDir'
  | 'debugVariant'
  | 'distroless'
  | 'base'
  | 'distribution'
  | 'runtimes'
>;

export interface ExpectedFacts extends Omit<ExpectedPlatformFacts, 'platform'> {
  readonly platforms: readonly ExpectedPlatformFacts[];
}

export interface CatalogEntry {
  /** "repository:tag" */
  readonly name: string;
  readonly repository: string;
  readonly tag: string;
  /** What the image is and what it tests, as a sentence (usable as a test name). */
  readonly about: string;
  readonly expected: ExpectedFacts;
  readonly build: (layers: SharedLayers) => Promise<BuiltImage | BuiltIndex>;
}

const ROOT = { configured: '0', uid: 0, gid: 0, name: 'root' } as const;
const NONROOT = { configured: '65532', uid: 65532, gid: 65532, name: 'nonroot' } as const;
const DISTROLESS = 'Distroless';
const DEBIAN_12 = { id: 'debian', versionId: '12' } as const;
const DEBIAN_GLIBC = { name: 'glibc', version: null, path: '/usr/lib/x86_64-linux-gnu/libc.so.6' } as const;
const BUSYBOX_MANAGERS = ['dpkg', 'rpm'] as const;

/** Facts of a single-manifest image: its one platform is linux/amd64. */
function single(facts: Omit<ExpectedPlatformFacts, 'platform'>, platform = 'linux/amd64'): ExpectedFacts {
  return { ...facts, platforms: [{ platform, ...facts }] };
}

/** Layers several images share, built once per seeding (and so uploaded once per repository). */
export class SharedLayers {
  readonly #memo = new Map<string, Promise<BuiltLayer>>();

  layer(key: string, make: () => Promise<BuiltLayer>): Promise<BuiltLayer> {
    let built = this.#memo.get(key);
    if (built === undefined) {
      built = make();
      this.#memo.set(key, built);
    }
    return built;
  }

  distrolessBase(compression: Compression = 'gzip'): Promise<BuiltLayer> {
    return this.layer(`distroless-${compression}`, async () =>
      buildLayer({ entries: await distrolessStaticTree(), compression, createdBy: 'distroless static-debian12 base' }),
    );
  }

  debug(compression: Compression = 'gzip'): Promise<BuiltLayer> {
    return this.layer(`debug-${compression}`, async () =>
      buildLayer({ entries: await distrolessDebugTree(), compression, createdBy: 'distroless :debug busybox' }),
    );
  }

  debianFull(): Promise<BuiltLayer> {
    return this.layer('debian-full', async () => buildLayer({ entries: await debianFullTree(), names: 'dot-slash', createdBy: 'debian 12 rootfs' }));
  }

  shells(compression: Compression = 'gzip'): Promise<BuiltLayer> {
    return this.layer(`shells-${compression}`, async () =>
      buildLayer({ entries: await shellsTree(), compression, createdBy: 'dash and bash (merged-usr)' }),
    );
  }
}

const upper = (entries: readonly TreeEntry[], createdBy: string, names: 'plain' | 'dot-slash' = 'plain') =>
  buildLayer({ entries, names, createdBy });

const distrolessEntry = (tag: string, user: string, about: string): CatalogEntry => ({
  name: `distroless-static:${tag}`,
  repository: 'distroless-static',
  tag,
  about,
  expected: single({
    shells: [],
    packageManagers: [],
    user: user === '0' ? ROOT : NONROOT,
    nonRoot: user !== '0',
    hasTmpDir: true,
    debugVariant: false,
    distroless: true,
    base: DISTROLESS,
    distribution: DEBIAN_12,
    runtimes: [],
  }),
  build: async (shared) =>
    buildImage({
      layers: [await shared.distrolessBase()],
      config: { User: user, WorkingDir: user === '0' ? '/' : '/home/nonroot', Cmd: null, Entrypoint: null },
    }),
});

const busyboxDebugFacts = (user: typeof ROOT | typeof NONROOT) => ({
  shells: ['/busybox/ash', '/busybox/busybox', '/busybox/sh'],
  packageManagers: [...BUSYBOX_MANAGERS],
  user,
  nonRoot: user.uid !== 0,
  hasTmpDir: true,
  debugVariant: true,
  distroless: false,
  base: DISTROLESS,
  distribution: DEBIAN_12,
  runtimes: [],
});

/** Facts of the images built on the dash+bash layer with something deleted above it. */
const deletionFacts = (shells: readonly string[]): ExpectedFacts =>
  single({
    shells,
    packageManagers: [],
    user: NONROOT,
    nonRoot: true,
    hasTmpDir: true,
    debugVariant: false,
    distroless: shells.length === 0,
    base: DISTROLESS,
    distribution: DEBIAN_12,
    runtimes: [],
  });

/** The names of the dash+bash layer: both binaries, bash's rbash symlink, dash's /bin/sh symlink (merged-usr). */
const DASH_AND_BASH = ['/usr/bin/bash', '/usr/bin/dash', '/usr/bin/rbash', '/usr/bin/sh'] as const;

/** Facts of the images built on the merged-usr Debian 12 layer (its shells, apt and dpkg; root), with their runtimes. */
const debianFullFacts = (runtimes: ExpectedPlatformFacts['runtimes']): ExpectedFacts =>
  single({
    shells: DASH_AND_BASH,
    packageManagers: ['apt', 'apt-get', 'dpkg'],
    user: { configured: '', uid: 0, gid: 0, name: 'root' },
    nonRoot: false,
    hasTmpDir: true,
    debugVariant: false,
    distroless: false,
    base: 'Debian GNU/Linux 12 (bookworm)',
    distribution: DEBIAN_12,
    runtimes,
  });

const LONG_DIR = `opt/${'deeply-nested-directory-name/'.repeat(5)}bin`;

export const CATALOG: readonly CatalogEntry[] = [
  distrolessEntry('nonroot', '65532', 'distroless static nonroot runs as uid 65532 with no shell and no package manager'),
  distrolessEntry('latest', '0', 'distroless static latest is distroless but runs as root (User "0")'),
  {
    name: 'distroless-named:nonroot',
    repository: 'distroless-named',
    tag: 'nonroot',
    about: 'a distroless image whose User is the name "nonroot" resolves to uid 65532 through /etc/passwd',
    expected: single({
      shells: [],
      packageManagers: [],
      user: { ...NONROOT, configured: 'nonroot' },
      nonRoot: true,
      hasTmpDir: true,
      debugVariant: false,
      distroless: true,
      base: DISTROLESS,
      distribution: DEBIAN_12,
      runtimes: [],
    }),
    build: async (shared) =>
      buildImage({ layers: [await shared.distrolessBase()], config: { User: 'nonroot', WorkingDir: '/home/nonroot' } }),
  },
  {
    name: 'distroless-static:debug',
    repository: 'distroless-static',
    tag: 'debug',
    about: 'distroless static debug adds /busybox/busybox with absolute applet symlinks and enters through /busybox/sh',
    expected: single(busyboxDebugFacts(ROOT)),
    build: async (shared) =>
      buildImage({
        layers: [await shared.distrolessBase(), await shared.debug()],
        config: { User: '0', Env: [DEBUG_PATH], Entrypoint: ['/busybox/sh'] },
      }),
  },
  {
    name: 'distroless-python:debug',
    repository: 'distroless-python',
    tag: 'debug',
    about: 'a language debug image keeps its python3 entrypoint, so the debug variant shows only in its content',
    expected: single(busyboxDebugFacts(ROOT)),
    build: async (shared) =>
      buildImage({
        layers: [await shared.distrolessBase(), await shared.debug()],
        config: { User: '0', Env: [DEBUG_PATH], Entrypoint: ['/usr/bin/python3'] },
      }),
  },
  {
    name: 'debian-full:12',
    repository: 'debian-full',
    tag: '12',
    about:
      'a merged-usr Debian 12 with bash, dash, apt and dpkg, reached through /bin -> usr/bin, among data files named like them',
    expected: debianFullFacts([DEBIAN_GLIBC]),
    build: async (shared) => buildImage({ layers: [await shared.debianFull()], config: { User: '', Cmd: ['bash'] } }),
  },
  {
    name: 'python-slim:3.11',
    repository: 'python-slim',
    tag: '3.11',
    about:
      'Debian 12 with Python from its packages (/usr/bin/python3 -> python3.11) on top: the fix names distroless python3, not static',
    expected: debianFullFacts([DEBIAN_GLIBC, { name: 'python', version: '3.11', path: '/usr/bin/python3.11' }]),
    build: async (shared) =>
      buildImage({
        layers: [await shared.debianFull(), await upper(await pythonTree(), 'python3.11 from Debian 12')],
        config: { User: '', Cmd: ['python3'] },
      }),
  },
  {
    name: 'layered-deletions:latest',
    repository: 'layered-deletions',
    tag: 'latest',
    about:
      'bash deleted by a .wh. whiteout and a directory holding a shell made opaque (marker after the new entries) leave only dash and its /usr/bin/sh link',
    expected: deletionFacts(['/usr/bin/dash', '/usr/bin/sh']),
    build: async (shared) =>
      buildImage({
        layers: [
          await shared.distrolessBase(),
          await shared.shells(),
          await upper(
            [dir('usr/share/x'), dir('usr/share/x/bin'), exe('usr/share/x/bin/sh', await packageFile('dash', 'bin/dash'))],
            'a directory with a shell',
          ),
          await upper(
            [whiteout('usr/bin/bash'), file('usr/share/x/README', 'replaced\n'), opaque('usr/share/x')],
            'delete bash, make /usr/share/x opaque',
            'dot-slash',
          ),
        ],
        config: { User: '65532' },
      }),
  },
  {
    name: 'layered-deletions:dir-whiteout',
    repository: 'layered-deletions',
    tag: 'dir-whiteout',
    about: 'a whiteout of the directory /opt/tools removes the shell inside it',
    expected: deletionFacts(DASH_AND_BASH),
    build: async (shared) =>
      buildImage({
        layers: [
          await shared.distrolessBase(),
          await shared.shells(),
          await upper(
            [
              dir('opt/tools'),
              dir('opt/tools/bin'),
              exe('opt/tools/bin/zsh', await packageFile('bash', 'bin/bash')),
              symlink('opt/tools/sh', 'bin/zsh'),
            ],
            'tools with a shell',
          ),
          await upper([whiteout('opt/tools')], 'delete /opt/tools'),
        ],
        config: { User: '65532' },
      }),
  },
  {
    name: 'layered-deletions:file-over-dir',
    repository: 'layered-deletions',
    tag: 'file-over-dir',
    about: 'a regular file replacing the directory /srv/shells removes the shell beneath it',
    expected: deletionFacts(DASH_AND_BASH),
    build: async (shared) =>
      buildImage({
        layers: [
          await shared.distrolessBase(),
          await shared.shells(),
          await upper([dir('srv/shells'), exe('srv/shells/ash', await packageFile('dash', 'bin/dash'))], 'shells dir'),
          await upper([file('srv/shells', 'now a file\n')], 'file over the directory'),
        ],
        config: { User: '65532' },
      }),
  },
  {
    name: 'layered-deletions:all-gone',
    repository: 'layered-deletions',
    tag: 'all-gone',
    about: 'an opaque /usr/bin in the top layer hides every shell below, so no shell is left',
    expected: deletionFacts([]),
    build: async (shared) =>
      buildImage({
        layers: [
          await shared.distrolessBase(),
          await shared.shells(),
          await upper([exe('usr/bin/app', await appBinary()), opaque('usr/bin')], 'opaque /usr/bin'),
        ],
        config: { User: '65532', Entrypoint: ['/usr/bin/app'] },
      }),
  },
  {
    name: 'busybox-hardlinks:latest',
    repository: 'busybox-hardlinks',
    tag: 'latest',
    about: 'Docker Hub style busybox: /bin/busybox with every applet, sh included, as a hard link to it',
    expected: single({
      shells: ['/bin/ash', '/bin/busybox', '/bin/sh'],
      packageManagers: [...BUSYBOX_MANAGERS],
      user: { configured: '', uid: 0, gid: 0, name: 'root' },
      nonRoot: false,
      hasTmpDir: true,
      debugVariant: false,
      distroless: false,
      base: null,
      distribution: null,
      runtimes: [],
    }),
    build: async () => buildImage({ layers: [{ entries: await busyboxHardlinkTree() }], config: { Cmd: ['sh'] } }),
  },
  {
    name: 'named-user-no-passwd:latest',
    repository: 'named-user-no-passwd',
    tag: 'latest',
    about: 'User "app" with no /etc/passwd cannot be resolved: uid unknown, non-root unknown',
    expected: single({
      shells: [],
      packageManagers: [],
      user: { configured: 'app', uid: null, gid: null, name: 'app' },
      nonRoot: null,
      hasTmpDir: false,
      debugVariant: false,
      distroless: true,
      base: null,
      distribution: null,
      runtimes: [],
    }),
    build: async () =>
      buildImage({
        layers: [{ entries: [dir('app'), exe('app/server', await appBinary())] }],
        config: { User: 'app', Entrypoint: ['/app/server'] },
      }),
  },
  {
    name: 'app-uid0:latest',
    repository: 'app-uid0',
    tag: 'latest',
    about: 'User "app" mapped to uid 0 by /etc/passwd runs as root',
    expected: single({
      shells: [],
      packageManagers: [],
      user: { configured: 'app', uid: 0, gid: 0, name: 'app' },
      nonRoot: false,
      hasTmpDir: false,
      debugVariant: false,
      distroless: true,
      base: null,
      distribution: null,
      runtimes: [],
    }),
    build: async () =>
      buildImage({
        layers: [
          {
            entries: [
              dir('etc'),
              file('etc/passwd', 'app:x:0:0:app:/app:/sbin/nologin\n'),
              file('etc/group', 'app:x:0:\n'),
              dir('app'),
              exe('app/server', await appBinary()),
            ],
          },
        ],
        config: { User: 'app', Entrypoint: ['/app/server'] },
      }),
  },
  {
    name: 'numeric-user-group:latest',
    repository: 'numeric-user-group',
    tag: 'latest',
    about: 'User "10001:10001" is numeric and needs no /etc/passwd',
    expected: single({
      shells: [],
      packageManagers: [],
      user: { configured: '10001:10001', uid: 10001, gid: 10001, name: null },
      nonRoot: true,
      hasTmpDir: false,
      debugVariant: false,
      distroless: true,
      base: null,
      distribution: null,
      runtimes: [],
    }),
    build: async () =>
      buildImage({
        layers: [{ entries: [dir('app'), exe('app/server', await appBinary())] }],
        config: { User: '10001:10001', Entrypoint: ['/app/server'] },
      }),
  },
  {
    name: 'zstd-layers:latest',
    repository: 'zstd-layers',
    tag: 'latest',
    about: 'zstd-compressed layers (tar+zstd) are read: the busybox debug layer is found',
    expected: single(busyboxDebugFacts(NONROOT)),
    build: async (shared) =>
      buildImage({
        layers: [await shared.distrolessBase('zstd'), await shared.debug('zstd')],
        config: { User: '65532', Env: [DEBUG_PATH], Entrypoint: ['/busybox/sh'] },
      }),
  },
  {
    name: 'uncompressed-layers:latest',
    repository: 'uncompressed-layers',
    tag: 'latest',
    about: 'uncompressed layers (plain tar, "./" names in the top one) are read: dash and bash are found',
    expected: deletionFacts(DASH_AND_BASH),
    build: async (shared) =>
      buildImage({
        layers: [
          await shared.distrolessBase('none'),
          await buildLayer({ entries: await shellsTree(), compression: 'none', names: 'dot-slash' }),
        ],
        config: { User: '65532' },
      }),
  },
  {
    name: 'schema2:latest',
    repository: 'schema2',
    tag: 'latest',
    about: 'a Docker schema2 manifest with rootfs.diff.tar.gzip layers is read like an OCI one',
    expected: deletionFacts(DASH_AND_BASH),
    build: async (shared) =>
      buildImage({
        format: 'docker',
        layers: [await shared.distrolessBase(), await shared.shells()],
        config: { User: '65532' },
      }),
  },
  {
    name: 'multiarch:latest',
    repository: 'multiarch',
    tag: 'latest',
    about:
      'an OCI index of a distroless linux/amd64, a linux/arm64/v8 with a shell and unknown/unknown attestations takes the worst case',
    expected: {
      ...busyboxDebugFacts(NONROOT),
      platforms: [
        {
          platform: 'linux/amd64',
          shells: [],
          packageManagers: [],
          user: NONROOT,
          nonRoot: true,
          hasTmpDir: true,
          debugVariant: false,
          distroless: true,
          base: DISTROLESS,
          distribution: DEBIAN_12,
          runtimes: [],
        },
        { platform: 'linux/arm64/v8', ...busyboxDebugFacts(NONROOT) },
      ],
    },
    build: async (shared) => buildIndex(await multiarchImages(shared, 'oci'), { attestations: true }),
  },
  {
    name: 'multiarch:docker',
    repository: 'multiarch',
    tag: 'docker',
    about: 'a Docker manifest list with the same two platforms takes the worst case too',
    expected: {
      ...busyboxDebugFacts(NONROOT),
      platforms: [
        {
          platform: 'linux/amd64',
          shells: [],
          packageManagers: [],
          user: NONROOT,
          nonRoot: true,
          hasTmpDir: true,
          debugVariant: false,
          distroless: true,
          base: DISTROLESS,
          distribution: DEBIAN_12,
          runtimes: [],
        },
        { platform: 'linux/arm64/v8', ...busyboxDebugFacts(NONROOT) },
      ],
    },
    build: async (shared) => buildIndex(await multiarchImages(shared, 'docker'), { format: 'docker' }),
  },
  {
    name: 'dangling-shell-link:latest',
    repository: 'dangling-shell-link',
    tag: 'latest',
    about: 'shell-named symlinks that dangle, loop or climb out of the root are not shells',
    expected: deletionFacts([]),
    build: async (shared) =>
      buildImage({
        layers: [
          await shared.distrolessBase(),
          await upper(
            [
              symlink('usr/bin/sh', 'dash'),
              dir('usr/local/bin'),
              symlink('usr/local/bin/bash', '/opt/bash'),
              symlink('usr/local/bin/zsh', 'zsh-loop'),
              symlink('usr/local/bin/zsh-loop', 'zsh'),
              symlink('usr/local/bin/ksh', '../../../../../../ksh'),
            ],
            'dangling and looping links',
          ),
        ],
        config: { User: '65532' },
      }),
  },
  {
    name: 'long-names:latest',
    repository: 'long-names',
    tag: 'latest',
    about: 'a shell under a path longer than 100 characters (a PAX header) is found',
    expected: deletionFacts([`/${LONG_DIR}/dash`]),
    build: async (shared) =>
      buildImage({
        layers: [
          await shared.distrolessBase(),
          await upper([dir(LONG_DIR), exe(`${LONG_DIR}/dash`, await packageFile('dash', 'bin/dash'))], 'long names'),
        ],
        config: { User: '65532' },
      }),
  },
];

async function multiarchImages(shared: SharedLayers, format: 'oci' | 'docker'): Promise<BuiltImage[]> {
  return [
    await buildImage({
      format,
      layers: [await shared.distrolessBase()],
      config: { User: '65532', Env: [DEFAULT_PATH] },
      platform: { os: 'linux', architecture: 'amd64' },
    }),
    await buildImage({
      format,
      layers: [await shared.distrolessBase(), await shared.debug()],
      config: { User: '65532', Env: [DEBUG_PATH], Entrypoint: ['/busybox/sh'] },
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    }),
  ];
}

export interface SeededImage {
  readonly entry: CatalogEntry;
  /** "127.0.0.1:PORT/repository:tag" */
  readonly ref: string;
  /** Digest of the manifest or index the tag points at. */
  readonly digest: string;
  /** "127.0.0.1:PORT/repository@sha256:…" */
  readonly pinned: string;
  readonly mediaType: string;
}

export interface SeededCatalog {
  readonly host: string;
  readonly images: readonly SeededImage[];
  /** By catalog name ("distroless-static:nonroot"); throws for an unknown name. */
  get(name: string): SeededImage;
}

export interface RegistryTarget {
  readonly host: string;
  readonly credentials?: Credentials;
}

function catalogOf(host: string, images: SeededImage[]): SeededCatalog {
  const byName = new Map(images.map((image) => [image.entry.name, image]));
  return {
    host,
    images,
    get(name) {
      const image = byName.get(name);
      if (image === undefined) throw new Error(`no catalog image ${name}`);
      return image;
    },
  };
}

function seeded(host: string, entry: CatalogEntry, digest: string, mediaType: string): SeededImage {
  return {
    entry,
    ref: `${host}/${entry.repository}:${entry.tag}`,
    digest,
    pinned: `${host}/${entry.repository}@${digest}`,
    mediaType,
  };
}

/** Builds every catalog image and pushes it. */
export async function seedImages(registry: RegistryTarget, catalog = CATALOG): Promise<SeededCatalog> {
  const client = createRegistryClient(
    registry.host,
    registry.credentials === undefined ? {} : { credentials: registry.credentials },
  );
  const shared = new SharedLayers();
  const images = await Promise.all(
    catalog.map(async (entry) => {
      const built = await entry.build(shared);
      const pushed = await push(client, entry.repository, built, [entry.tag]);
      return seeded(registry.host, entry, pushed.digest, pushed.mediaType);
    }),
  );
  return catalogOf(registry.host, images);
}

/** The catalog as already pushed to `registry` (by another process): digests come from HEAD requests. */
export async function describeSeeded(registry: RegistryTarget, catalog = CATALOG): Promise<SeededCatalog> {
  const client: RegistryClient = createRegistryClient(
    registry.host,
    registry.credentials === undefined ? {} : { credentials: registry.credentials },
  );
  const images = await Promise.all(
    catalog.map(async (entry) => {
      const head = await client.headManifest(entry.repository, entry.tag, MANIFEST_ACCEPT);
      const digest = head.headers.get('docker-content-digest');
      const mediaType = head.headers.get('content-type');
      if (head.status !== 200 || digest === null || mediaType === null) {
        throw new Error(`${registry.host} has no ${entry.name} (HEAD ${head.status}): was it seeded?`);
      }
      return seeded(registry.host, entry, digest, mediaType);
    }),
  );
  return catalogOf(registry.host, images);
}

export { buildLargeImage } from './large-image.js';
export type { LargeImage, LargeImageOptions } from './large-image.js';
