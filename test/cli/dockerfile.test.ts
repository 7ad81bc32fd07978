import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { RUNTIME_ENV, RUNTIME_NODE_FLAGS } from '../../src/cli/runtime-flags.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** The exec form (a JSON array) of the last `name` instruction in a Dockerfile's text. */
function instruction(dockerfile: string, name: 'CMD' | 'ENTRYPOINT'): string[] {
  const all = [...dockerfile.matchAll(new RegExp(`\\n${name} (\\[.*\\])\\n`, 'g'))];
  const last = all.at(-1)?.[1];
  assert.ok(last, `the Dockerfile has ${name} in exec form`);
  return JSON.parse(last) as string[];
}

/** No Docker engine runs here: the runtime image's promises are checked on the Dockerfile and on the compiled entrypoint. */
describe('the runtime image', () => {
  it('runs on a distroless nonroot base as uid 65532, with no RUN in the final stage', async () => {
    const dockerfile = await readFile(resolve(ROOT, 'Dockerfile'), 'utf8');
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(finalStage, /^\nFROM gcr\.io\/distroless\/nodejs\d+-debian\d+:nonroot\n/);
    assert.match(finalStage, /\nUSER 65532:65532\n/);
    assert.doesNotMatch(finalStage, /\nRUN /, 'a distroless stage has no shell to RUN with');
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.deepEqual(instruction(finalStage, 'CMD').slice(0, 1), ['serve']);
  });

  it('the image, the Deployment and the launcher start node with the same runtime flags and environment', async () => {
    const dockerfile = await readFile(resolve(ROOT, 'Dockerfile'), 'utf8');
    // The distroless nodejs images keep node at /nodejs/bin/node (their own ENTRYPOINT).
    assert.deepEqual(instruction(dockerfile, 'ENTRYPOINT'), ['/nodejs/bin/node', ...RUNTIME_NODE_FLAGS, 'dist/cli/main.js']);
    const cmd = instruction(dockerfile, 'CMD');

    // A Deployment's args replace CMD and keep ENTRYPOINT (command would replace it): so the Deployment gives no
    // command, and its args are the image's command (serve) with flags of its own: the image's CMD reads TLS from a
    // mounted /tls (docker run, the cert-manager overlay), the base Deployment has the guard keep its own Secret.
    const [deployment] = parseAllDocuments(await readFile(resolve(ROOT, 'manifests/base/deployment.yaml'), 'utf8')).map((d) => d.toJS() as V1Deployment);
    const container = deployment?.spec?.template.spec?.containers[0];
    assert.ok(container, 'the Deployment has a container');
    assert.equal(container.command, undefined, 'the Deployment keeps the image entrypoint (node and its runtime flags)');
    assert.deepEqual(container.args?.slice(0, 1), cmd.slice(0, 1), 'the Deployment runs serve as the image does');
    assert.ok(!container.args?.some((arg) => arg === 'dist/cli/main.js' || RUNTIME_NODE_FLAGS.some((flag) => flag === arg)), 'no node flag in the args');

    const launcher = await readFile(resolve(ROOT, 'bin/distroless-guard'), 'utf8');
    assert.match(launcher, new RegExp(`\nexec "\\$node" ${RUNTIME_NODE_FLAGS.join(' ')} "\\$dist/cli/main\\.js" "\\$@"\n`));
    for (const [name, value] of Object.entries(RUNTIME_ENV)) {
      assert.match(dockerfile, new RegExp(`\nENV ${name}=${value}\n`));
      assert.match(launcher, new RegExp(`\nexport ${name}="\\$\\{${name}:-${value}\\}"\n`));
    }
  });

  it('the compiled entrypoint (what the image runs: node dist/cli/main.js) works without tsx', async () => {
    const node = resolve(ROOT, 'node_modules/.bin/node');
    // The launcher builds dist/ when src/ is newer (under its lock, so concurrent test files never see half a tree).
    await run(resolve(ROOT, 'bin/distroless-guard'), ['--version'], { cwd: ROOT, timeout: 120_000 });
    const { stdout } = await run(node, [resolve(ROOT, 'dist/cli/main.js'), '--help'], { cwd: ROOT });
    assert.match(stdout, /serve .*admission webhook/);
  });
});
