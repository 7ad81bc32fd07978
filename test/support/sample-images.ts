/**
 * Test support: well-known images as layer indexes written in code (trimmed listings of the real layers, keeping
 * everything the facts look at and the distractors that fool name-based checks).
 */
import type { ImageConfig, LayerIndex } from '../../src/image/layers/types.js';
import { layerOf } from './layer-listing.js';

export interface SampleImage {
  readonly config: ImageConfig;
  /** Top (last applied) first. */
  readonly layers: readonly LayerIndex[];
}

const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

const DISTROLESS_PASSWD =
  'root:x:0:0:root:/root:/sbin/nologin\n' +
  'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' +
  'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n';
const DISTROLESS_GROUP = 'root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n';
const DISTROLESS_OS_RELEASE =
  'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\n' +
  'VERSION="Debian GNU/Linux 12 (bookworm)"\nHOME_URL="https://github.com/GoogleContainerTools/distroless"\n' +
  'SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"\n' +
  'BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"\n';

/** gcr.io/distroless/static-debian12 (several layers, as the real image has). */
function distrolessStaticLayers(): LayerIndex[] {
  return [
    layerOf(['/etc/', '/etc/nsswitch.conf', '/etc/ssl/certs/ca-certificates.crt', '/usr/share/zoneinfo/UTC']),
    layerOf(
      ['/etc/passwd', '/etc/group', '/home/', '/home/nonroot/ 700', '/root/ 700', '/tmp/ 1777'],
      { '/etc/passwd': DISTROLESS_PASSWD, '/etc/group': DISTROLESS_GROUP },
    ),
    layerOf(
      [
        '/bin/',
        '/sbin/',
        '/etc/os-release',
        '/etc/debian_version',
        '/usr/lib/os-release',
        '/var/lib/dpkg/status.d/',
        '/var/lib/dpkg/status.d/base-files',
        '/var/lib/dpkg/status.d/netbase',
        '/var/lib/dpkg/status.d/tzdata',
        '/usr/share/doc/base-files/copyright',
      ],
      { '/etc/os-release': DISTROLESS_OS_RELEASE, '/usr/lib/os-release': DISTROLESS_OS_RELEASE },
    ),
  ];
}

export const distrolessStaticNonroot: SampleImage = {
  config: {
    architecture: 'amd64',
    os: 'linux',
    config: { User: '65532', Env: DEFAULT_ENV, WorkingDir: '/home/nonroot', Entrypoint: null, Cmd: null },
  },
  layers: distrolessStaticLayers(),
};

export const distrolessStaticRoot: SampleImage = {
  config: { architecture: 'arm64', os: 'linux', variant: 'v8', config: { User: '0', Env: DEFAULT_ENV } },
  layers: distrolessStaticLayers(),
};

/** A slice of the ~380 applets distroless :debug links to /busybox/busybox, all with absolute targets. */
export const BUSYBOX_APPLETS: readonly string[] = [
  '[', '[[', 'addgroup', 'arch', 'ash', 'awk', 'base64', 'basename', 'cat', 'chmod', 'chown', 'cp', 'cut', 'date',
  'dd', 'df', 'dirname', 'du', 'echo', 'env', 'expr', 'false', 'find', 'grep', 'gunzip', 'gzip', 'head', 'hostname',
  'id', 'kill', 'less', 'ln', 'ls', 'mkdir', 'mv', 'nc', 'nslookup', 'ping', 'ps', 'pwd', 'rm', 'sed', 'sh', 'sleep',
  'sort', 'tail', 'tar', 'tee', 'test', 'top', 'touch', 'tr', 'true', 'uname', 'vi', 'wc', 'wget', 'which', 'xargs',
];

const debugLayer = (): LayerIndex =>
  layerOf(['/busybox/', '/busybox/busybox 755', ...BUSYBOX_APPLETS.map((applet) => `/busybox/${applet} -> /busybox/busybox`)]);

