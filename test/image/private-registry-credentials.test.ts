/**
 * A private image inspected through `distroless-guard inspect` (runInspect, as bin/distroless-guard calls it) with
 * each way a cluster or an admin keeps registry credentials, against the real password-protected registry (htpasswd)
 * and the real Docker token flow: docker credential helpers (credsStore, credHelpers, an identity token), containers
 * auth.json (each of its places, namespace keys), and kubelet credential provider plugins; and their precedence.
 * The helpers and plugins are /bin/sh scripts the tests write.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInspect } from '../../src/cli/inspect.js';
import { createImageInspector } from '../../src/image/inspector.js';
import { createCredentialLookup } from '../../src/image/registry/credentials.js';
import { createCredentialProviders } from '../../src/image/registry/credentials-provider.js';
import { parseCredentialProviderConfig } from '../../src/image/registry/credentials-provider-config.js';
import { helperBody, programDir, providerBody, providerConfig, providerResponse, type ProgramDir } from '../support/credential-programs.js';
import { CATALOG, seedImages, type SeededCatalog } from '../support/images.js';
import { startRegistry, type Credentials, type TestRegistry } from '../support/registry.js';
import { textSink } from '../support/text-sink.js';

const entry = CATALOG.find((e) => e.name === 'distroless-static:nonroot');
if (entry === undefined) throw new Error('catalog lacks distroless-static:nonroot');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const auth = (user: Credentials | { username: string; password: string }): { auth: string } => ({ auth: b64(`${user.username}:${user.password}`) });
const WRONG = { username: 'nobody', password: 'wrong-password-1' };

let basic: TestRegistry;
let token: TestRegistry;
let seeded: SeededCatalog;
let seededToken: SeededCatalog;
let user: Credentials;
let programs: ProgramDir;
let caseNo = 0;
const REFRESH_TOKEN = 'identity-token-for-the-test-user';

before(async () => {
  [basic, token] = await Promise.all([startRegistry({ auth: 'basic' }), startRegistry({ auth: 'token', refreshToken: REFRESH_TOKEN })]);
  if (basic.credentials === undefined || token.credentials === undefined) throw new Error('registries without credentials');
  user = basic.credentials;
  [seeded, seededToken] = await Promise.all([
    seedImages({ host: basic.host, credentials: user }, [entry]),
    seedImages({ host: token.host, credentials: token.credentials }, [entry]),
  ]);
  programs = await programDir('dg-private-registry-');
});
after(async () => {
  await Promise.all([basic.stop(), token.stop(), programs.remove()]);
});

/** A fresh HOME (and session dir) per case, with nothing in it unless the case writes it. */
async function home(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = join(programs.dir, `case-${++caseNo}`);
  await mkdir(join(dir, 'run'), { recursive: true });
  return { dir, env: { HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), PATH: `${programs.dir}:/usr/bin:/bin` } };
}

async function put(path: string, content: object | string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function inspect(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = textSink();
  const err = textSink();
  const code = await runInspect(['--json', ...args], { stdout: out.stream, stderr: err.stream, env });
  return { code, stdout: out.text(), stderr: err.text() };
}

const image = (): string => seeded.get('distroless-static:nonroot').ref;

function inspected(result: { code: number; stdout: string; stderr: string }): void {
  assert.equal(result.code, 0, result.stderr);
  assert.equal((JSON.parse(result.stdout) as { distroless: boolean }).distroless, true);
}

function refused(result: { code: number; stderr: string }, pattern = /unauthorized/): void {
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, pattern);
}

