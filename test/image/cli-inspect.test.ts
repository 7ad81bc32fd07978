/** `distroless-guard inspect` (runInspect called directly) against the real registry: output shapes and exit codes. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInspect } from '../../src/cli/inspect.js';
import { CATALOG, seedImages, type SeededCatalog } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { textSink } from '../support/text-sink.js';

async function run(args: string[], env: NodeJS.ProcessEnv = { HOME: '/nonexistent' }): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = textSink();
  const err = textSink();
  const code = await runInspect(args, { stdout: out.stream, stderr: err.stream, env });
  return { code, stdout: out.text(), stderr: err.text() };
}

const FACT_KEYS = ['shells', 'packageManagers', 'user', 'nonRoot', 'hasTmpDir', 'debugVariant', 'distroless', 'base'];
const NAMES = ['multiarch:latest', 'distroless-static:nonroot'];

describe('distroless-guard inspect', () => {
  let registry: TestRegistry;
  let basic: TestRegistry;
  let seeded: SeededCatalog;
  let seededBasic: SeededCatalog;

  before(async () => {
    [registry, basic] = await Promise.all([startRegistry(), startRegistry({ auth: 'basic' })]);
    const catalog = CATALOG.filter((e) => NAMES.includes(e.name));
    [seeded, seededBasic] = await Promise.all([
      seedImages(registry, catalog),
      seedImages({ host: basic.host, ...(basic.credentials !== undefined ? { credentials: basic.credentials } : {}) }, catalog.filter((e) => e.name === 'distroless-static:nonroot')),
    ]);
  });
  after(async () => {
    await Promise.all([registry.stop(), basic.stop()]);
  });

  it('--json prints exactly one JSON object with the documented shape, and exits 0', async () => {
    const image = seeded.get('multiarch:latest');
    const { code, stdout, stderr } = await run(['--json', image.ref]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.equal(stdout.trim().split('\n').length, 1);
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), ['image', 'digest', ...FACT_KEYS, 'platforms']);
    assert.equal(doc['image'], image.ref);
    assert.equal(doc['digest'], image.digest);
    assert.deepEqual(Object.keys(doc['user'] as object), ['configured', 'uid', 'gid', 'name']);
    const platforms = doc['platforms'] as Array<Record<string, unknown>>;
    assert.deepEqual(platforms.map((p) => p['platform']), ['linux/amd64', 'linux/arm64/v8']);
    for (const p of platforms) {
      assert.deepEqual(Object.keys(p), ['platform', 'digest', ...FACT_KEYS, 'scan']);
      assert.deepEqual(Object.keys(p['scan'] as object), ['layersTotal', 'layersRead', 'stoppedEarly']);
      assert.equal((p['scan'] as { stoppedEarly: boolean }).stoppedEarly, false, 'the CLI reads every layer');
    }
  });

  it('without --json prints a readable table', async () => {
    const image = seeded.get('distroless-static:nonroot');
    const { code, stdout } = await run([image.ref]);
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`Image: +${image.ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(stdout, /Distroless: +yes/);
    assert.match(stdout, /PLATFORM +DISTROLESS/);
    assert.match(stdout, /linux\/amd64 +yes/);
  });

  const failures: Array<[string, () => string[], number, RegExp]> = [
    ['a bad reference exits 2', () => ['Not/A/Valid:REF!'], 2, /invalid image reference/],
    ['no image exits 2', () => ['--json'], 2, /exactly one IMAGE/],
    ['an unknown flag exits 2', () => ['--bogus', 'x'], 2, /bogus/],
    ['a malformed timeout exits 2', () => ['--timeout', 'soon', 'x'], 2, /duration/],
    ['a malformed mirror exits 2', () => ['--mirror', 'gcr.io', 'x'], 2, /FROM=TO/],
    ['a malformed layer size exits 2', () => ['--max-layer-size', '2 gigs', 'x'], 2, /--max-layer-size 2 gigs is not a size/],
    [
      'a layer over --max-layer-size exits 1, naming the limit',
      () => ['--max-layer-size', '1Ki', `${registry.host}/distroless-static:nonroot`], 1,
      /more than 1024 decompressed bytes/,
    ],
    ['an unknown tag exits 1', () => [`${registry.host}/distroless-static:missing`], 1, /not-found/],
    ['an unreachable registry exits 1', () => ['127.0.0.1:1/x:latest'], 1, /unavailable/],
  ];
  for (const [name, args, want, pattern] of failures) {
    it(`${name}, with one line on stderr`, async () => {
      const { code, stdout, stderr } = await run(args());
      assert.equal(code, want, stderr);
      assert.equal(stdout, '');
      assert.equal(stderr.split('\n').filter((l) => l !== '').length, 1, stderr);
      assert.match(stderr, pattern);
    });
  }

  it('--timeout: a registry slower than it exits 1 with a timeout line, promptly', async () => {
    registry.proxy.setFault((r) => (r.method === 'HEAD' ? { delayMs: 2000 } : undefined));
    try {
      const t0 = performance.now();
      const { code, stderr } = await run(['--timeout', '300ms', seeded.get('distroless-static:nonroot').ref]);
      assert.equal(code, 1);
      assert.match(stderr, /timeout/);
      assert.ok(performance.now() - t0 < 1800, 'gave up before the 2 s delayed answer');
    } finally {
      registry.proxy.setFault(undefined);
    }
  });

  it('--mirror fetches from the mirror and reports the original reference', async () => {
    const { code, stdout, stderr } = await run(['--json', '--mirror', `gcr.io=${registry.host}`, 'gcr.io/distroless-static:nonroot']);
    assert.equal(code, 0, stderr);
    assert.equal((JSON.parse(stdout) as { image: string }).image, 'gcr.io/distroless-static:nonroot');
  });

  it('reads credentials from $DOCKER_CONFIG/config.json', async () => {
    const creds = basic.credentials;
    assert.ok(creds !== undefined);
    const ref = seededBasic.get('distroless-static:nonroot').ref;
    const denied = await run(['--json', ref]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /unauthorized/);
    const dir = await mkdtemp(join(tmpdir(), 'dg-docker-config-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [basic.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } }));
    const allowed = await run(['--json', ref], { DOCKER_CONFIG: dir });
    assert.equal(allowed.code, 0, allowed.stderr);
  });
});