/** gcr.io/distroless/static-debian12:debug: the busybox layer on top, entrypoint /busybox/sh, runs as root. */
export const distrolessStaticDebug: SampleImage = {
  config: {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: [...DEFAULT_ENV.map((e) => `${e}:/busybox`)], Entrypoint: ['/busybox/sh'], WorkingDir: '/' },
  },
  layers: [debugLayer(), ...distrolessStaticLayers()],
};

/** gcr.io/distroless/python3-debian12:debug-nonroot: the language entrypoint stays. */
export const distrolessPythonDebugNonroot: SampleImage = {
  config: {
    architecture: 'amd64',
    os: 'linux',
    config: { User: '65532', Env: [`${DEFAULT_ENV[0]}:/busybox`], Entrypoint: ['/usr/bin/python3.11'] },
  },
  layers: [
    debugLayer(),
    layerOf(['/usr/bin/python3.11 755', '/usr/bin/python3 -> python3.11', '/usr/lib/python3.11/os.py']),
    ...distrolessStaticLayers(),
  ],
};

const DEBIAN_OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n' +
  'VERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n';
const DEBIAN_PASSWD =
  'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n' +
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n';

/** debian:12 — merged-usr, with the data files named after shells and package managers. */
export function debian12Layer(): LayerIndex {
  return layerOf(
    [
      '/bin -> usr/bin',
      '/sbin -> usr/sbin',
      '/lib -> usr/lib',
      '/usr/bin/',
      '/usr/bin/bash 755',
      '/usr/bin/dash 755',
      '/usr/bin/sh -> dash',
      '/usr/bin/rbash -> bash',
      '/usr/bin/apt 755',
      '/usr/bin/apt-get 755',
      '/usr/bin/apt-cache 755',
      '/usr/bin/dpkg 755',
      '/usr/bin/ls 755',
      '/usr/bin/cat 755',
      '/usr/sbin/nologin 755',
      '/usr/share/bash-completion/completions/bash',
      '/usr/share/bash-completion/completions/apt',
      '/usr/share/bash-completion/completions/dpkg',
      '/usr/share/lintian/overrides/bash',
      '/usr/share/lintian/overrides/dash',
      '/usr/share/debianutils/shells.d/bash',
      '/usr/share/menu/bash',
      '/usr/share/doc/bash/',
      '/etc/bash.bashrc',
      '/etc/skel/.bashrc',
      '/etc/logrotate.d/apt',
      '/etc/logrotate.d/dpkg',
      '/etc/cron.daily/dpkg 755',
      '/etc/cron.daily/apt-compat 755',
      '/etc/os-release -> ../usr/lib/os-release',
      '/usr/lib/os-release',
      '/etc/passwd',
      '/etc/group',
      '/var/lib/dpkg/status',
      '/tmp/ 1777',
    ],
    {
      '/usr/lib/os-release': DEBIAN_OS_RELEASE,
      '/etc/passwd': DEBIAN_PASSWD,
      '/etc/group': 'root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n',
    },
  );
}

export const debian12: SampleImage = {
  config: { architecture: 'amd64', os: 'linux', config: { Env: DEFAULT_ENV, Cmd: ['bash'] } },
  layers: [debian12Layer()],
};

/** docker.io/library/busybox: one regular file, /bin/[, and every other name a hard link to it. */
export const busybox: SampleImage = {
  config: { architecture: 'amd64', os: 'linux', config: { Env: DEFAULT_ENV, Cmd: ['sh'] } },
  layers: [
    layerOf(
      [
        '/bin/',
        '/bin/[ 755',
        ...['[[', 'ash', 'busybox', 'cat', 'hush', 'ls', 'sh', 'vi', 'wget'].map((name) => `/bin/${name} => /bin/[ 755`),
        '/etc/passwd',
        '/etc/group',
        '/root/ 700',
        '/tmp/ 1777',
      ],
      {
        '/etc/passwd':
          'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
        '/etc/group': 'root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n',
      },
    ),
  ],
};

const WOLFI_OS_RELEASE = 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\nHOME_URL="https://wolfi.dev"\n';
const WOLFI_PASSWD =
  'root:x:0:0:root:/root:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/ash\n';

