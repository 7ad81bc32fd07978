import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FactsError, combinePlatforms, derivePlatformFacts } from '../../../../src/image/facts/derive.js';
import { platformOf } from '../../../../src/image/facts/platform.js';
import type { PlatformFacts, ScanSummary } from '../../../../src/image/facts/types.js';
import type { ImageConfig } from '../../../../src/image/layers/types.js';
import { buildUnion } from '../../../../src/image/layers/union.js';
import { layerOf } from '../../../support/layer-listing.js';
import * as samples from '../../../support/sample-images.js';

const DIGEST = 'sha256:0123';

function factsOf(image: samples.SampleImage, scan?: ScanSummary): PlatformFacts {
  const layersTotal = image.layers.length;
  return derivePlatformFacts({
    digest: DIGEST,
    config: image.config,
    layers: image.layers,
    scan: scan ?? { layersTotal, layersRead: layersTotal, stoppedEarly: false },
  });
}

type Expected = Omit<PlatformFacts, 'digest' | 'scan'>;

const DEBIAN_12 = { id: 'debian', versionId: '12' };

describe('derivePlatformFacts on real image layouts', () => {
  const cases: ReadonlyArray<{ name: string; image: samples.SampleImage; facts: Expected }> = [
    {
      name: 'gcr.io/distroless/static:nonroot is distroless and non-root',
      image: samples.distrolessStaticNonroot,
      facts: {
        platform: 'linux/amd64',
        shells: [],
        packageManagers: [],
        user: { configured: '65532', uid: 65532, gid: 65532, name: 'nonroot' },
        nonRoot: true,
        hasTmpDir: true,
        debugVariant: false,
        distroless: true,
        base: 'Distroless',
        distribution: DEBIAN_12,
        runtimes: [],
      },
    },
    {
      name: 'gcr.io/distroless/static:latest on arm64 runs as root',
      image: samples.distrolessStaticRoot,
      facts: {
        platform: 'linux/arm64/v8',
        shells: [],
        packageManagers: [],
        user: { configured: '0', uid: 0, gid: 0, name: 'root' },
        nonRoot: false,
        hasTmpDir: true,
        debugVariant: false,
        distroless: true,
        base: 'Distroless',
        distribution: DEBIAN_12,
        runtimes: [],
      },
    },
    {
      name: 'gcr.io/distroless/static:debug is a debug variant with busybox shells',
      image: samples.distrolessStaticDebug,
      facts: {
        platform: 'linux/amd64',
        shells: ['/busybox/ash', '/busybox/busybox', '/busybox/sh'],
        packageManagers: [],
        user: { configured: '', uid: 0, gid: 0, name: 'root' },
        nonRoot: false,
        hasTmpDir: true,
        debugVariant: true,
        distroless: false,
        base: 'Distroless',
        distribution: DEBIAN_12,
        runtimes: [],
      },
    },
    {
      name: 'debian:12 has shells and apt',
      image: samples.debian12,
      facts: {
        platform: 'linux/amd64',
        shells: ['/usr/bin/bash', '/usr/bin/dash', '/usr/bin/rbash', '/usr/bin/sh'],
        packageManagers: ['apt', 'apt-get', 'dpkg'],
        user: { configured: '', uid: 0, gid: 0, name: 'root' },
        nonRoot: false,
        hasTmpDir: true,
        debugVariant: false,
        distroless: false,
        base: 'Debian GNU/Linux 12 (bookworm)',
        distribution: DEBIAN_12,
        runtimes: [],
      },
    },
    {
      name: 'busybox with hard links',
      image: samples.busybox,
      facts: {
        platform: 'linux/amd64',
        shells: ['/bin/ash', '/bin/busybox', '/bin/hush', '/bin/sh'],
        packageManagers: [],
        user: { configured: '', uid: 0, gid: 0, name: 'root' },
        nonRoot: false,
        hasTmpDir: true,
        debugVariant: false,
        distroless: false,
        base: null,
        distribution: null,
        runtimes: [],
      },
    },
    {
      name: 'cgr.dev/chainguard/static keeps the apk database and is distroless',
      image: samples.chainguardStatic,
      facts: {
        platform: 'linux/amd64',
        shells: [],
        packageManagers: [],
        user: { configured: '65532', uid: 65532, gid: 65532, name: 'nonroot' },
        nonRoot: true,
        hasTmpDir: true,
        debugVariant: false,
        distroless: true,
        base: 'Wolfi',
        distribution: { id: 'wolfi', versionId: '20230201' },
        runtimes: [{ name: 'glibc', version: null, path: '/usr/lib/libc.so.6' }],
      },
    },
    {
      name: 'a Chainguard -dev variant has apk, bash and busybox',
      image: samples.chainguardDev,
      facts: {
        platform: 'linux/amd64',
        shells: ['/bin/busybox', '/bin/sh', '/usr/bin/bash'],
        packageManagers: ['apk'],
        user: { configured: '65532', uid: 65532, gid: 65532, name: 'nonroot' },
        nonRoot: true,
        hasTmpDir: true,
        debugVariant: false,
        distroless: false,
        base: 'Wolfi',
        distribution: { id: 'wolfi', versionId: '20230201' },
        runtimes: [{ name: 'glibc', version: null, path: '/usr/lib/libc.so.6' }],
      },
    },
    {
      name: 'Ubuntu chiseled runs as app, uid 1654',
      image: samples.ubuntuChiseled,
      facts: {
        platform: 'linux/amd64',
        shells: [],
        packageManagers: [],
        user: { configured: 'app', uid: 1654, gid: 1654, name: 'app' },
        nonRoot: true,
        hasTmpDir: true,
        debugVariant: false,
        distroless: true,
        base: 'Ubuntu 24.04.1 LTS',
        distribution: { id: 'ubuntu', versionId: '24.04' },
        runtimes: [{ name: 'glibc', version: null, path: '/usr/lib/x86_64-linux-gnu/libc.so.6' }],
      },
    },
    {
      name: 'UBI micro has no package manager but a shell',
      image: samples.ubiMicro,
      facts: {
        platform: 'linux/amd64',
        shells: ['/usr/bin/bash', '/usr/bin/sh'],
        packageManagers: [],
        user: { configured: '', uid: 0, gid: 0, name: 'root' },
        nonRoot: false,
        hasTmpDir: true,
        debugVariant: false,
        distroless: false,
        base: 'Red Hat Enterprise Linux 9.4 (Plow)',
        distribution: { id: 'rhel', versionId: '' },
        runtimes: [],
      },
    },
  ];
  for (const { name, image, facts } of cases) {
    it(name, () => {
      const derived = factsOf(image);
      assert.deepEqual(derived, { ...facts, digest: DIGEST, scan: derived.scan });
    });
  }

  it('debian:12 with its shells removed by a later layer still has apt, so is not distroless', () => {
    const removeShells = layerOf(['/usr/bin/.wh.bash', '/usr/bin/.wh.dash', '/usr/bin/.wh.sh', '/usr/bin/.wh.rbash']);
    const facts = factsOf({ config: samples.debian12.config, layers: [removeShells, ...samples.debian12.layers] });
    assert.deepEqual(facts.shells, []);
    assert.deepEqual(facts.packageManagers, ['apt', 'apt-get', 'dpkg']);
    assert.equal(facts.distroless, false);
  });

  it('keeps the scan summary and an explicit platform, and accepts a union already folded', () => {
    const scan = { layersTotal: 4, layersRead: 1, stoppedEarly: true };
    const top = samples.distrolessStaticDebug.layers.slice(0, 1);
    const facts = derivePlatformFacts({
      platform: 'linux/s390x',
      digest: DIGEST,
      config: samples.distrolessStaticDebug.config,
      layers: top,
      union: buildUnion(top),
      scan,
    });
    assert.equal(facts.platform, 'linux/s390x');
    assert.deepEqual(facts.scan, scan);
    assert.deepEqual(facts.shells, ['/busybox/ash', '/busybox/busybox', '/busybox/sh']);
  });
});

