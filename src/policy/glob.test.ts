import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGlob, compileGlobs } from './glob.js';

/** Measures one match; the bound guards against backtracking blow-up (seconds to hours), it is not a performance target. */
function timed(glob: string, value: string): { matched: boolean; ms: number } {
  const match = compileGlob(glob);
  const started = performance.now();
  const matched = match(value);
  return { matched, ms: performance.now() - started };
}

describe('policy globs stay fast on hostile images', () => {
  const BOUND_MS = 200;
  const image40k = `evil.example/${'a/'.repeat(20_000)}x`;
  const mib = 1 << 20;
  const attacks: Array<[string, string, string, boolean]> = [
    ['*/*:debug against a 40k-character image of many path components', '*/*:debug', image40k, false],
    ['*/*:debug against 40k slashes', '*/*:debug', '/'.repeat(40_000), false],
    ['*a*a*a*a*a*b against a 40k-character image of a', '*a*a*a*a*a*b', 'a'.repeat(40_000), false],
    ['*a*a*a*a*a*b against a 40k-character image (a RegExp never finishes)', '*a*a*a*a*a*b', image40k, false],
    ['*/*:debug against a 1 MiB image that matches', '*/*:debug', `${'a/'.repeat(mib / 2)}:debug`, true],
    ['*a*a*a*a*a*b against 1 MiB of a', '*a*a*a*a*a*b', 'a'.repeat(mib), false],
    ['registry.k8s.io/?*?*?*? against 1 MiB of another registry', 'registry.k8s.io/?*?*?*?', `docker.io/${'a'.repeat(mib)}`, false],
    ['*:v?.?.?-debug* against 1 MiB of near misses', '*:v?.?.?-debug*', ':v1.2.3-'.repeat(mib / 8), false],
  ];
  for (const [name, glob, value, expected] of attacks) {
    it(`${name}: ${expected ? 'matches' : 'no match'} in under ${BOUND_MS} ms`, () => {
      const { matched, ms } = timed(glob, value);
      assert.equal(matched, expected);
      assert.ok(ms < BOUND_MS, `took ${ms.toFixed(1)} ms`);
    });
  }
});

describe('glob lists', () => {
  it('name the first glob that matches, for the explanation', () => {
    const match = compileGlobs(['gcr.io/distroless/*', '*:debug', '*']);
    assert.equal(match('gcr.io/distroless/static:debug'), 'gcr.io/distroless/*');
    assert.equal(match('busybox:debug'), '*:debug');
    assert.equal(match('nginx'), '*');
  });
  it('an empty list matches nothing', () => assert.equal(compileGlobs([])('nginx'), undefined));
});
