import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileWildcard, type WildcardSyntax } from './wildcard.js';

describe('glob wildcards (policies: * and ?, everything else literal)', () => {
  const table: Array<[string, string, string, boolean]> = [
    ['a literal matches itself', 'nginx', 'nginx', true],
    ['a literal does not match a longer value', 'nginx', 'nginx2', false],
    ['an empty pattern matches only the empty value', '', '', true],
    ['a lone star matches the empty value', '*', '', true],
    ['a lone star matches anything, slashes included', '*', 'a/b/c:d', true],
    ['a trailing star matches a prefix', 'registry.k8s.io/*', 'registry.k8s.io/sig/pause:3.9', true],
    ['a trailing star needs the prefix', 'registry.k8s.io/*', 'registry.k8s.iox/pause', false],
    ['a leading star matches a suffix', '*:debug', 'gcr.io/distroless/static:debug', true],
    ['a star in the middle may match nothing', 'a*b', 'ab', true],
    ['prefix and suffix may not overlap', 'ab*ba', 'aba', false],
    ['stars between literals find them in order', '*/*:debug', 'gcr.io/distroless/base:debug', true],
    ['stars between literals need every literal', '*/*:debug', 'busybox:debug', false],
    ['consecutive stars are one star', 'a**b', 'axyzb', true],
    ['a literal after a star is found at its leftmost place and the rest still matches', '*a?c*', 'xabxabcx', true],
    ['? is exactly one character', 'team-?', 'team-a', true],
    ['? is not zero characters', 'team-?', 'team-', false],
    ['? is not two characters', 'team-?', 'team-ab', false],
    ['? matches a slash too', 'a?b', 'a/b', true],
    ['regex characters are literal', 'a.b', 'axb', false],
    ['brackets are literal', '[ab]', '[ab]', true],
    ['brackets are not a class', '[ab]', 'a', false],
    ['a backslash is literal', 'a\\*', 'a\\xyz', true],
    ['? matches one non-ASCII character', 'caf?', 'café', true],
    ['a non-ASCII literal matches itself after a star', '*é', 'café', true],
    ['? matches a character outside the BMP as one', 'x?y', 'x😀y', true],
    ['a character outside the BMP is found between stars', '*😀?*', 'a😀bc', true],
    ['a segment longer than 31 characters with wildcards is still found', `*${'a?'.repeat(20)}b*`, `xx${'ab'.repeat(20)}bxx`, true],
  ];
  for (const [name, glob, value, expected] of table) it(name, () => assert.equal(compileWildcard(glob, 'glob')(value), expected));
});

describe('filepath wildcards (credential host labels, as Go filepath.Match)', () => {
  const table: Array<[string, string, string, boolean]> = [
    ['a star matches one whole label', '*', 'registry', true],
    ['a star with a suffix', '*-eu', 'docker-eu', true],
    ['? is one character', 'gcr?', 'gcrx', true],
    ['a class matches a listed character', 'reg[abc]', 'regb', true],
    ['a class refuses an unlisted character', 'reg[abc]', 'regd', false],
    ['a range matches inside it', 'node[0-9]', 'node7', true],
    ['a range refuses outside it', 'node[0-9]', 'nodex', false],
    ['^ negates a class', 'node[^0-9]', 'nodex', true],
    ['^ negated class refuses its members', 'node[^0-9]', 'node7', false],
    ['! negates a class as well', 'node[!0-9]', 'node7', false],
    ['a class may hold several ranges', '[a-cx-z]1', 'y1', true],
    ['an escaped ] is a class member', '[\\]]', ']', true],
    ['a backslash escapes a star', 'a\\*', 'a*', true],
    ['an escaped star is not a wildcard', 'a\\*', 'ab', false],
    ['an unterminated class is malformed and matches nothing', 'reg[ab', 'reg[ab', false],
    ['an empty class is malformed and matches nothing', 'reg[]', 'reg', false],
    ['an unescaped - opening a class is malformed', '[-a]', '-', false],
    ['a trailing backslash is malformed', 'reg\\', 'reg\\', false],
    ['a class then a star', '[a-z]*z', 'abcz', true],
  ];
  for (const [name, glob, value, expected] of table) it(name, () => assert.equal(compileWildcard(glob, 'filepath')(value), expected));
});

describe('no input blows the matcher up (each was seconds to minutes with the backtracking RegExp)', () => {
  // A regression guard against exponential or high-degree polynomial blow-up, not a performance target.
  const BOUND_MS = 200;
  const attacks: Array<[string, string, WildcardSyntax, string, boolean]> = [
    ['twelve stars then a missing literal, against 30 characters', '************z', 'filepath', 'a'.repeat(30), false],
    ['twelve stars then a missing literal, against 1 MiB', '************z', 'filepath', 'a'.repeat(1 << 20), false],
    ['*/*:debug against a 40k image of slashes', '*/*:debug', 'glob', 'a/'.repeat(20_000), false],
    ['*a*a*a*a*a*b against 40k characters', '*a*a*a*a*a*b', 'glob', 'a'.repeat(40_000), false],
    ['*a*a*a*a*a*b against 1 MiB ending in b', '*a*a*a*a*a*b', 'glob', `${'a'.repeat(1 << 20)}b`, true],
    ['a segment that almost matches everywhere, against 1 MiB', '*aaaaaaaaaaaaaaaaaaaaaaaaaaaaab*', 'glob', 'a'.repeat(1 << 20), false],
    ['? segments that almost match everywhere, against 1 MiB', '*a?a?a?a?a?a?a?a?a?a?a?b*', 'glob', 'a'.repeat(1 << 20), false],
    ['classes that almost match everywhere, against 1 MiB', '*[a][a][a][a][a][a][a][b]*', 'filepath', 'a'.repeat(1 << 20), false],
    ['a 41-character ? segment (tried at each place) against 40k characters', `*${'a?'.repeat(20)}b*`, 'glob', 'a'.repeat(40_000), false],
  ];
  for (const [name, pattern, syntax, value, expected] of attacks) {
    it(`${name}: answers ${expected} in under ${BOUND_MS} ms`, () => {
      const match = compileWildcard(pattern, syntax);
      const started = performance.now();
      const result = match(value);
      const elapsed = performance.now() - started;
      assert.equal(result, expected);
      assert.ok(elapsed < BOUND_MS, `took ${elapsed.toFixed(1)} ms`);
    });
  }
});

describe('agrees with the regular expression it replaces, on small inputs (fast-check)', () => {
  /** The old translation (`*` → `.*`, `?` → `.`), safe here because the inputs are a dozen characters at most. */
  const reference = (glob: string, value: string): boolean =>
    new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 's').test(value);
  const text = (chars: string[], maxLength: number) => fc.array(fc.constantFrom(...chars), { maxLength }).map((a) => a.join(''));

  it('glob syntax: * and ? over a small alphabet', () => {
    fc.assert(
      fc.property(text(['a', 'b', '/', '.', '*', '?'], 8), text(['a', 'b', '/', '.'], 12), (glob, value) => {
        assert.equal(compileWildcard(glob, 'glob')(value), reference(glob, value), `${glob} against ${value}`);
      }),
      { numRuns: 2000 },
    );
  });
  it('filepath syntax without classes: the same as glob on names without "/"', () => {
    fc.assert(
      fc.property(text(['a', 'b', '-', '*', '?'], 8), text(['a', 'b', '-'], 12), (glob, value) => {
        assert.equal(compileWildcard(glob, 'filepath')(value), reference(glob, value), `${glob} against ${value}`);
      }),
      { numRuns: 2000 },
    );
  });
});
