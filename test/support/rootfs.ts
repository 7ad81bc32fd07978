/**
 * Root filesystems built from real Debian 12 packages, shaped like the images the guard meets: a distroless base,
 * the distroless :debug busybox layer, Docker Hub's hard-linked busybox, a merged-usr Debian with shells and apt.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debControl, debPackage, debPackages, isExecutableFile, mergedUsrLinks, packageTree } from './debian.js';
import { dir, exe, file, hardlink, mergeTrees, symlink, withParents } from './tree.js';
import type { TreeEntry } from './tree.js';

export const DISTROLESS_PASSWD = [
  'root:x:0:0:root:/root:/sbin/nologin',
  'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin',
  'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin',
  '',
].join('\n');

export const DISTROLESS_GROUP = ['root:x:0:', 'tty:x:5:', 'staff:x:50:', 'nobody:x:65534:', 'nonroot:x:65532:', ''].join(
  '\n',
);

/** gcr.io/distroless's /etc/os-release: Debian's fields, PRETTY_NAME "Distroless". */
export const DISTROLESS_OS_RELEASE = [
  'PRETTY_NAME="Distroless"',
  'NAME="Debian GNU/Linux"',
  'ID="debian"',
  'VERSION_ID="12"',
  'VERSION="Debian GNU/Linux 12 (bookworm)"',
  'HOME_URL="https://github.com/GoogleContainerTools/distroless"',
  'SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"',
  'BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"',
  '',
].join('\n');

/** Packages whose data make up distroless/static (it has no libc, no shell, no dpkg). */
export const DISTROLESS_STATIC_PACKAGES = ['base-files', 'netbase', 'tzdata', 'ca-certificates'] as const;

/** PATH of distroless :debug images. */
export const DEBUG_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox';

/** The bytes of a file inside an extracted package, e.g. packageFile('dash', 'bin/dash'). */
export async function packageFile(pkg: string, relative: string): Promise<Buffer> {
  return readFileSync(join(await debPackage(pkg), relative));
}

/** The mozilla CA bundle as update-ca-certificates would write /etc/ssl/certs/ca-certificates.crt. */
async function caBundle(): Promise<string> {
  const mozilla = join(await debPackage('ca-certificates'), 'usr/share/ca-certificates/mozilla');
  return readdirSync(mozilla)
    .filter((name) => name.endsWith('.crt'))
    .sort()
    .map((name) => readFileSync(join(mozilla, name), 'utf8'))
    .join('');
}

/**
 * distroless/static-debian12: the data of base-files, netbase, tzdata and ca-certificates (their executables left
 * out: update-ca-certificates and a motd script are shell scripts), the usrmerge symlinks, distroless's passwd,
 * group and os-release, /home/nonroot, and dpkg's per-package database files in /var/lib/dpkg/status.d (no dpkg).
 */
export async function distrolessStaticTree(): Promise<TreeEntry[]> {
  await debPackages(DISTROLESS_STATIC_PACKAGES);
  const packages = await Promise.all(
    DISTROLESS_STATIC_PACKAGES.map((name) => packageTree(name, { include: (_path, entry) => !isExecutableFile(entry) })),
  );
  const status = await Promise.all(
    DISTROLESS_STATIC_PACKAGES.map(async (name) => file(`var/lib/dpkg/status.d/${name}`, await debControl(name))),
  );
  const written: TreeEntry[] = [
    file('etc/passwd', DISTROLESS_PASSWD),
    file('etc/group', DISTROLESS_GROUP),
    // A regular file replacing base-files' /etc/os-release -> ../usr/lib/os-release symlink, as distroless does.
    file('etc/os-release', DISTROLESS_OS_RELEASE),
    file('etc/nsswitch.conf', 'hosts: files dns\n'),
    file('etc/ssl/certs/ca-certificates.crt', await caBundle()),
    dir('var/lib/dpkg/status.d'),
    ...status,
    { type: 'dir', path: 'home/nonroot', mode: 0o700, uid: 65532, gid: 65532 },
    dir('root', 0o700),
    dir('tmp', 0o1777),
  ];
  return withParents(mergeTrees(mergedUsrLinks(), ...packages, written));
}