function chainguardBaseLayer(): LayerIndex {
  return layerOf(
    [
      '/etc/os-release',
      '/etc/passwd',
      '/etc/group',
      '/etc/apk/repositories',
      '/etc/apk/world',
      '/lib/apk/db/installed',
      '/lib/apk/db/lock',
      '/usr/lib/libc.so.6 755',
      '/var/lib/db/sbom/glibc.spdx.json',
      '/home/nonroot/',
      '/tmp/ 1777',
    ],
    {
      '/etc/os-release': WOLFI_OS_RELEASE,
      '/etc/passwd': WOLFI_PASSWD,
      '/etc/group': 'root:x:0:\nnonroot:x:65532:\n',
    },
  );
}

/** cgr.dev/chainguard/static: no shell, no apk, but the apk database. */
export const chainguardStatic: SampleImage = {
  config: { architecture: 'amd64', os: 'linux', config: { User: '65532', Env: DEFAULT_ENV } },
  layers: [chainguardBaseLayer()],
};

/** A Chainguard `-dev` variant: apk-tools, bash and busybox added. */
export const chainguardDev: SampleImage = {
  config: { architecture: 'amd64', os: 'linux', config: { User: '65532', Env: DEFAULT_ENV } },
  layers: [
    layerOf([
      '/bin/busybox 755',
      '/bin/sh -> /bin/busybox',
      '/bin/ls -> /bin/busybox',
      '/bin/cat -> /bin/busybox',
      '/usr/bin/bash 755',
      '/sbin/apk 755',
      '/usr/share/bash-completion/completions/apk',
    ]),
    chainguardBaseLayer(),
  ],
};

/** ubuntu/dotnet-runtime chiseled: user `app`, uid 1654, a name the kubelet cannot check without the passwd. */
export const ubuntuChiseled: SampleImage = {
  config: { architecture: 'amd64', os: 'linux', config: { User: 'app', Env: DEFAULT_ENV, WorkingDir: '/app' } },
  layers: [
    layerOf(['/app/', '/app/app.dll']),
    layerOf(
      [
        '/etc/passwd',
        '/etc/group',
        '/etc/os-release -> ../usr/lib/os-release',
        '/usr/lib/os-release',
        '/usr/lib/x86_64-linux-gnu/libc.so.6 755',
        '/usr/share/dotnet/dotnet 755',
        '/usr/bin/dotnet -> ../share/dotnet/dotnet',
        '/var/lib/dpkg/status.d/libc6',
        '/tmp/ 1777',
      ],
      {
        '/etc/passwd': 'root:x:0:0:root:/root:/usr/sbin/nologin\napp:x:1654:1654::/home/app:/usr/sbin/nologin\n',
        '/etc/group': 'root:x:0:\napp:x:1654:\n',
        '/usr/lib/os-release': 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\n',
      },
    ),
  ],
};

/** registry.access.redhat.com/ubi9/ubi-micro: no package manager, but /bin/sh -> bash. */
export const ubiMicro: SampleImage = {
  config: {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: DEFAULT_ENV, Labels: { 'org.opencontainers.image.base.name': 'registry.access.redhat.com/ubi9' } },
  },
  layers: [
    layerOf(
      [
        '/bin -> usr/bin',
        '/sbin -> usr/sbin',
        '/usr/bin/bash 755',
        '/usr/bin/sh -> bash',
        '/usr/bin/coreutils 755',
        '/usr/bin/ls -> coreutils',
        '/usr/lib/rpm/macros',
        '/var/lib/rpm/rpmdb.sqlite',
        '/usr/share/bash-completion/completions/rpm',
        '/etc/os-release -> ../usr/lib/os-release',
        '/usr/lib/os-release',
        '/etc/passwd',
        '/tmp/ 1777',
      ],
      {
        '/usr/lib/os-release': 'NAME="Red Hat Enterprise Linux"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\nID="rhel"\n',
        '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n',
      },
    ),
  ],
};
