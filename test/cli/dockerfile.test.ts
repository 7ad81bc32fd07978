import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

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
    assert.match(finalStage, /CMD \["dist\/cli\/main\.js", "serve"/);
  });

  it('the compiled entrypoint (what the image runs: node dist/cli/main.js) works without tsx', async () => {
    const node = resolve(ROOT, 'node_modules/.bin/node');
    await run(resolve(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', 'dist'], { cwd: ROOT, timeout: 120_000 });
    const { stdout } = await run(node, [resolve(ROOT, 'dist/cli/main.js'), '--help'], { cwd: ROOT });
    assert.match(stdout, /serve .*admission webhook/);
  });
});
