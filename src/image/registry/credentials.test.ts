import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  chainCredentialLookups,
  createCredentialLookup,
  credentialLookupFromSecrets,
  CredentialsError,
  loadDockerConfigLookup,
  parseDockerConfig,
} from './credentials.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const config = JSON.stringify({
  auths: {
    'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
    'gcr.io': { username: 'gcr', password: 'p:with:colons' },
    'quay.io/coreos': { auth: b64('coreos:x') },
    'quay.io': { auth: b64('quay:y') },
    '*.example.com': { auth: b64('glob:z') },
    'registry.local:5000': { auth: b64('local:w') },
    'https://my.reg/v2/': { auth: b64('v2:v') },
    'tokenonly.io': { identitytoken: 'abc' },
  },
});

describe('credential lookup matches like kubelet', () => {
  const lookup = createCredentialLookup(parseDockerConfig(config));
  const cases: Array<[string, string, string, string | undefined]> = [
    ['the Docker Hub v1 key serves docker.io', 'docker.io', 'library/nginx', 'hubuser'],
    ['a plain host key serves every repository', 'gcr.io', 'distroless/static', 'gcr'],
    ['a path prefix key wins over the host key', 'quay.io', 'coreos/etcd', 'coreos'],
    ['the host key serves other paths', 'quay.io', 'prometheus/node-exporter', 'quay'],
    ['a glob matches one label', 'a.example.com', 'x/y', 'glob'],
    ['a glob does not match two labels', 'a.b.example.com', 'x/y', undefined],
    ['a glob does not match the bare domain', 'example.com', 'x/y', undefined],
    ['the port must match', 'registry.local:5000', 'a', 'local'],
    ['a host without the port does not match a key with a port', 'registry.local', 'a', undefined],
    ['a /v2/ suffix means the host', 'my.reg', 'team/app', 'v2'],
    ['host matching ignores case', 'GCR.io', 'a', 'gcr'],
    ['an identity-token-only entry gives nothing', 'tokenonly.io', 'a', undefined],
    ['an unknown host has no credential', 'ghcr.io', 'a', undefined],
  ];
  for (const [name, host, repo, user] of cases) {
    it(name, () => assert.equal(lookup(host, repo)?.username, user));
  }
  it('keeps colons in passwords', () => assert.equal(lookup('gcr.io', 'a')?.password, 'p:with:colons'));
});

describe('credential sources', () => {
  it('reads a kubernetes.io/dockerconfigjson pull secret', () => {
    const lookup = credentialLookupFromSecrets([
      { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'reg.io': { auth: b64('s:1') } } })) } },
    ]);
    assert.deepEqual(lookup('reg.io', 'a'), { username: 's', password: '1' });
  });
  it('reads a legacy kubernetes.io/dockercfg pull secret', () => {
    const lookup = credentialLookupFromSecrets([
      { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'reg.io': { auth: b64('old:2') } })) } },
    ]);
    assert.equal(lookup('reg.io', 'a')?.username, 'old');
  });
  it('chains lookups in order', () => {
    const a = createCredentialLookup(new Map([['reg.io', { username: 'a', password: '' }]]));
    const b = createCredentialLookup(new Map([['reg.io', { username: 'b', password: '' }], ['other.io', { username: 'o', password: '' }]]));
    const chained = chainCredentialLookups(a, undefined, b);
    assert.equal(chained('reg.io', 'x')?.username, 'a');
    assert.equal(chained('other.io', 'x')?.username, 'o');
  });
  it('refuses a bad auth field without echoing it', () => {
    assert.throws(
      () => parseDockerConfig(JSON.stringify({ auths: { 'r.io': { auth: b64('nocolon-secret') } } })),
      (err: unknown) => err instanceof CredentialsError && !err.message.includes('nocolon-secret') && !err.message.includes(b64('nocolon-secret')),
    );
  });
  it('refuses invalid JSON with a typed error', () => {
    assert.throws(() => parseDockerConfig('{'), CredentialsError);
  });
  it('loads $DOCKER_CONFIG/config.json and treats a missing file as no credentials', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-cred-'));
    const signal = AbortSignal.timeout(5000);
    assert.equal((await loadDockerConfigLookup({ DOCKER_CONFIG: dir }, signal))('gcr.io', 'a'), undefined);
    await writeFile(join(dir, 'config.json'), config);
    assert.equal((await loadDockerConfigLookup({ DOCKER_CONFIG: dir }, signal))('gcr.io', 'a')?.username, 'gcr');
    assert.equal((await loadDockerConfigLookup({ HOME: '/nonexistent-home' }, signal))('gcr.io', 'a'), undefined);
  });
});
