import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { RUNTIME_ENV, RUNTIME_NODE_FLAGS } from '../../src/cli/runtime-flags.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** No Docker engine runs here: the runtime image's promises are checked on the Dockerfile and on the compiled entrypoint. */
describe('the runtime image', () => {
  it('runs on a distroless nonroot base as uid 65532, with no RUN in the final stage', async () => {
    const dockerfile = await readFile(resolve(ROOT, 'Dockerfile'), 'utf8');
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(finalStage, /^\nFROM gcr\.io\/distroless\/nodejs\d+-debian\d+:nonroot\n/);
    assert.match(finalStage, /\nUSER 65532:65532\n/);
    assert.doesNotMatch(finalStage, /\nRUN /, 'a distroless stage has no shell to RUN with');
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(finalStage, /\nCMD \[.*"dist\/cli\/main\.js", "serve"/);
  });

  it('the Dockerfile, the Deployment and the launcher start node with the same runtime flags and environment', async () => {
    const flags = RUNTIME_NODE_FLAGS.map((f) => JSON.stringify(f)).join(', ');
    const dockerfile = await readFile(resolve(ROOT, 'Dockerfile'), 'utf8');
    const cmd = /\nCMD (\[.*\])\n/.exec(dockerfile)?.[1] ?? '';
    assert.ok(cmd.startsWith(`[${flags}, "dist/cli/main.js"`), `Dockerfile CMD ${cmd}`);
    const deployment = await readFile(resolve(ROOT, 'manifests/base/deployment.yaml'), 'utf8');
    const args = /\n\s+args: (\[.*\])\n/.exec(deployment)?.[1] ?? '';
    // The Deployment overrides CMD with args: node's flags and the serve command must be the same, and it may add
    // serve flags of its own (--patch-ca-bundle, --shutdown-delay, …).
    const serveCommand = (text: string) => (JSON.parse(text) as string[]).slice(0, RUNTIME_NODE_FLAGS.length + 6);
    assert.deepEqual(serveCommand(args), serveCommand(cmd), 'the Deployment starts node and serve as the image does');
    const launcher = await readFile(resolve(ROOT, 'bin/distroless-guard'), 'utf8');
    assert.match(launcher, new RegExp(`\nexec "\\$node" ${RUNTIME_NODE_FLAGS.join(' ')} --import `));
    for (const [name, value] of Object.entries(RUNTIME_ENV)) {
      assert.match(dockerfile, new RegExp(`\nENV ${name}=${value}\n`));
      assert.match(launcher, new RegExp(`\nexport ${name}="\\$\\{${name}:-${value}\\}"\n`));
    }
  });

  it('the compiled entrypoint (what the image runs: node dist/cli/main.js) works without tsx', async () => {
    const node = resolve(ROOT, 'node_modules/.bin/node');
    await run(resolve(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', 'dist'], { cwd: ROOT, timeout: 120_000 });
    const { stdout } = await run(node, [resolve(ROOT, 'dist/cli/main.js'), '--help'], { cwd: ROOT });
    assert.match(stdout, /serve .*admission webhook/);
  });
});
