import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CredentialTarget, RegistryCredential } from '../inspector-types.js';
import { CredentialsError, parseCredentialsFile } from './credentials.js';
import { credentialsFilePaths, fileCredentialSource, loadedCredentialsFile, readCredentialsFiles, type LoadedCredentialsFile } from './credentials-files.js';
import type { CredentialHelpers } from './credentials-helper.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const target = (host: string, repository: string): CredentialTarget => ({ host, repository, image: `${host}/${repository}` });

describe('where the guard looks for its own credentials', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, number | null, string[]]> = [
    [
      'HOME alone: docker, then containers under ~/.config (no session dir without a uid)',
      { HOME: '/h' },
      null,
      ['docker /h/.docker/config.json', 'containers /h/.config/containers/auth.json'],
    ],
    [
      'the session dir from XDG_RUNTIME_DIR',
      { HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1000' },
      1000,
      ['docker /h/.docker/config.json', 'containers /run/user/1000/containers/auth.json', 'containers /h/.config/containers/auth.json'],
    ],
    [
      'without XDG_RUNTIME_DIR, /run/containers/UID as containers/image',
      { HOME: '/h' },
      1000,
      ['docker /h/.docker/config.json', 'containers /run/containers/1000/auth.json', 'containers /h/.config/containers/auth.json'],
    ],
    [
      'REGISTRY_AUTH_FILE replaces the session file',
      { HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1', REGISTRY_AUTH_FILE: '/etc/auth.json' },
      1,
      ['docker /h/.docker/config.json', 'containers /etc/auth.json', 'containers /h/.config/containers/auth.json'],
    ],
    [
      'DOCKER_CONFIG and XDG_CONFIG_HOME move theirs',
      { DOCKER_CONFIG: '/d', XDG_CONFIG_HOME: '/c' },
      null,
      ['docker /d/config.json', 'containers /c/containers/auth.json'],
    ],
    ['nothing set: nothing to read', {}, null, []],
  ];
  for (const [name, env, uid, want] of cases) it(name, () => assert.deepEqual(credentialsFilePaths(env, uid).map((p) => `${p.kind} ${p.path}`), want));
});

describe('reading the files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dg-cred-files-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('a missing file is no credentials; the others are read in order', async () => {
    await writeFile(join(dir, 'auth.json'), JSON.stringify({ auths: { 'r.io': { auth: b64('u:p') } } }));
    const files = await readCredentialsFiles(
      [
        { path: join(dir, 'missing.json'), kind: 'docker' },
        { path: join(dir, 'auth.json'), kind: 'containers' },
      ],
      AbortSignal.timeout(5000),
    );
    assert.deepEqual(
      files.map((f) => f.path),
      [join(dir, 'auth.json')],
    );
    assert.equal(files[0]?.lookup('r.io', 'x')?.username, 'u');
  });
  it('a malformed file is an error naming it', async () => {
    await writeFile(join(dir, 'broken.json'), '{"auths": ');
    await assert.rejects(
      readCredentialsFiles([{ path: join(dir, 'broken.json'), kind: 'containers' }], AbortSignal.timeout(5000)),
      (err: unknown) => err instanceof CredentialsError && err.message.includes('broken.json'),
    );
  });
  it('a directory where the file should be is an error naming it', async () => {
    await mkdir(join(dir, 'adir'));
    await assert.rejects(readCredentialsFiles([{ path: join(dir, 'adir'), kind: 'docker' }], AbortSignal.timeout(5000)), /cannot read .*adir/);
  });
});

/** Helpers answering from a table, recording what they were asked: the exec itself is tested in test/image. */
function fakeHelpers(table: Record<string, RegistryCredential | undefined>, cached = true): CredentialHelpers & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async get(name, serverUrl) {
      asked.push(`${name} ${serverUrl}`);
      return table[`${name} ${serverUrl}`];
    },
    peek: (name, serverUrl) => (cached ? { credential: table[`${name} ${serverUrl}`] } : undefined),
  };
}

const file = (path: string, kind: 'docker' | 'containers', doc: object): LoadedCredentialsFile =>
  loadedCredentialsFile(path, kind, parseCredentialsFile(JSON.stringify(doc), path));

describe('the files as one source: the first file with something for the host answers', () => {
  const docker = file('config.json', 'docker', {
    auths: { 'r.io': { auth: b64('docker-auths:p') }, 'hub-less.io': {} },
    credHelpers: { 'ecr.example': 'ecr-login', 'https://index.docker.io/v1/': 'hub' },
  });
  const containers = file('auth.json', 'containers', {
    auths: { 'r.io': { auth: b64('podman:p') }, 'q.io/team': { auth: b64('podman-team:p') }, 'gone.example': { auth: b64('podman-gone:p') } },
    credHelpers: { 'gone.example': 'gone' },
  });
  const helpers = fakeHelpers({
    'ecr-login ecr.example': { username: 'AWS', password: 't' },
    'hub https://index.docker.io/v1/': { username: 'hubber', password: 'h' },
  });
  const source = fileCredentialSource([docker, containers], helpers);

  const cases: Array<[string, CredentialTarget, string | undefined]> = [
    ["docker's auths before auth.json", target('r.io', 'app'), 'docker-auths'],
    ["docker's credHelpers entry for the host", target('ecr.example', 'app'), 'AWS'],
    ['Docker Hub through its helper key', target('docker.io', 'library/nginx'), 'hubber'],
    ["auth.json's namespace key when docker has nothing", target('q.io', 'team/app'), 'podman-team'],
    ['an auth.json helper with nothing: its auths are not used for that host', target('gone.example', 'app'), undefined],
    ['nobody has anything', target('elsewhere.io', 'app'), undefined],
  ];
  for (const [name, t, user] of cases) {
    it(name, async () => {
      const lookup = await source.resolve(t, AbortSignal.timeout(5000));
      assert.equal(lookup?.(t.host, t.repository)?.username, user);
      assert.equal(source.peek(t)?.lookup?.(t.host, t.repository)?.username, user, 'peek agrees');
    });
  }
  it('asks a helper with the server URL docker gives it', () => {
    assert.ok(helpers.asked.includes('hub https://index.docker.io/v1/'));
    assert.ok(helpers.asked.includes('ecr-login ecr.example'));
    assert.ok(helpers.asked.includes('gone gone.example'));
  });
  it('the lookup answers only for the host and repository asked about', async () => {
    const lookup = await source.resolve(target('ecr.example', 'app'), AbortSignal.timeout(5000));
    assert.equal(lookup?.('ecr.example', 'other'), undefined);
  });
  it('credsStore serves every host without its own helper, instead of auths', async () => {
    const store = fileCredentialSource(
      [file('config.json', 'docker', { auths: { 'r.io': { auth: b64('ignored:p') } }, credsStore: 'desktop' })],
      fakeHelpers({ 'desktop r.io': { username: 'from-store', password: 'p' } }),
    );
    assert.equal((await store.resolve(target('r.io', 'a'), AbortSignal.timeout(5000)))?.('r.io', 'a')?.username, 'from-store');
  });
  it('peek is unknown while a helper it needs has no fresh answer', () => {
    const cold = fileCredentialSource([docker], fakeHelpers({}, false));
    assert.equal(cold.peek(target('ecr.example', 'app')), undefined);
    assert.equal(cold.peek(target('r.io', 'app'))?.lookup?.('r.io', 'app')?.username, 'docker-auths', 'a host without a helper is known at once');
  });
});
