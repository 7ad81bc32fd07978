/**
 * bin/distroless-guard builds dist/ itself: on the first run, again when a source is newer than the last build, once
 * for runs that start together, and never runs JavaScript older than src/. Run in a copy of the tree (src/, the
 * launcher, tsconfig*.json, package.json; node_modules linked) so the repository's own dist/ is left alone.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
let tree: string;

before(async () => {
  tree = await mkdtemp(join(tmpdir(), 'dg-launcher-'));
  await mkdir(join(tree, 'bin'));
  await Promise.all([
    cp(join(ROOT, 'src'), join(tree, 'src'), { recursive: true, filter: (path) => !path.endsWith('.test.ts') }),
    cp(join(ROOT, 'bin/distroless-guard'), join(tree, 'bin/distroless-guard')),
    cp(join(ROOT, 'manifests'), join(tree, 'manifests'), { recursive: true }),
    ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((file) => cp(join(ROOT, file), join(tree, file))),
    symlink(join(ROOT, 'node_modules'), join(tree, 'node_modules')),
  ]);
});
after(() => rm(tree, { recursive: true, force: true }));

const launch = (args: readonly string[]): Promise<{ stdout: string; stderr: string }> =>
  run(join(tree, 'bin/distroless-guard'), [...args], { timeout: 120_000 });
const builtAt = async (): Promise<number> => (await stat(join(tree, 'dist/.build-stamp'))).mtimeMs;

describe('bin/distroless-guard builds dist/ when src/ is newer', () => {
  it('runs started together on a fresh tree build once, and each gets its answer', async () => {
    const runs = await Promise.all([launch(['--version']), launch(['--version']), launch(['version'])]);
    const { version } = JSON.parse(await readFile(join(tree, 'package.json'), 'utf8')) as { version: string };
    for (const { stdout, stderr } of runs) assert.deepEqual({ stdout, stderr }, { stdout: `${version}\n`, stderr: '' });
    assert.ok((await stat(join(tree, 'dist/cli/main.js'))).isFile());
  });

  it('does not build again while nothing changed', async () => {
    const before = await builtAt();
    await launch(['--version']);
    assert.equal(await builtAt(), before);
  });

  it('a changed source is compiled before it runs', async () => {
    const before = await builtAt();
    const source = join(tree, 'src/cli/main.ts');
    const text = await readFile(source, 'utf8');
    await writeFile(source, text.replace("'print the version'", "'print the version (edited)'"));
    await utimes(source, new Date(), new Date(Date.now() + 1_000)); // newer than the stamp, whatever the clock's grain
    const { stdout } = await launch(['--help']);
    assert.match(stdout, /print the version \(edited\)/);
    assert.ok((await builtAt()) > before);
  });
});