/** The applets of Debian's busybox-static, from the binary itself (`busybox --list`), without "busybox". */
export async function busyboxApplets(): Promise<string[]> {
  const binary = join(await debPackage('busybox-static'), 'bin/busybox');
  return execFileSync(binary, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => name !== '' && name !== 'busybox');
}

/** The one layer distroless :debug adds: /busybox/busybox and an absolute symlink to it per applet. */
export async function distrolessDebugTree(): Promise<TreeEntry[]> {
  const busybox = await packageFile('busybox-static', 'bin/busybox');
  const applets = await busyboxApplets();
  const links = applets.map((name) => symlink(`busybox/${name}`, '/busybox/busybox'));
  return [dir('busybox'), exe('busybox/busybox', busybox), ...links];
}

/** Docker Hub's busybox: the binary at /bin/busybox, every applet a hard link to it, a small /etc. */
export async function busyboxHardlinkTree(): Promise<TreeEntry[]> {
  const busybox = await packageFile('busybox-static', 'bin/busybox');
  const applets = await busyboxApplets();
  return [
    dir('bin'),
    exe('bin/busybox', busybox),
    ...applets.map((name) => hardlink(`bin/${name}`, 'bin/busybox')),
    dir('etc'),
    file(
      'etc/passwd',
      'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
    ),
    file('etc/group', 'root:x:0:\ndaemon:x:1:\nnobody:x:65534:\n'),
    dir('home'),
    dir('root', 0o700),
    dir('tmp', 0o1777),
    dir('usr'),
    dir('usr/sbin'),
    dir('var'),
  ];
}

/** Packages of the debian-full image. */
export const DEBIAN_FULL_PACKAGES = [
  'base-files',
  'base-passwd',
  'libc6',
  'bash',
  'dash',
  'coreutils',
  'debianutils',
  'dpkg',
  'apt',
  'bash-completion',
] as const;

function masterToEtc(master: string): string {
  // base-passwd's masters carry "*" where an installed system has "x" (shadow passwords).
  return master
    .split('\n')
    .map((line) => line.replace(/^([^:]*):\*:/, '$1:x:'))
    .join('\n');
}

/**
 * A merged-usr Debian 12 rootfs from real packages: /bin/sh -> dash (dash ships it as /bin/sh, which lands at
 * /usr/bin/sh), bash, coreutils, apt and dpkg executables, bash-completion's data files named after shells and
 * package managers, /etc/passwd and /etc/group from base-passwd's masters, /etc/shells.
 */
export async function debianFullTree(): Promise<TreeEntry[]> {
  await debPackages(DEBIAN_FULL_PACKAGES);
  const packages = await Promise.all(DEBIAN_FULL_PACKAGES.map((name) => packageTree(name)));
  const basePasswd = await debPackage('base-passwd');
  const written: TreeEntry[] = [
    file('etc/passwd', masterToEtc(readFileSync(join(basePasswd, 'usr/share/base-passwd/passwd.master'), 'utf8'))),
    file('etc/group', masterToEtc(readFileSync(join(basePasswd, 'usr/share/base-passwd/group.master'), 'utf8'))),
    file('etc/shells', '/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n/bin/dash\n/usr/bin/dash\n'),
    dir('root', 0o700),
    dir('tmp', 0o1777),
  ];
  return withParents(mergeTrees(mergedUsrLinks(), ...packages, written));
}

/** dash and bash as their packages install them on a merged-usr system (no usrmerge links: a base provides them). */
export async function shellsTree(): Promise<TreeEntry[]> {
  await debPackages(['dash', 'bash']);
  return mergeTrees(await packageTree('dash'), await packageTree('bash'));
}

/** Debian 12's Python as its packages install it: /usr/bin/python3.11, and /usr/bin/python3 -> python3.11. */
export const PYTHON_PACKAGES = ['python3.11-minimal', 'python3-minimal'] as const;

export async function pythonTree(): Promise<TreeEntry[]> {
  await debPackages(PYTHON_PACKAGES);
  return mergeTrees(...(await Promise.all(PYTHON_PACKAGES.map((name) => packageTree(name)))));
}

/** A real, non-shell executable to stand in for an application binary (coreutils' `true`). */
export async function appBinary(): Promise<Buffer> {
  return packageFile('coreutils', 'bin/true');
}
