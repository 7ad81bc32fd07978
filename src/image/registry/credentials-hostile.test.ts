import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCredentialLookup, credentialLookupFromSecrets, MAX_HOST_LENGTH, MAX_KEY_LENGTH, splitPort } from './credentials.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const cred = (username: string) => ({ username, password: 'p' });
const lookupOf = (...keys: string[]) => createCredentialLookup(new Map(keys.map((key) => [key, cred(key)])));

/** A pull secret anyone who may create pods in a namespace can write, as the kubelet would read it. */
const pullSecret = (auths: Record<string, unknown>) => ({
  name: 'hostile',
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
});

function timed<T>(run: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = run();
  return { value, ms: performance.now() - started };
}

describe('hostile pull-secret keys do not block the event loop', () => {
  // A regression guard against backtracking blow-up (27 s for the first attack with a RegExp), not a perf target.
  const BOUND_MS = 200;
  const attacks: Array<[string, string, string]> = [
    ['twelve stars before a missing z, against a host label of 30 a', '************z.example', `${'a'.repeat(30)}.example`],
    ['twelve stars before a missing z, against the longest host accepted', '************z', 'a'.repeat(MAX_HOST_LENGTH)],
    ['a class between stars, repeated, against 63 a', '*[a]*[a]*[a]*[a]*[a]*[a]*b.example', `${'a'.repeat(63)}.example`],
    ['a key of 500 stars, a z and a port, against a host of many colons', `${'*'.repeat(500)}z:1`, `${':'.repeat(250)}:1`],
  ];
  for (const [name, key, host] of attacks) {
    it(`${name}: no credential, in under ${BOUND_MS} ms`, () => {
      const lookup = credentialLookupFromSecrets([pullSecret({ [key]: { auth: b64('attacker:x') } })]);
      const { value, ms } = timed(() => lookup(host, 'app'));
      assert.equal(value, undefined);
      assert.ok(ms < BOUND_MS, `took ${ms.toFixed(1)} ms`);
    });
  }
});

describe('length caps', () => {
  const table: Array<[string, string, string, string | undefined]> = [
    ['a key of the longest accepted length still serves its host', `reg.example/${'p'.repeat(MAX_KEY_LENGTH - 12)}`, 'reg.example', 'found'],
    ['a key one character longer is ignored, not a credential', `reg.example/${'p'.repeat(MAX_KEY_LENGTH - 11)}`, 'reg.example', undefined],
    ['a host of the longest accepted length matches a glob key', `*.example:5000`, `${'a'.repeat(MAX_HOST_LENGTH - 13)}.example:5000`, 'found'],
    ['a longer host matches nothing, not even a star key', '*.example:5000', `${'a'.repeat(MAX_HOST_LENGTH - 12)}.example:5000`, undefined],
  ];
  for (const [name, key, host, expected] of table) {
    it(name, () => {
      const lookup = lookupOf(key);
      const path = key.includes('/') ? key.slice(key.indexOf('/') + 1) : 'app';
      assert.equal(lookup(host, path) === undefined ? undefined : 'found', expected);
    });
  }
});

describe('host globs per label, as kubelet (filepath.Match)', () => {
  const table: Array<[string, string, string, boolean]> = [
    ['a class matches a listed character', 'reg[0-9].example.com', 'reg7.example.com', true],
    ['a class refuses another', 'reg[0-9].example.com', 'regx.example.com', false],
    ['a negated class', 'reg[!0-9].example.com', 'regx.example.com', true],
    ['? is one character of a label', 'gcr?.io', 'gcrx.io', true],
    ['a star never crosses a dot', '*.io', 'a.b.io', false],
    ['a malformed glob matches nothing', 'reg[0-9.example.com', 'reg[0-9.example.com', false],
    ['the port is compared exactly', '*.example.com:5000', 'a.example.com:5001', false],
  ];
  for (const [name, key, host, expected] of table) it(name, () => assert.equal(lookupOf(key)(host, 'app') !== undefined, expected));
});

describe('splitPort', () => {
  const table: Array<[string, string, [string, string]]> = [
    ['a host without a port', 'gcr.io', ['gcr.io', '']],
    ['a host with a port', 'registry.local:5000', ['registry.local', '5000']],
    ['the port is after the last colon', 'a:b:5000', ['a:b', '5000']],
    ['a trailing colon is no port', 'host:', ['host:', '']],
    ['letters after the colon are no port', 'host:http', ['host:http', '']],
    ['an IPv6 literal without a port', '[::1]', ['[::1]', '']],
    ['an IPv6 literal with a port', '[::1]:5000', ['[::1]', '5000']],
    ['a long run of colons and digits is split in one pass', `${':1'.repeat(50_000)}x`, [`${':1'.repeat(50_000)}x`, '']],
  ];
  for (const [name, host, expected] of table) it(name, () => assert.deepEqual(splitPort(host), expected));
});
