import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chainCredentialLookups,
  compileImageMatcher,
  createCredentialLookup,
  createNamespaceLookup,
  credentialLookupFromSecrets,
  CredentialsError,
  parseCredentialsFile,
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
});

describe("a credential provider's matchImages, matched as kubelet's URLsMatchStr", () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['each label of the host is a glob', '*.dkr.ecr.*.amazonaws.com', '1234.dkr.ecr.eu-west-1.amazonaws.com/app', true],
    ['a star does not cross a dot', '*.dkr.ecr.*.amazonaws.com', 'a.b.dkr.ecr.eu-west-1.amazonaws.com/app', false],
    ['the number of labels must be equal', '*.gcr.io', 'gcr.io/p/app', false],
    ['a glob matches a label partly', '*-docker.pkg.dev', 'europe-docker.pkg.dev/p/r/app', true],
    ['a class matches one character', 'reg[0-9].example', 'reg7.example/app', true],
    ['a plain host matches every repository', 'registry.example', 'registry.example/team/app', true],
    ['the port must be the same', 'registry.example:5000', 'registry.example:5000/app', true],
    ['a pattern without a port does not match an image with one', 'registry.example', 'registry.example:5000/app', false],
    ['a pattern with a port does not match an image without', 'registry.example:5000', 'registry.example/app', false],
    ['a path is a prefix of the repository', 'registry.example/team', 'registry.example/team/app', true],
    ['the prefix is raw, as in the kubelet', 'registry.example/team', 'registry.example/teamster/app', true],
    ['another path does not match', 'registry.example/team', 'registry.example/other/app', false],
    ['"*" alone matches single-label hosts only', '*', 'localhost/app', true],
    ['"*" alone does not match a dotted host', '*', 'gcr.io/app', false],
    ['Docker Hub is docker.io', 'docker.io', 'docker.io/library/nginx', true],
  ];
  for (const [name, glob, image, want] of cases) {
    it(`${name}: ${glob} ${want ? 'matches' : 'does not match'} ${image}`, () => {
      const slash = image.indexOf('/');
      assert.equal(compileImageMatcher(glob)?.(image.slice(0, slash), image.slice(slash + 1)), want);
    });
  }
  it('a pattern with no host matches nothing (refused by the config reader)', () => assert.equal(compileImageMatcher('/team'), undefined));
  it('stays linear on a hostile host (no backtracking)', () => {
    const started = performance.now();
    const matches = compileImageMatcher(`${'*'.repeat(200)}z.example`);
    assert.equal(matches?.(`${'a'.repeat(250)}.example`, 'x'), false);
    assert.ok(performance.now() - started < 200);
  });
});

describe('containers auth.json keys: registry[/namespace…], the most specific wins', () => {
  const lookup = createNamespaceLookup(
    new Map([
      ['registry.example', { username: 'host', password: '' }],
      ['registry.example/team', { username: 'team', password: '' }],
      ['registry.example/team/app', { username: 'app', password: '' }],
      ['docker.io/library', { username: 'library', password: '' }],
      ['https://legacy.example/v1/', { username: 'legacy', password: '' }],
      ['*.glob.example', { username: 'glob', password: '' }],
    ]),
  );
  const cases: Array<[string, string, string, string | undefined]> = [
    ['the repository key itself', 'registry.example', 'team/app', 'app'],
    ['a deeper repository, by its namespace', 'registry.example', 'team/app/sub', 'app'],
    ['the namespace key', 'registry.example', 'team/other', 'team'],
    ['a namespace is matched whole, not as a prefix', 'registry.example', 'teamster/app', 'host'],
    ['the host key last', 'registry.example', 'x', 'host'],
    ['Docker Hub under docker.io', 'docker.io', 'library/nginx', 'library'],
    ['a URL key names its whole host (legacy)', 'legacy.example', 'any/thing', 'legacy'],
    ['no globs in auth.json', 'a.glob.example', 'x', undefined],
    ['another host has nothing', 'other.example', 'team/app', undefined],
  ];
  for (const [name, host, repository, user] of cases) it(name, () => assert.equal(lookup(host, repository)?.username, user));
});

describe('docker config.json and auth.json with their credential helpers', () => {
  it('reads credHelpers, credsStore, auths and identity tokens', () => {
    const file = parseCredentialsFile(
      JSON.stringify({
        auths: { 'acr.example': { auth: b64('00000000-0000-0000-0000-000000000000:'), identitytoken: 'refresh-me' }, 'r.io': { auth: b64('u:p') } },
        credHelpers: { '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login', 'gcr.io': 'gcloud' },
        credsStore: 'desktop',
      }),
      'config.json',
    );
    assert.deepEqual(Object.fromEntries(file.credHelpers), { '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login', 'gcr.io': 'gcloud' });
    assert.equal(file.credsStore, 'desktop');
    assert.deepEqual(file.auths.get('acr.example'), { username: '<token>', password: 'refresh-me' });
    assert.deepEqual(file.auths.get('r.io'), { username: 'u', password: 'p' });
  });
  it('a file of helpers only has no auths', () => assert.equal(parseCredentialsFile('{"credsStore": "pass"}', 'c').auths.size, 0));
  const refused: Array<[string, object, RegExp]> = [
    ['a helper name with a slash (it would run another file)', { credHelpers: { 'r.io': '../../bin/sh' } }, /"r.io" is not a helper name/],
    ['a helper name that is not a string', { credHelpers: { 'r.io': 1 } }, /"r.io" is not a helper name/],
    ['credHelpers that is not an object', { credHelpers: ['x'] }, /"credHelpers" is not an object/],
    ['a credsStore with a space', { credsStore: 'a b' }, /"credsStore" is not a helper name/],
  ];
  for (const [name, doc, message] of refused) {
    it(`refuses ${name}`, () =>
      assert.throws(
        () => parseCredentialsFile(JSON.stringify(doc), 'c'),
        (err: unknown) => err instanceof CredentialsError && message.test(err.message),
      ));
  }
  it('pull secrets keep what the kubelet reads: an identity token does not replace their auth', () => {
    const auths = parseDockerConfig(JSON.stringify({ auths: { 'acr.example': { auth: b64('user:pass'), identitytoken: 'refresh-me' } } }));
    assert.deepEqual(auths.get('acr.example'), { username: 'user', password: 'pass' });
  });
});
