import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LAUNCHER = resolve(import.meta.dirname, '../../bin/distroless-guard');

async function launch(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(LAUNCHER, args, { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bin/distroless-guard, as a user runs it after npm ci', () => {
  it('--help prints the commands and exits 0', async () => {
    const { code, stdout } = await launch(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /serve .*admission webhook/);
  });
  it('an unknown command exits 2 with one line', async () => {
    const { code, stderr } = await launch(['frobnicate']);
    assert.equal(code, 2);
    assert.equal(stderr, "distroless-guard: unknown command 'frobnicate' (try --help)\n");
  });
  it('--version prints the version of package.json; serve --help exits 0', async () => {
    const { version } = JSON.parse(await readFile(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    assert.deepEqual(await launch(['--version']), { code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await launch(['serve', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--metrics-port <PORT>/);
  });
  it('serve refuses to start with an invalid policy, naming the field, exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-cli-'));
    try {
      await writeFile(
        join(dir, 'bad.yaml'),
        'apiVersion: distroless-guard.io/v1alpha1\nkind: DistrolessPolicy\nmetadata: {name: x}\nspec:\n  rules:\n    noShell: {action: Block}\n',
      );
      const { code, stderr } = await launch(['serve', '--port', '0', '--policy', join(dir, 'bad.yaml'), '--certs-dir', join(dir, 'certs')]);
      assert.equal(code, 1);
      assert.match(stderr, /bad\.yaml: invalid DistrolessPolicy: spec\.rules\.noShell\.action must be one of "Enforce", "DryRun", "Disabled"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('serve with a missing policy file exits 1 saying so', async () => {
    const { code, stderr } = await launch(['serve', '--policy', '/nonexistent/policy.yaml']);
    assert.equal(code, 1);
    assert.match(stderr, /\/nonexistent\/policy\.yaml: cannot read policy file \(ENOENT\)/);
  });
  it('a bad flag is a usage error, exit 2', async () => {
    const { code, stderr } = await launch(['serve', '--tls-cert', 'only-cert.pem']);
    assert.equal(code, 2);
    assert.match(stderr, /--tls-cert and --tls-key go together/);
  });
});
