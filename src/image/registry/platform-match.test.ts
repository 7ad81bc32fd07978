import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Platform } from './manifest.js';
import { parsePlatform, pickPlatform, platformMatches } from './platform-match.js';

const p = (text: string): Platform => {
  const platform = parsePlatform(text);
  assert.ok(platform, text);
  return platform;
};

describe('parsePlatform', () => {
  const cases: [string, Platform | undefined][] = [
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['Linux/AMD64', { os: 'linux', architecture: 'amd64' }],
    ['linux', undefined],
    ['linux/', undefined],
    ['linux/arm/v7/extra', undefined],
    ['linux/am d64', undefined],
    ['', undefined],
  ];
  for (const [text, want] of cases)
    it(`${JSON.stringify(text)} → ${want ? JSON.stringify(want) : 'not a platform'}`, () => assert.deepEqual(parsePlatform(text), want));
});

describe('platformMatches, as containerd normalises platforms', () => {
  const cases: [string, string, string, boolean][] = [
    ['the same platform', 'linux/amd64', 'linux/amd64', true],
    ['another architecture', 'linux/amd64', 'linux/arm64/v8', false],
    ['another os', 'windows/amd64', 'linux/amd64', false],
    ['arm64 without a variant is v8', 'linux/arm64', 'linux/arm64/v8', true],
    ['arm64/v8 asked, the index names no variant', 'linux/arm64/v8', 'linux/arm64', true],
    ['arm without a variant is v7', 'linux/arm', 'linux/arm/v7', true],
    ['arm without a variant is not v6', 'linux/arm', 'linux/arm/v6', false],
    ['an explicit variant must match', 'linux/arm/v6', 'linux/arm/v7', false],
    ['x86_64 is amd64', 'linux/x86_64', 'linux/amd64', true],
    ['aarch64 is arm64', 'linux/aarch64', 'linux/arm64/v8', true],
    ['no variant asked, every variant of amd64 matches', 'linux/amd64', 'linux/amd64/v3', true],
  ];
  for (const [name, wanted, actual, want] of cases) {
    it(`${name}: ${wanted} ${want ? 'runs' : 'does not run'} ${actual}`, () => assert.equal(platformMatches(p(wanted), p(actual)), want));
  }

  it('pickPlatform takes the first matching entry of the index', () => {
    const entries = ['linux/amd64', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm64/v8'].map((text, index) => ({ index, platform: p(text) }));
    assert.equal(pickPlatform(entries, p('linux/arm'))?.index, 2);
    assert.equal(pickPlatform(entries, p('linux/arm64'))?.index, 3);
    assert.equal(pickPlatform(entries, p('linux/s390x')), undefined);
  });
});
