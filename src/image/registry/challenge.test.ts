import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChallenges } from './challenge.js';

describe('parseChallenges', () => {
  const cases: Array<[string, string, unknown]> = [
    [
      'Docker Hub bearer challenge with quoted parameters',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } }],
    ],
    [
      'a comma inside a quoted scope stays in the value',
      'Bearer realm="https://a/token",scope="repository:x:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://a/token', scope: 'repository:x:pull,push' } }],
    ],
    [
      'spaces around separators and mixed-case scheme and keys',
      'BEARER  Realm = "https://a/t" , Service=reg',
      [{ scheme: 'bearer', params: { realm: 'https://a/t', service: 'reg' } }],
    ],
    ['a basic challenge', 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'two challenges in one header',
      'Basic realm="x", Bearer realm="https://t/token",service="s"',
      [
        { scheme: 'basic', params: { realm: 'x' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
      ],
    ],
    ['escaped quotes in a quoted value', 'Bearer realm="a\\"b"', [{ scheme: 'bearer', params: { realm: 'a"b' } }]],
    ['an unterminated quote takes the rest', 'Bearer realm="https://a', [{ scheme: 'bearer', params: { realm: 'https://a' } }]],
    ['an empty header has no challenge', '', []],
    ['a scheme without parameters', 'Negotiate', [{ scheme: 'negotiate', params: {} }]],
  ];
  for (const [name, header, want] of cases) {
    it(name, () => assert.deepEqual(parseChallenges(header), want));
  }
});
