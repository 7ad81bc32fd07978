import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Distribution, Runtime } from '../image/facts/types.js';
import { distrolessFit, replaceImageFix, withoutDebug, withTag } from './distroless-fit.js';

const D12: Distribution = { id: 'debian', versionId: '12' };
const D13: Distribution = { id: 'debian', versionId: '13' };
const D11: Distribution = { id: 'debian', versionId: '11' };
const UBUNTU: Distribution = { id: 'ubuntu', versionId: '24.04' };
const SID: Distribution = { id: 'debian', versionId: '' };

const rt = (name: Runtime['name'], version: string | null = null): Runtime => ({ name, version, path: `/x/${name}` });
const python = (v: string | null) => rt('python', v);
const node = (v: string | null) => rt('node', v);
const java = (v: string | null) => rt('java', v);
const GLIBC = rt('glibc');
const CXX = rt('libstdc++');

describe('distrolessFit: the distroless image that fits the facts', () => {
  // [what, distribution, runtimes, image (in gcr.io/distroless, :nonroot)]
  const rows: ReadonlyArray<readonly [string, Distribution | null, readonly Runtime[], string]> = [
    ['python3 on Debian 12 → python3 of 13 (12 has none now)', D12, [python('3.11'), GLIBC], 'python3-debian13'],
    ['python3 on Debian 13 → python3-debian13', D13, [python('3.13'), GLIBC], 'python3-debian13'],
    ['python 2 has no distroless image: its glibc decides', D12, [python('2.7'), GLIBC], 'base-debian12'],
    ['node 24 → nodejs24', D12, [node('24'), GLIBC, CXX], 'nodejs24-debian13'],
    ['node 20 (no longer published) → the nearest newer', D13, [node('20')], 'nodejs22-debian13'],
    ['node 30 (newer than any) → the newest', D13, [node('30')], 'nodejs26-debian13'],
    ['node of no known major → nodejs24 (LTS)', null, [node(null)], 'nodejs24-debian13'],
    ['a JVM 21 → java21', D12, [java('21'), GLIBC], 'java21-debian13'],
    ['a JVM 17 → java17', D13, [java('17')], 'java17-debian13'],
    ['a JVM 11 → java17, the nearest newer', D12, [java('11')], 'java17-debian13'],
    ['a JVM 8 → java17', D12, [java('8')], 'java17-debian13'],
    ['a JVM of no known major → java21 (LTS)', D13, [java(null)], 'java21-debian13'],
    ['java wins over an incidental python', D12, [java('17'), python('3.11')], 'java17-debian13'],
    ['node wins over python (node-gyp images carry python)', D12, [node('22'), python('3.11')], 'nodejs22-debian13'],
    ['libstdc++ → cc, on the image\'s own Debian 12', D12, [GLIBC, CXX], 'cc-debian12'],
    ['glibc → base on Debian 12', D12, [GLIBC], 'base-debian12'],
    ['glibc → base on Debian 13', D13, [GLIBC], 'base-debian13'],
    ['nothing found on Debian 12 → static-debian12', D12, [], 'static-debian12'],
    ['nothing found on Debian 13 → static-debian13', D13, [], 'static-debian13'],
    ['Debian 11 (no distroless left) → the oldest newer release', D11, [GLIBC], 'base-debian12'],
    ['not Debian → the newest release', UBUNTU, [GLIBC], 'base-debian13'],
    ['Debian sid (no VERSION_ID) → the newest release', SID, [], 'static-debian13'],
    ['no os-release, nothing found → static on the newest', null, [], 'static-debian13'],
  ];
  for (const [what, distribution, runtimes, image] of rows) {
    it(what, () => assert.equal(distrolessFit({ distribution, runtimes }).image, `gcr.io/distroless/${image}:nonroot`));
  }

  // [distribution, runtimes, basis]: what the fix says it was chosen for.
  const bases: ReadonlyArray<readonly [Distribution | null, readonly Runtime[], string]> = [
    [D12, [python('3.11'), GLIBC], 'python 3.11 found on Debian 12'],
    [D13, [java(null)], 'java found on Debian 13'],
    [UBUNTU, [GLIBC, CXX], 'libstdc++ found'],
    [D12, [], 'no runtime found on Debian 12'],
    [null, [], 'no runtime found'],
  ];
  for (const [distribution, runtimes, basis] of bases) {
    it(`says "${basis}"`, () => assert.equal(distrolessFit({ distribution, runtimes }).basis, basis));
  }
});

describe('withoutDebug: the tag without its "debug" word', () => {
  const rows: ReadonlyArray<readonly [string, string | null]> = [
    ['debug', 'latest'],
    ['debug-nonroot', 'nonroot'],
    ['latest-debug', 'latest'],
    ['1.2-debug', '1.2'],
    ['1.2-DEBUG', '1.2'],
    ['1.2-debug-amd64', '1.2-amd64'],
    ['debug-amd64', 'latest-amd64'],
    ['debug-nonroot-arm64', 'nonroot-arm64'],
    ['v3_debug', 'v3'],
    ['nonroot', null],
    ['debugger', null],
    ['nodebug', null],
    ['', null],
  ];
  for (const [tag, expected] of rows) it(`"${tag}" → ${expected ?? 'none'}`, () => assert.equal(withoutDebug(tag), expected));
});

describe('withTag and replaceImageFix', () => {
  const rows: ReadonlyArray<readonly [string, string, string, string]> = [
    ['gcr.io/distroless/static:debug', 'debug', 'latest', 'gcr.io/distroless/static:latest'],
    ['localhost:5000/app:1.2-debug', '1.2-debug', '1.2', 'localhost:5000/app:1.2'],
    [`app:debug@sha256:${'a'.repeat(64)}`, 'debug', 'latest', 'app:latest'],
  ];
  for (const [image, tag, replacement, expected] of rows) {
    it(`${image} → ${expected}`, () => assert.equal(withTag(image, tag, replacement), expected));
  }

  it('a debug tag is fixed by the same image without "debug"', () => {
    const facts = { distribution: D13, runtimes: [python('3.13')] };
    const fix = replaceImageFix('gcr.io/distroless/python3-debian13:debug-nonroot', 'debug-nonroot', facts);
    assert.equal(fix, 'use gcr.io/distroless/python3-debian13:nonroot (the tag without "debug")');
  });
  it('any other image is fixed by the distroless image that fits it', () => {
    const facts = { distribution: D12, runtimes: [GLIBC, python('3.11')] };
    const fix = replaceImageFix('shop/web:2.1', '2.1', facts);
    assert.equal(fix, 'build FROM gcr.io/distroless/python3-debian13:nonroot (python 3.11 found on Debian 12)');
  });
});