describe('docker credential helpers', () => {
  before(async () => {
    await programs.write('docker-credential-store', helperBody(programs.dir, basic.host, user.username, user.password));
    await programs.write('docker-credential-byhost', helperBody(programs.dir, basic.host, user.username, user.password));
    await programs.write('docker-credential-broken', 'echo "the keyring is locked"\nexit 1');
    await programs.write('docker-credential-identity', helperBody(programs.dir, token.host, '<token>', REFRESH_TOKEN));
  });

  it('without credentials the private image is refused (the baseline)', async () => {
    refused(await inspect([image()], (await home()).env));
  });
  it('credsStore: the helper is asked with the registry host and its answer is used', async () => {
    const { dir, env } = await home();
    await put(join(dir, '.docker', 'config.json'), { credsStore: 'store' });
    inspected(await inspect([image()], env));
    assert.ok((await programs.asked()).includes(basic.host));
  });
  it("credHelpers: the host's helper wins over auths for the same host", async () => {
    const { dir, env } = await home();
    await put(join(dir, '.docker', 'config.json'), { auths: { [basic.host]: auth(WRONG) }, credHelpers: { [basic.host]: 'byhost' } });
    inspected(await inspect([image()], env));
  });
  it('a helper that fails stops the inspection with one line naming it', async () => {
    const { dir, env } = await home();
    await put(join(dir, '.docker', 'config.json'), { credHelpers: { [basic.host]: 'broken' } });
    const result = await inspect([image()], env);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /docker-credential-broken exited with status 1 .*\[credentials\].*the keyring is locked/);
  });
  it('an identity token ("<token>" user) is exchanged at the token realm as an OAuth2 refresh token', async () => {
    const { dir, env } = await home();
    await put(join(dir, '.docker', 'config.json'), { credHelpers: { [token.host]: 'identity' } });
    const before = token.tokenServer?.requests().length ?? 0;
    inspected(await inspect([seededToken.get('distroless-static:nonroot').ref], env));
    const asked = token.tokenServer?.requests().slice(before) ?? [];
    assert.ok(
      asked.length >= 1 && asked.every((r) => r.grantType === 'refresh_token' && r.status === 200 && r.account === token.credentials?.username),
      JSON.stringify(asked),
    );
  });
  it('an identitytoken in config.json auths is used the same way', async () => {
    const { dir, env } = await home();
    await put(join(dir, '.docker', 'config.json'), { auths: { [token.host]: { ...auth(WRONG), identitytoken: REFRESH_TOKEN } } });
    inspected(await inspect([seededToken.get('distroless-static:nonroot').ref], env));
  });
});

describe('containers auth.json (podman, buildah, skopeo)', () => {
  it('$REGISTRY_AUTH_FILE', async () => {
    const { dir, env } = await home();
    const file = await put(join(dir, 'elsewhere', 'auth.json'), { auths: { [basic.host]: auth(user) } });
    inspected(await inspect([image()], { ...env, REGISTRY_AUTH_FILE: file }));
  });
  it('${XDG_RUNTIME_DIR}/containers/auth.json', async () => {
    const { env } = await home();
    await put(join(env['XDG_RUNTIME_DIR'] ?? '', 'containers', 'auth.json'), { auths: { [basic.host]: auth(user) } });
    inspected(await inspect([image()], env));
  });
  it('~/.config/containers/auth.json, where a repository key wins over the host key', async () => {
    const { dir, env } = await home();
    await put(join(dir, '.config', 'containers', 'auth.json'), { auths: { [basic.host]: auth(WRONG), [`${basic.host}/distroless-static`]: auth(user) } });
    inspected(await inspect([image()], env));
  });
  it('the most specific key is the one used: a wrong repository key is not saved by a right host key', async () => {
    const { dir, env } = await home();
    await put(join(dir, '.config', 'containers', 'auth.json'), { auths: { [basic.host]: auth(user), [`${basic.host}/distroless-static`]: auth(WRONG) } });
    refused(await inspect([image()], env));
  });
  it("docker's config answers before auth.json", async () => {
    const { dir, env } = await home();
    await put(join(dir, '.docker', 'config.json'), { auths: { [basic.host]: auth(user) } });
    await put(join(env['XDG_RUNTIME_DIR'] ?? '', 'containers', 'auth.json'), { auths: { [basic.host]: auth(WRONG) } });
    inspected(await inspect([image()], env));
  });
});

