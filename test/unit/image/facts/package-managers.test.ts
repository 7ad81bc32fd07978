import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findPackageManagers } from '../../../../src/image/facts/package-managers.js';
import { DEFAULT_SEARCH_PATH, envOf, searchPath } from '../../../../src/image/facts/search-path.js';
import type { ImageConfig, LayerIndex } from '../../../../src/image/layers/types.js';
import { buildUnion } from '../../../../src/image/layers/union.js';
import { layerOf } from '../../../support/layer-listing.js';
import * as samples from '../../../support/sample-images.js';

const withEnv = (...Env: string[]): ImageConfig => ({ config: { Env } });
const managersOf = (layers: readonly LayerIndex[], config: ImageConfig = {}): string[] =>
  findPackageManagers(buildUnion(layers), searchPath(config));

describe('searchPath', () => {
  const cases: ReadonlyArray<{ name: string; config: ImageConfig; path: readonly string[] }> = [
    { name: 'an unset PATH is the runtime default', config: {}, path: DEFAULT_SEARCH_PATH.split(':') },
    { name: 'PATH from Env', config: withEnv('HOME=/root', 'PATH=/busybox:/usr/bin'), path: ['/busybox', '/usr/bin'] },
    { name: 'the last PATH assignment wins', config: withEnv('PATH=/a', 'PATH=/b'), path: ['/b'] },
    { name: 'relative and empty entries are ignored', config: withEnv('PATH=.::bin:/usr/bin/'), path: ['/usr/bin'] },
    { name: 'repeated directories are listed once', config: withEnv('PATH=/bin:/bin/:/usr/bin'), path: ['/bin', '/usr/bin'] },
    { name: 'a variable named like PATH is not PATH', config: withEnv('PATHS=/x', 'MYPATH=/y'), path: DEFAULT_SEARCH_PATH.split(':') },
  ];
  for (const { name, config, path } of cases) it(name, () => assert.deepEqual(searchPath(config), path));

  it('envOf reads a value containing "="', () => assert.equal(envOf(withEnv('OPTS=a=b'), 'OPTS'), 'a=b'));
});

describe('findPackageManagers', () => {
  const cases: ReadonlyArray<{ name: string; layers: readonly LayerIndex[]; config?: ImageConfig; managers: readonly string[] }> = [
    {
      name: 'executables on PATH are reported by base name, sorted',
      layers: [layerOf(['/usr/bin/dpkg 755', '/usr/bin/apt-get 755', '/usr/bin/apt 755', '/sbin/apk 755'])],
      managers: ['apk', 'apt', 'apt-get', 'dpkg'],
    },
    {
      name: 'package databases alone are not package managers',
      layers: [layerOf(['/var/lib/dpkg/status.d/base-files', '/lib/apk/db/installed', '/var/lib/rpm/rpmdb.sqlite'])],
      managers: [],
    },
    {
      name: 'data files named like package managers are not package managers',
      layers: [layerOf(['/usr/share/bash-completion/completions/apt', '/etc/logrotate.d/dpkg', '/usr/bin/yum 644'])],
      managers: [],
    },
    {
      name: 'an executable off PATH is not reported',
      layers: [layerOf(['/etc/cron.daily/dpkg 755', '/opt/conda/bin/conda 755'])],
      managers: [],
    },
    {
      name: 'an executable on a PATH set by the image is reported',
      layers: [layerOf(['/opt/conda/bin/conda 755', '/opt/conda/bin/pip 755'])],
      config: withEnv('PATH=/opt/conda/bin:/usr/bin'),
      managers: ['conda', 'pip'],
    },
    {
      name: 'a PATH directory reached through a symlink counts (merged-usr /sbin -> usr/sbin)',
      layers: [layerOf(['/sbin -> usr/sbin', '/usr/sbin/microdnf 755'])],
      config: withEnv('PATH=/sbin'),
      managers: ['microdnf'],
    },
    {
      name: 'a symlink to an executable counts, a dangling one does not',
      layers: [layerOf(['/usr/bin/dnf -> dnf-3', '/usr/bin/dnf-3 755', '/usr/bin/yum -> dnf-4'])],
      managers: ['dnf'],
    },
    {
      name: 'a package manager deleted by a higher layer is gone',
      layers: [layerOf(['/usr/bin/.wh.apt', '/usr/bin/.wh.apt-get']), layerOf(['/usr/bin/apt 755', '/usr/bin/apt-get 755', '/usr/bin/dpkg 755'])],
      managers: ['dpkg'],
    },
  ];
  for (const { name, layers, config, managers } of cases) it(name, () => assert.deepEqual(managersOf(layers, config), managers));

  const images: ReadonlyArray<{ name: string; image: samples.SampleImage; managers: readonly string[] }> = [
    { name: 'Debian 12 has apt, apt-get and dpkg, not its cron and logrotate files', image: samples.debian12, managers: ['apt', 'apt-get', 'dpkg'] },
    { name: 'distroless has only the dpkg status.d database', image: samples.distrolessStaticNonroot, managers: [] },
    { name: 'Chainguard keeps the apk database but no apk', image: samples.chainguardStatic, managers: [] },
    { name: 'a Chainguard -dev variant has apk', image: samples.chainguardDev, managers: ['apk'] },
    { name: 'UBI micro has the rpm database but no rpm', image: samples.ubiMicro, managers: [] },
    { name: 'the busybox image has none', image: samples.busybox, managers: [] },
  ];
  for (const { name, image, managers } of images) {
    it(name, () => assert.deepEqual(managersOf(image.layers, image.config), managers));
  }
});
