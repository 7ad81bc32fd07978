/**
 * What each command loads, through bin/distroless-guard as a user runs it: the packages the guard's own compiled
 * modules import (recorded by a module resolution hook given in NODE_OPTIONS). --help, --version and completion
 * load the argument parser alone; `check --offline` none of the server's, the cluster's or the registry's packages.
 * The timings themselves are bench/cli-startup.sh's (npm run bench:cli).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const DIST = pathToFileURL(join(ROOT, 'dist')).href;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-startup-'));
  await writeFile(
    join(dir, 'record-imports.mjs'),
    `import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, next) {
    if (context.parentURL?.startsWith(${JSON.stringify(`${DIST}/`)}) && !specifier.startsWith('.') && !specifier.startsWith('node:')) {
      appendFileSync(process.env.DG_IMPORTS, specifier + '\\n');
    }
    return next(specifier, context);
  },
});
`,
  );
  await writeFile(
    join(dir, 'pod.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: gcr.io/distroless/static-debian12:nonroot}]\n',
  );
});
after(() => rm(dir, { recursive: true, force: true }));

/** The packages the guard's modules imported while running `args`. */
async function packagesLoaded(args: readonly string[]): Promise<string[]> {
  const record = join(dir, `imports-${args.join('-').replace(/[^\w-]/g, '_')}.txt`);
  await writeFile(record, '');
  await run(join(ROOT, 'bin/distroless-guard'), [...args], {
    cwd: dir,
    timeout: 120_000,
    env: { ...process.env, HOME: dir, NODE_OPTIONS: `--import ${pathToFileURL(join(dir, 'record-imports.mjs')).href}`, DG_IMPORTS: record },
  });
  return [...new Set((await readFile(record, 'utf8')).split('\n').filter((l) => l !== ''))].sort();
}

describe('what each command loads', () => {
  for (const args of [['--version'], ['--help'], ['serve', '--help'], ['check', '--help'], ['completion', 'bash']]) {
    it(`${args.join(' ')}: the argument parser alone`, async () => {
      assert.deepEqual(await packagesLoaded(args), ['commander']);
    });
  }

  it('check --offline: no server, cluster, registry or layer package', async () => {
    const loaded = await packagesLoaded(['check', '--offline', '-f', 'pod.yaml']);
    const notThere = ['@kubernetes/client-node', 'express', 'pino', 'prom-client', 'node-forge', 'undici', 'tar-stream'];
    assert.deepEqual(loaded.filter((p) => notThere.includes(p)), [], loaded.join(', '));
    assert.ok(loaded.includes('yaml'), 'the recording works: check reads YAML');
  });
});
