/**
 * Credential programs run for real: fake docker credential helpers and kubelet credential provider plugins written
 * by the tests as /bin/sh scripts. The exec (no shell, stdin, timeout killing the process group, bounded output),
 * the helper protocol and cache, the provider protocol, its cache per cacheKeyType and duration, and single-flight.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { CredentialTarget } from '../../src/image/inspector-types.js';
import { CredentialsError } from '../../src/image/registry/credentials.js';
import { ExecError, runCredentialProgram } from '../../src/image/registry/credentials-exec.js';
import { createCredentialHelpers } from '../../src/image/registry/credentials-helper.js';
import { createCredentialProviders, loadCredentialProviderConfig } from '../../src/image/registry/credentials-provider.js';
import { parseCredentialProviderConfig } from '../../src/image/registry/credentials-provider-config.js';
import { helperBody, programDir, providerBody, providerConfig, providerResponse, type ProgramDir } from '../support/credential-programs.js';

const seconds = (n: number): AbortSignal => AbortSignal.timeout(n * 1000);
const target = (image: string): CredentialTarget => {
  const slash = image.indexOf('/');
  return { host: image.slice(0, slash), repository: image.slice(slash + 1), image };
};
/** Running: in the process table and not a zombie (a killed orphan may wait there for a reaper). */
const processRunning = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('running a credential program', () => {
  let programs: ProgramDir;
  before(async () => {
    programs = await programDir();
  });
  after(async () => programs.remove());
  const run = (file: string, options: { timeoutMs?: number; maxStdoutBytes?: number } = {}) =>
    runCredentialProgram({
      file,
      args: ['get'],
      stdin: 'reg.example',
      env: { PATH: '/usr/bin:/bin' },
      timeoutMs: options.timeoutMs ?? 5000,
      maxStdoutBytes: options.maxStdoutBytes ?? 1024,
    });

  it('passes stdin and the arguments, and gives the exit code, stdout and stderr', async () => {
    const file = await programs.write('echoer', 'read -r line || true\nprintf "%s|%s" "$1" "$line"\necho oops >&2\nexit 7');
    const result = await run(file);
    assert.deepEqual({ code: result.exitCode, out: result.stdout.toString(), err: result.stderr }, { code: 7, out: 'get|reg.example', err: 'oops' });
  });
  it('a program that hangs is killed at its timeout, with what it started (its process group)', async () => {
    const pidFile = join(programs.dir, 'sleeper.pid');
    const file = await programs.write('hangs', `sleep 30 &\necho $! > ${pidFile}\nwait`);
    const started = Date.now();
    await assert.rejects(
      run(file, { timeoutMs: 300 }),
      (err: unknown) => err instanceof ExecError && err.failure === 'timeout' && /within 300 ms/.test(err.message),
    );
    assert.ok(Date.now() - started < 3000, `gave up after ${Date.now() - started} ms`);
    const sleeper = Number(readFileSync(pidFile, 'utf8').trim());
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(processRunning(sleeper), false, 'the sleep it started was killed too');
  });
  const failures: Array<[string, string | undefined, string, RegExp]> = [
    ['a program printing without end is cut off', 'yes', 'output-too-large', /printed more than 1024 bytes/],
    ['a missing file', undefined, 'not-found', /was not found/],
  ];
  for (const [name, body, failure, message] of failures) {
    it(name, async () => {
      const file = body === undefined ? join(programs.dir, 'nothing-here') : await programs.write(`p-${failure}`, body);
      await assert.rejects(run(file), (err: unknown) => err instanceof ExecError && err.failure === failure && message.test(err.message));
    });
  }
  it('a file that is not executable', async () => {
    const file = join(programs.dir, 'plain');
    await writeFile(file, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    await assert.rejects(run(file), (err: unknown) => err instanceof ExecError && err.failure === 'not-executable');
  });
  it('a program that exits without reading its stdin is fine', async () => {
    const file = await programs.write('deaf', 'echo done');
    const big = 'x'.repeat(1 << 20);
    const result = await runCredentialProgram({ file, stdin: big, env: {}, timeoutMs: 5000, maxStdoutBytes: 1024 });
    assert.equal(result.stdout.toString().trim(), 'done');
  });
  it('its caller giving up kills it', async () => {
    const file = await programs.write('slow', 'sleep 30');
    const controller = new AbortController();
    const running = runCredentialProgram({ file, stdin: '', env: {}, timeoutMs: 30_000, maxStdoutBytes: 1024, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(running, (err: unknown) => err instanceof ExecError && err.failure === 'aborted');
  });
});

describe('docker credential helpers (docker-credential-<name> get)', () => {
  let programs: ProgramDir;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    programs = await programDir();
    env = { PATH: `${programs.dir}:/usr/bin:/bin` };
    await programs.write('docker-credential-test', helperBody(programs.dir, 'reg.example', 'alice', 's3cr3t'));
    await programs.write('docker-credential-token', helperBody(programs.dir, 'acr.example', '<token>', 'refresh-me'));
    await programs.write('docker-credential-broken', 'echo "error getting credentials: no keyring"\nexit 1');
    await programs.write('docker-credential-garbage', "echo 'Username: alice'");
    await programs.write('docker-credential-hangs', 'sleep 30');
    await programs.write(
      'docker-credential-slow',
      `read -r url || true\necho "$url" >> ${join(programs.dir, 'slow.log')}\nsleep 0.3\nprintf '{"Username":"s","Secret":"p"}'`,
    );
  });
  after(async () => programs.remove());

  it('sends the server URL on stdin and reads the credential', async () => {
    const helpers = createCredentialHelpers({ env });
    assert.deepEqual(await helpers.get('test', 'reg.example', seconds(5)), { username: 'alice', password: 's3cr3t' });
    assert.deepEqual((await programs.asked()).slice(-1), ['reg.example']);
  });
  it('"<token>" as the user: an identity token', async () => {
    assert.deepEqual(await createCredentialHelpers({ env }).get('token', 'acr.example', seconds(5)), { username: '<token>', password: 'refresh-me' });
  });
  it('"credentials not found in native keychain" is no credential, not a failure', async () => {
    assert.equal(await createCredentialHelpers({ env }).get('test', 'other.example', seconds(5)), undefined);
  });
  const failures: Array<[string, string, RegExp, RegExp | undefined]> = [
    [
      'exits non-zero: the error names the helper; what it said is the detail',
      'broken',
      /docker-credential-broken exited with status 1 \(asked for reg\.example\)/,
      /no keyring/,
    ],
    ['prints garbage', 'garbage', /docker-credential-garbage did not answer with JSON/, undefined],
    ['hangs: cut off at its timeout', 'hangs', /docker-credential-hangs did not finish within 300 ms/, undefined],
    ['is not on PATH', 'absent', /docker-credential-absent was not found on PATH/, undefined],
  ];
  for (const [name, helper, message, detail] of failures) {
    it(`a helper that ${name}`, async () => {
      const helpers = createCredentialHelpers({ env, timeoutMs: 300 });
      await assert.rejects(helpers.get(helper, 'reg.example', seconds(5)), (err: unknown) => {
        assert.ok(err instanceof CredentialsError && err.code === 'helper-failed', String(err));
        assert.match(err.message, message);
        if (detail !== undefined) assert.match(err.detail ?? '', detail);
        return true;
      });
    });
  }
  it('answers are reused for cacheMs, then asked again; concurrent asks share one run', async () => {
    let now = 1_000_000;
    const helpers = createCredentialHelpers({ env, cacheMs: 60_000, now: () => now });
    const runs = async (): Promise<number> => (await programs.asked('slow.log')).length;
    const before = await runs();
    await Promise.all(Array.from({ length: 5 }, () => helpers.get('slow', 'reg.example', seconds(5))));
    assert.equal((await runs()) - before, 1, 'five concurrent asks, one run');
    await helpers.get('slow', 'reg.example', seconds(5));
    assert.equal((await runs()) - before, 1, 'reused within cacheMs');
    assert.deepEqual(helpers.peek('slow', 'reg.example'), { credential: { username: 's', password: 'p' } });
    now += 60_001;
    assert.equal(helpers.peek('slow', 'reg.example'), undefined);
    await helpers.get('slow', 'reg.example', seconds(5));
    assert.equal((await runs()) - before, 2, 'asked again once stale');
  });
});

describe('kubelet credential provider plugins', () => {
  let programs: ProgramDir;
  let now: number;
  let errors: string[];
  const respond = (text: string): Promise<void> => writeFile(join(programs.dir, 'response.json'), text);
  const runs = async (): Promise<string[]> => programs.asked();
  const providers = (config: Parameters<typeof providerConfig>[0], timeoutMs?: number) =>
    createCredentialProviders({
      providers: parseCredentialProviderConfig(providerConfig(config), 'config.json').providers,
      binDir: programs.dir,
      env: { PATH: '/usr/bin:/bin', FROM_GUARD: 'guard' },
      now: () => now,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      onError: (provider, image, error) => errors.push(`${provider} ${image}: ${error.message}`),
    });
  const user = async (source: ReturnType<typeof providers>, image: string): Promise<string | undefined> => {
    const t = target(image);
    return (await source.resolve(t, seconds(5)))?.(t.host, t.repository)?.username;
  };

  before(async () => {
    programs = await programDir();
    await programs.write('fake-provider', providerBody(programs.dir));
    await programs.write(
      'env-provider',
      `cat > /dev/null\n` +
        `printf '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","cacheKeyType":"Image",` +
        `"auth":{"reg.example":{"username":"%s","password":"%s"}}}' "$1" "$FROM_CONFIG-$FROM_GUARD"`,
    );
    const second = providerResponse('Image', {
      'reg.example': { username: 'second', password: 'p' },
      'other.example': { username: 'second-other', password: 'p' },
    });
    await programs.write('second-provider', `cat > /dev/null\nprintf '%s' '${second}'`);
    await programs.write('exits', 'cat > /dev/null\necho "no credentials for you" >&2\nexit 1');
    await programs.write('garbage', "cat > /dev/null\necho 'password=hunter2'");
    await programs.write('hangs', 'sleep 30');
  });
  after(async () => programs.remove());
  beforeEach(async () => {
    now = 1_000_000;
    errors = [];
    await writeFile(join(programs.dir, 'asked.log'), '');
  });

  it('sends a CredentialProviderRequest with the image as the kubelet names it, and reads the response', async () => {
    await respond(providerResponse('Image', { 'reg.example': { username: 'AWS', password: 'token' } }));
    const source = providers([{ name: 'fake-provider', matchImages: ['reg.example'] }]);
    assert.equal(await user(source, 'reg.example/team/app'), 'AWS');
    assert.deepEqual(
      (await runs()).map((line) => JSON.parse(line) as unknown),
      [{ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', kind: 'CredentialProviderRequest', image: 'reg.example/team/app' }],
    );
  });
  it('runs with the args and env of its config on top of the guard environment', async () => {
    const source = providers([{ name: 'env-provider', matchImages: ['reg.example'], args: ['from-args'], env: { FROM_CONFIG: 'config' } }]);
    const t = target('reg.example/app');
    assert.deepEqual((await source.resolve(t, seconds(5)))?.(t.host, t.repository), { username: 'from-args', password: 'config-guard' });
  });
  it('is not run for an image its matchImages do not match', async () => {
    const source = providers([{ name: 'fake-provider', matchImages: ['*.dkr.ecr.*.amazonaws.com'] }]);
    assert.equal(await source.resolve(target('reg.example/app'), seconds(5)), undefined);
    assert.deepEqual(await runs(), []);
  });
  it('every matching provider is asked; on the same key the earlier one wins', async () => {
    await respond(providerResponse('Image', { 'reg.example': { username: 'first', password: 'p' } }));
    const source = providers([{ name: 'fake-provider', matchImages: ['reg.example'] }, { name: 'second-provider', matchImages: ['*.example'] }]);
    const lookup = await source.resolve(target('reg.example/app'), seconds(5));
    assert.equal(lookup?.('reg.example', 'app')?.username, 'first');
    assert.equal(lookup?.('other.example', 'app')?.username, 'second-other');
  });

  // cacheKeyType, cacheDuration (or the default), then which later images are answered without a run.
  const caching: Array<[string, 'Image' | 'Registry' | 'Global', string | undefined, string, Array<[string, number, boolean]>]> = [
    ['Image: the same image only', 'Image', '1h', '0s', [['reg.example/a', 0, false], ['reg.example/b', 0, true]]],
    ['Registry: every image of the registry', 'Registry', '1h', '0s', [['reg.example/b', 0, false], ['other.example/a', 0, true]]],
    ['Global: every image it matches', 'Global', '1h', '0s', [['reg.example/b', 0, false], ['other.example/a', 0, false]]],
    ['until its cacheDuration has passed', 'Registry', '1m', '0s', [['reg.example/a', 59_000, false], ['reg.example/a', 2_000, true]]],
    ['cacheDuration 0s: never kept', 'Registry', '0s', '1h', [['reg.example/a', 0, true]]],
    ['no cacheDuration: the defaultCacheDuration', 'Registry', undefined, '10m', [['reg.example/a', 599_000, false], ['reg.example/a', 2_000, true]]],
    ['no cacheDuration and a default of 0s: never kept', 'Registry', undefined, '0s', [['reg.example/a', 0, true]]],
  ];
  for (const [name, keyType, duration, defaultCacheDuration, later] of caching) {
    it(`caches by ${name}`, async () => {
      await respond(providerResponse(keyType, { '*.example': { username: 'u', password: 'p' } }, duration));
      const source = providers([{ name: 'fake-provider', matchImages: ['*.example'], defaultCacheDuration }]);
      assert.equal(await user(source, 'reg.example/a'), 'u');
      for (const [image, advanceMs, runsAgain] of later) {
        now += advanceMs;
        const before = (await runs()).length;
        assert.equal(source.peek(target(image)) === undefined, runsAgain, `peek for ${image}`);
        assert.equal(await user(source, image), 'u');
        assert.equal((await runs()).length - before, runsAgain ? 1 : 0, `${image} after ${advanceMs} ms`);
      }
    });
  }

  it('concurrent asks share one run: by image at first, then by the key its answers are cached under', async () => {
    await programs.write('slow-provider', `sleep 0.3\n${providerBody(programs.dir)}`);
    await respond(providerResponse('Registry', { '*.example': { username: 'u', password: 'p' } }, '1m'));
    const source = providers([{ name: 'slow-provider', matchImages: ['*.example'] }]);
    await Promise.all(Array.from({ length: 4 }, () => user(source, 'reg.example/a')));
    assert.equal((await runs()).length, 1, 'one image asked four times at once: one run');
    now += 61_000; // expired: the provider is known to answer per registry now
    const users = await Promise.all(['reg.example/a', 'reg.example/b', 'reg.example/c'].map((image) => user(source, image)));
    assert.deepEqual(users, ['u', 'u', 'u']);
    assert.equal((await runs()).length, 2, 'three images of one registry at once: one more run');
  });

  const failures: Array<[string, string, RegExp]> = [
    ['exits non-zero', 'exits', /credential provider exits exited with status 1/],
    ['prints something that is not a response', 'garbage', /credential provider garbage did not answer with JSON/],
    ['hangs', 'hangs', /credential provider hangs did not finish within 300 ms/],
  ];
  for (const [name, provider, message] of failures) {
    it(`a provider that ${name} gives nothing for the image, and is reported by name (as the kubelet logs and goes on)`, async () => {
      const source = providers([{ name: provider, matchImages: ['reg.example'] }], 300);
      assert.equal(await source.resolve(target('reg.example/app'), seconds(5)), undefined);
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? '', message);
      assert.ok(!(errors[0] ?? '').includes('hunter2'), 'what it printed is not in the message');
    });
  }

  it('the config loader checks the bin dir holds an executable for every provider, as the kubelet at start', async () => {
    const config = join(programs.dir, 'providers.json');
    await writeFile(
      config,
      providerConfig([
        { name: 'fake-provider', matchImages: ['r.io'] },
        { name: 'missing-provider', matchImages: ['r.io'] },
      ]),
    );
    await assert.rejects(
      loadCredentialProviderConfig(config, programs.dir, seconds(5)),
      /credential provider missing-provider: .*missing-provider is not an executable file/,
    );
    await assert.rejects(loadCredentialProviderConfig(config, join(programs.dir, 'no-such-dir'), seconds(5)), /bin dir .*no-such-dir is not a directory/);
    await writeFile(config, providerConfig([{ name: 'fake-provider', matchImages: ['r.io'] }]));
    assert.deepEqual((await loadCredentialProviderConfig(config, programs.dir, seconds(5))).providers.map((p) => p.name), ['fake-provider']);
  });
});
