import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distributionOf, parseOsRelease } from '../../../../src/image/facts/os-release.js';
import { findRuntimes } from '../../../../src/image/facts/runtimes.js';
import { searchPath } from '../../../../src/image/facts/search-path.js';
import type { Runtime } from '../../../../src/image/facts/types.js';
import type { ImageConfig, LayerIndex } from '../../../../src/image/layers/types.js';
import { buildUnion } from '../../../../src/image/layers/union.js';
import { layerOf } from '../../../support/layer-listing.js';
import * as samples from '../../../support/sample-images.js';

const runtimesOf = (layers: readonly LayerIndex[], config: ImageConfig = {}): string[] =>
  findRuntimes(buildUnion(layers), config, searchPath(config)).map(show);
const show = (r: Runtime): string => `${r.name} ${r.version ?? '?'} ${r.path}`;
const env = (...Env: string[]): ImageConfig => ({ config: { Env } });

/** The layouts of the official and distroless images, trimmed to what the runtimes are found by. */
const MULTIARCH_GLIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6 755';

describe('findRuntimes', () => {
  const cases: ReadonlyArray<{ name: string; layers: readonly LayerIndex[]; config?: ImageConfig; runtimes: readonly string[] }> = [
    { name: 'nothing in a static image', layers: [layerOf(['/app 755', '/etc/passwd'])], runtimes: [] },
    {
      name: 'python3 on PATH is reported as the executable behind the link, its version from the name',
      layers: [layerOf(['/usr/bin/python3 -> python3.11', '/usr/bin/python3.11 755', MULTIARCH_GLIBC])],
      runtimes: ['glibc ? /usr/lib/x86_64-linux-gnu/libc.so.6', 'python 3.11 /usr/bin/python3.11'],
    },
    {
      name: 'python:3.12-slim: /usr/local/bin/python3 -> python3.12 and PYTHON_VERSION',
      layers: [layerOf(['/usr/local/bin/python3 -> python3.12', '/usr/local/bin/python3.12 755'])],
      config: env('PATH=/usr/local/bin:/usr/bin', 'PYTHON_VERSION=3.12.7'),
      runtimes: ['python 3.12 /usr/local/bin/python3.12'],
    },
    {
      name: 'an unversioned python3 takes PYTHON_VERSION, else "3"',
      layers: [layerOf(['/usr/bin/python3 755'])],
      runtimes: ['python 3 /usr/bin/python3'],
    },
    {
      name: 'a versioned python alone (no python3 link) is found',
      layers: [layerOf(['/usr/bin/python3.13 755'])],
      runtimes: ['python 3.13 /usr/bin/python3.13'],
    },
    {
      name: 'a data file named python3 is not an interpreter',
      layers: [layerOf(['/usr/bin/python3 644', '/usr/share/bash-completion/completions/python3'])],
      runtimes: [],
    },
    {
      name: 'node:20: /usr/local/bin/node and NODE_VERSION',
      layers: [
        layerOf([
          '/usr/local/bin/node 755',
          '/usr/local/bin/nodejs -> node',
          MULTIARCH_GLIBC,
          '/usr/lib/x86_64-linux-gnu/libstdc++.so.6 -> libstdc++.so.6.0.30',
          '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
        ]),
      ],
      config: env('PATH=/usr/local/bin:/usr/bin', 'NODE_VERSION=20.18.1'),
      runtimes: ['glibc ? /usr/lib/x86_64-linux-gnu/libc.so.6', 'libstdc++ ? /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', 'node 20 /usr/local/bin/node'],
    },
    {
      name: 'distroless nodejs: /nodejs/bin/node off PATH, found as the entrypoint',
      layers: [layerOf(['/nodejs/bin/node 755'])],
      config: { config: { Entrypoint: ['/nodejs/bin/node'] } },
      runtimes: ['node ? /nodejs/bin/node'],
    },
    {
      name: 'distroless nodejs: /nodejs/bin/node is found without an entrypoint too',
      layers: [layerOf(['/nodejs/bin/node 755'])],
      runtimes: ['node ? /nodejs/bin/node'],
    },
    {
      name: 'distroless java: /usr/bin/java -> the temurin home, whose name has the major',
      layers: [layerOf(['/usr/bin/java -> /usr/lib/jvm/temurin-21-jre-amd64/bin/java', '/usr/lib/jvm/temurin-21-jre-amd64/bin/java 755'])],
      config: env('JAVA_VERSION=21.0.5+11'),
      runtimes: ['java 21 /usr/lib/jvm/temurin-21-jre-amd64/bin/java'],
    },
    {
      name: 'Debian openjdk through /etc/alternatives',
      layers: [
        layerOf([
          '/usr/bin/java -> /etc/alternatives/java',
          '/etc/alternatives/java -> /usr/lib/jvm/java-17-openjdk-amd64/bin/java',
          '/usr/lib/jvm/java-17-openjdk-amd64/bin/java 755',
        ]),
      ],
      runtimes: ['java 17 /usr/lib/jvm/java-17-openjdk-amd64/bin/java'],
    },
    {
      name: 'eclipse-temurin: JAVA_HOME off PATH, the major from JAVA_VERSION',
      layers: [layerOf(['/opt/java/openjdk/bin/java 755'])],
      config: env('JAVA_HOME=/opt/java/openjdk', 'JAVA_VERSION=jdk-17.0.13+11'),
      runtimes: ['java 17 /opt/java/openjdk/bin/java'],
    },
    {
      name: 'Java 8 by its old numbering in the home directory name',
      layers: [layerOf(['/usr/lib/jvm/java-1.8.0-openjdk/bin/java 755', '/usr/bin/java -> /usr/lib/jvm/java-1.8.0-openjdk/bin/java'])],
      runtimes: ['java 8 /usr/lib/jvm/java-1.8.0-openjdk/bin/java'],
    },
    {
      name: 'a JVM home named by architecture only has no version',
      layers: [layerOf(['/usr/lib/jvm/openjdk-amd64/bin/java 755', '/usr/bin/java -> /usr/lib/jvm/openjdk-amd64/bin/java'])],
      runtimes: ['java ? /usr/lib/jvm/openjdk-amd64/bin/java'],
    },
    {
      name: 'an entrypoint named by a bare name is looked up on PATH',
      layers: [layerOf(['/opt/py/bin/python3.10 755'])],
      config: { config: { Env: ['PATH=/opt/py/bin'], Cmd: ['python3.10', 'app.py'] } },
      runtimes: ['python 3.10 /opt/py/bin/python3.10'],
    },
    {
      name: 'glibc through the merged-usr /lib link is reported once, at its file',
      layers: [layerOf(['/lib -> usr/lib', '/usr/lib/aarch64-linux-gnu/libc.so.6 755'])],
      runtimes: ['glibc ? /usr/lib/aarch64-linux-gnu/libc.so.6'],
    },
    {
      name: 'a runtime deleted by a higher layer is gone',
      layers: [layerOf(['/usr/bin/.wh.python3.11', '/usr/bin/.wh.python3']), layerOf(['/usr/bin/python3 -> python3.11', '/usr/bin/python3.11 755'])],
      runtimes: [],
    },
  ];
  for (const { name, layers, config, runtimes } of cases) it(name, () => assert.deepEqual(runtimesOf(layers, config), runtimes));

  const images: ReadonlyArray<{ name: string; image: samples.SampleImage; runtimes: readonly string[] }> = [
    { name: 'distroless static has no runtime', image: samples.distrolessStaticNonroot, runtimes: [] },
    {
      name: 'Ubuntu chiseled .NET has glibc (dotnet is not a runtime distroless publishes)',
      image: samples.ubuntuChiseled, runtimes: ['glibc ? /usr/lib/x86_64-linux-gnu/libc.so.6'],
    },
    { name: 'Chainguard static has glibc in /usr/lib', image: samples.chainguardStatic, runtimes: ['glibc ? /usr/lib/libc.so.6'] },
  ];
  for (const { name, image, runtimes } of images) it(name, () => assert.deepEqual(runtimesOf(image.layers, image.config), runtimes));
});

describe('distributionOf', () => {
  const cases: ReadonlyArray<[string, string, ReturnType<typeof distributionOf>]> = [
    ['distroless says Debian 12 under its own PRETTY_NAME', 'PRETTY_NAME="Distroless"\nID="debian"\nVERSION_ID="12"\n', { id: 'debian', versionId: '12' }],
    ['Debian 13', 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\n', { id: 'debian', versionId: '13' }],
    ['Debian sid has no VERSION_ID', 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\n', { id: 'debian', versionId: '' }],
    ['the ID is lower case, as os-release(5) defines it', 'ID=Alpine\nVERSION_ID=3.20.3\n', { id: 'alpine', versionId: '3.20.3' }],
    ['no ID, no distribution', 'PRETTY_NAME="Something"\n', null],
  ];
  for (const [name, text, expected] of cases) it(name, () => assert.deepEqual(distributionOf(parseOsRelease(text)), expected));
  it('no os-release, no distribution', () => assert.equal(distributionOf(undefined), null));
});
