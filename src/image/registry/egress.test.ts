import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'node:test';
import {
  classifyAddress,
  createEgressPolicy,
  type ConnectionKind,
  EgressError,
  adminHostMatcher,
  splitHost,
  type AddressClass,
  type EgressPurpose,
  type LookupFunction,
} from './egress.js';

describe('address classes', () => {
  const cases: Array<[string, AddressClass]> = [
    ['127.0.0.1', 'loopback'],
    ['127.200.1.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::1', 'private'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['not-an-ip', 'reserved'],
  ];
  for (const [address, want] of cases) it(`${address} is ${want}`, () => assert.equal(classifyAddress(address), want));
});

describe('host:port splitting, without a regex', () => {
  const cases: Array<[string, string, string]> = [
    ['gcr.io', 'gcr.io', ''],
    ['gcr.io:443', 'gcr.io', '443'],
    ['[::1]:5000', '::1', '5000'],
    ['[::1]', '::1', ''],
    ['::1', '::1', ''],
  ];
  for (const [input, hostname, port] of cases)
    it(`${input} → ${hostname} ${port || '(no port)'}`, () => assert.deepEqual(splitHost(input), { hostname, port }));
});

describe('admin-named hosts', () => {
  const trusted = adminHostMatcher(['registry.lan:5000', 'mirror.corp', '127.0.0.0/8', 'fd00::/8']);
  const cases: Array<[string, string, boolean]> = [
    ['an exact host:port', 'registry.lan:5000', true],
    ['the same host on another port', 'registry.lan:5001', false],
    ['a host named without port, at any port', 'mirror.corp:8443', true],
    ['an IP literal inside a listed range', '127.0.0.1:39211', true],
    ['an IPv6 literal inside a listed range', '[fd00::2]:5000', true],
    ['a name is not matched against a range', 'localhost:5000', false],
    ['an address outside every range', '10.1.1.1:5000', false],
  ];
  for (const [name, host, want] of cases) it(`${name}: ${host} → ${want}`, () => assert.equal(trusted(host), want));
  it('refuses a malformed range', () => assert.throws(() => adminHostMatcher(['10.0.0.0/40']), EgressError));
});

describe('what a URL may reach', () => {
  const guarded = createEgressPolicy({ mode: 'guarded', plainHttp: ['registry.lan:5000'], trusted: ['mirror.corp:5000'] });
  const lenient = createEgressPolicy({ mode: 'guarded', allowPrivateRedirects: true });
  const open = createEgressPolicy({ mode: 'open' });
  const REG = 'evil.example:443';
  type Case = [string, typeof guarded, string, EgressPurpose, boolean];
  const cases: Case[] = [
    ['serve: a registry over HTTPS at a public name', guarded, 'https://ghcr.io/v2/', 'registry', true],
    ['serve: a registry over plain HTTP is refused', guarded, 'http://ghcr.io/v2/', 'registry', false],
    ['serve: an insecure-listed registry over plain HTTP', guarded, 'http://registry.lan:5000/v2/', 'registry', true],
    ['serve: loopback is no longer plain HTTP', guarded, 'http://127.0.0.1:5000/v2/', 'registry', false],
    ['serve: loopback over HTTPS is refused too', guarded, 'https://127.0.0.1:10250/v2/', 'registry', false],
    ['serve: localhost by name is refused', guarded, 'https://localhost:8443/v2/', 'registry', false],
    ['serve: the metadata address is refused', guarded, 'https://169.254.169.254/v2/', 'registry', false],
    ['serve: an in-cluster registry at a private address', guarded, 'https://10.0.0.12/v2/', 'registry', true],
    ['serve: a redirect to a public host', guarded, 'https://storage.example/b?sig=1', 'redirect', true],
    ['serve: a redirect to plain HTTP is refused', guarded, 'http://storage.example/b', 'redirect', false],
    ['serve: a redirect to loopback is refused', guarded, 'https://127.0.0.1:8080/admin', 'redirect', false],
    ['serve: a redirect to a private address is refused', guarded, 'https://10.0.0.7/internal', 'redirect', false],
    ['serve: ...unless private redirects are allowed', lenient, 'https://10.0.0.7/internal', 'redirect', true],
    ['serve: a redirect to IPv4-mapped loopback is refused', guarded, 'https://[::ffff:127.0.0.1]/x', 'redirect', false],
    ['serve: a token realm on a link-local address is refused', guarded, 'https://169.254.169.254/token', 'token-realm', false],
    ['serve: a token realm over plain HTTP is refused', guarded, 'http://auth.example/token', 'token-realm', false],
    ['serve: a file: realm is refused', guarded, 'file:///etc/passwd', 'token-realm', false],
    ['serve: a mirror the admin named is trusted at any address', guarded, 'https://mirror.corp:5000/v2/', 'registry', true],
    ['CLI: a loopback registry over plain HTTP', open, 'http://127.0.0.1:5000/v2/', 'registry', true],
    ['CLI: a plain-HTTP redirect to another host is still refused', open, 'http://storage.example/b', 'redirect', false],
  ];
  for (const [name, policy, url, purpose, allowed] of cases) {
    it(name, () => {
      const check = (): void => policy.check(new URL(url), purpose, REG);
      if (allowed) assert.doesNotThrow(check);
      else assert.throws(check, EgressError);
    });
  }
  it('serve: a redirect on the registry\'s own private host follows the registry\'s rules', () => {
    assert.doesNotThrow(() => guarded.check(new URL('https://10.0.0.12:9000/blob'), 'redirect', '10.0.0.12:443'));
  });
});

describe('name resolution in serve', () => {
  const answers: Readonly<Record<string, readonly string[]>> = {
    'public.example': ['93.184.216.34'],
    'rebound.example': ['93.184.216.34', '127.0.0.1'],
    'internal.example': ['10.0.0.9'],
    'meta.example': ['169.254.169.254'],
    'registry.lan': ['127.0.0.1'],
  };
  const base: LookupFunction = (hostname, _options, callback) => {
    const list = answers[hostname];
    if (list === undefined) return callback(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }), '');
    callback(null, list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  const policy = createEgressPolicy({ mode: 'guarded', plainHttp: ['registry.lan'] }, base);
  const resolve = (kind: ConnectionKind, host: string): Promise<readonly string[]> =>
    new Promise((done, fail) => {
      const lookup = policy.lookupFor(kind);
      assert.ok(lookup !== undefined, 'a test lookup is always wrapped or passed on');
      lookup(host, { all: true }, (err, addresses) => (err !== null ? fail(err) : done((addresses as LookupAddress[]).map((a) => a.address))));
    });
  const cases: Array<[string, ConnectionKind, string, boolean]> = [
    ['a public name, for a registry', 'registry', 'public.example', true],
    ['a name with one loopback answer among public ones (rebinding)', 'registry', 'rebound.example', false],
    ['a name resolving to a private address, for a registry', 'registry', 'internal.example', true],
    ['a name resolving to a private address, for a redirect', 'external', 'internal.example', false],
    ['a name resolving to the metadata address', 'registry', 'meta.example', false],
    ['an admin-named host at loopback (its own dispatcher: not checked)', 'trusted', 'registry.lan', true],
  ];
  for (const [name, kind, host, allowed] of cases) {
    it(name, async () => {
      if (allowed) assert.ok((await resolve(kind, host)).length > 0);
      else await assert.rejects(resolve(kind, host), EgressError);
    });
  }
  it('the CLI resolves with the system resolver and no checks', () => {
    assert.equal(createEgressPolicy({ mode: 'open' }).lookupFor('registry'), undefined);
  });
});