describe('platformOf', () => {
  const cases: ReadonlyArray<{ name: string; config: ImageConfig; platform: string }> = [
    { name: 'os and architecture', config: { os: 'linux', architecture: 'amd64' }, platform: 'linux/amd64' },
    { name: 'with a variant', config: { os: 'linux', architecture: 'arm64', variant: 'v8' }, platform: 'linux/arm64/v8' },
    { name: 'an empty variant is left out', config: { os: 'linux', architecture: 'arm', variant: '' }, platform: 'linux/arm' },
    { name: 'unknown without an architecture', config: { os: 'linux' }, platform: 'unknown' },
    { name: 'unknown without anything', config: {}, platform: 'unknown' },
  ];
  for (const { name, config, platform } of cases) it(name, () => assert.equal(platformOf(config), platform));
});

describe('combinePlatforms takes the worst case', () => {
  const amd64 = factsOf(samples.distrolessStaticNonroot);
  const arm64Root = factsOf(samples.distrolessStaticRoot);
  const debug = factsOf(samples.distrolessStaticDebug);
  const unknownUser: PlatformFacts = {
    ...amd64,
    platform: 'linux/ppc64le',
    user: { configured: 'ghost', uid: null, gid: null, name: 'ghost' },
    nonRoot: null,
  };

  it('one distroless non-root platform is the image', () => {
    const facts = combinePlatforms('gcr.io/distroless/static:nonroot', 'sha256:index', [amd64]);
    assert.deepEqual(facts, {
      image: 'gcr.io/distroless/static:nonroot',
      digest: 'sha256:index',
      shells: [],
      packageManagers: [],
      user: amd64.user,
      nonRoot: true,
      hasTmpDir: true,
      debugVariant: false,
      distroless: true,
      base: 'Distroless',
      distribution: DEBIAN_12,
      runtimes: [],
      platforms: [amd64],
    });
  });
  it('a root platform makes the image root, with that platform\'s user', () => {
    const facts = combinePlatforms('img', 'sha256:index', [amd64, unknownUser, arm64Root]);
    assert.equal(facts.nonRoot, false);
    assert.deepEqual(facts.user, arm64Root.user);
  });
  it('an unknown user makes the image unknown when none is root', () => {
    const facts = combinePlatforms('img', 'sha256:index', [amd64, unknownUser]);
    assert.equal(facts.nonRoot, null);
    assert.equal(facts.user.configured, 'ghost');
  });
  it('shells and package managers are the union; distroless needs every platform', () => {
    const dev = factsOf(samples.chainguardDev);
    const facts = combinePlatforms('img', 'sha256:index', [amd64, debug, dev]);
    assert.deepEqual(facts.shells, ['/bin/busybox', '/bin/sh', '/busybox/ash', '/busybox/busybox', '/busybox/sh', '/usr/bin/bash']);
    assert.deepEqual(facts.packageManagers, ['apk']);
    assert.equal(facts.debugVariant, true);
    assert.equal(facts.distroless, false);
  });
  it('hasTmpDir needs every platform to have /tmp', () => {
    const scratch: PlatformFacts = { ...amd64, platform: 'linux/riscv64', hasTmpDir: false };
    assert.equal(combinePlatforms('img', 'sha256:index', [amd64, arm64Root]).hasTmpDir, true);
    assert.equal(combinePlatforms('img', 'sha256:index', [amd64, scratch]).hasTmpDir, false);
  });
  it('the base is the first one known', () => {
    const facts = combinePlatforms('img', 'sha256:index', [factsOf(samples.busybox), amd64]);
    assert.equal(facts.base, 'Distroless');
  });
  it('no platforms is an error', () => {
    assert.throws(() => combinePlatforms('img', 'sha256:index', []), (err) => err instanceof FactsError && err.code === 'no-platforms');
  });
});