describe('kubelet credential provider plugins (--image-credential-provider-config, --image-credential-provider-bin-dir)', () => {
  let bin: ProgramDir;
  before(async () => {
    bin = await programDir('dg-provider-bin-');
    await bin.write('registry-provider', providerBody(bin.dir));
    await bin.write('failing-provider', 'cat > /dev/null\necho "metadata server unreachable" >&2\nexit 2');
  });
  after(async () => bin.remove());
  const respond = (who: { username: string; password: string }): Promise<string> =>
    put(join(bin.dir, 'response.json'), providerResponse('Registry', { [basic.host]: who }, '1m'));
  const flags = async (name: string, matchImages: readonly string[] = [basic.host]): Promise<string[]> => {
    const config = await put(join(bin.dir, `${name}.json`), providerConfig([{ name, matchImages }]));
    return ['--image-credential-provider-config', config, '--image-credential-provider-bin-dir', bin.dir];
  };

  it('the plugin matching the image gives its credentials', async () => {
    await respond(user);
    inspected(await inspect([...(await flags('registry-provider')), image()], (await home()).env));
    const request = JSON.parse((await bin.asked()).at(-1) ?? '{}') as { image?: string };
    assert.equal(request.image, `${basic.host}/distroless-static`, 'the image as the kubelet names it: no tag');
  });
  it('a plugin whose matchImages do not match is not run', async () => {
    const before = (await bin.asked()).length;
    refused(await inspect([...(await flags('registry-provider', ['*.dkr.ecr.*.amazonaws.com'])), image()], (await home()).env));
    assert.equal((await bin.asked()).length, before);
  });
  it("the plugin's credentials come before the guard's own docker config", async () => {
    await respond(user);
    const { dir, env } = await home();
    await put(join(dir, '.docker', 'config.json'), { credHelpers: { [basic.host]: 'broken' } });
    inspected(await inspect([...(await flags('registry-provider')), image()], env));
  });
  it('refused credentials from the plugin: the next ones are tried, as the kubelet tries each', async () => {
    await respond(WRONG);
    const { dir, env } = await home();
    await put(join(dir, '.docker', 'config.json'), { auths: { [basic.host]: auth(user) } });
    inspected(await inspect([...(await flags('registry-provider')), image()], env));
  });
  it('a failing plugin is a warning naming it; the image is then refused for want of credentials', async () => {
    const result = await inspect([...(await flags('failing-provider')), image()], (await home()).env);
    refused(result);
    assert.match(result.stderr, /warning: credential provider failed \(provider=failing-provider, .*exited with status 2.*metadata server unreachable/);
  });
  it('the two flags go together', async () => {
    const result = await inspect(['--image-credential-provider-config', 'x.json', image()], (await home()).env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--image-credential-provider-config and --image-credential-provider-bin-dir go together/);
  });
  it('a broken config is one line naming the file', async () => {
    const config = await put(join(bin.dir, 'broken.yaml'), 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders: []\n');
    const result = await inspect(['--image-credential-provider-config', config, '--image-credential-provider-bin-dir', bin.dir, image()], (await home()).env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /broken\.yaml: providers: at least one provider is required/);
  });
});

describe("the inspector: a pod's pull secrets first, then the plugins, each tried in turn", () => {
  let bin: ProgramDir;
  before(async () => {
    bin = await programDir('dg-provider-order-');
    await bin.write('registry-provider', providerBody(bin.dir));
  });
  after(async () => bin.remove());
  const inspectorWith = async (answer: { username: string; password: string }, cacheDuration: string) => {
    await put(join(bin.dir, 'response.json'), providerResponse('Registry', { [basic.host]: answer }, cacheDuration));
    const { providers } = parseCredentialProviderConfig(providerConfig([{ name: 'registry-provider', matchImages: [basic.host] }]), 'config.json');
    return createImageInspector({ credentialSources: [createCredentialProviders({ providers, binDir: bin.dir, env: { PATH: '/usr/bin:/bin' } })] });
  };
  const podSecret = (who: { username: string; password: string }) => createCredentialLookup(new Map([[basic.host, who]]));
  const signal = (): AbortSignal => AbortSignal.timeout(60_000);

  it("the pod's own credentials serve without running the plugin", async () => {
    const inspector = await inspectorWith(WRONG, '1m');
    const before = (await bin.asked()).length;
    assert.equal((await inspector.inspect(image(), { signal: signal(), credentials: podSecret(user) })).distroless, true);
    assert.equal((await bin.asked()).length, before);
  });
  it("the pod's credentials refused: the plugin's are tried next", async () => {
    const inspector = await inspectorWith(user, '1m');
    assert.equal((await inspector.inspect(image(), { signal: signal(), credentials: podSecret(WRONG) })).distroless, true);
  });
  it("known(): a tag is answered from memory while the plugin's answer is cached, not when the plugin must run", async () => {
    const cached = await inspectorWith(user, '1m');
    const facts = await cached.inspect(image(), { signal: signal() });
    assert.equal(cached.known(image()), facts);
    const uncached = await inspectorWith(user, '0s');
    await uncached.inspect(image(), { signal: signal() });
    assert.equal(uncached.known(image()), undefined, 'the plugin would have to run for the next admission');
  });
});
