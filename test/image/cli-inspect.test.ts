/** `distroless-guard inspect` (runInspect called directly) against the real registry: output shapes and exit codes. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { runInspect } from '../../src/cli/inspect.js';
import { CATALOG, seedImages, type SeededCatalog } from '../support/images.js';
import { schemaErrors } from '../support/json-schemas.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { textSink } from '../support/text-sink.js';

async function run(args: string[], env: NodeJS.ProcessEnv = { HOME: '/nonexistent' }): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = textSink();
  const err = textSink();
  const code = await runInspect(args, { stdout: out.stream, stderr: err.stream, env });
  return { code, stdout: out.text(), stderr: err.text() };
}

const FACT_KEYS = ['shells', 'packageManagers', 'user', 'nonRoot', 'hasTmpDir', 'debugVariant', 'distroless', 'base', 'distribution', 'runtimes'];
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
      seedImages(
        { host: basic.host, ...(basic.credentials !== undefined ? { credentials: basic.credentials } : {}) },
        catalog.filter((e) => e.name === 'distroless-static:nonroot'),
      ),
    ]);
  });
  after(async () => {
    await Promise.all([registry.stop(), basic.stop()]);
  });

  it('-o json prints one InspectReport held to schemas/inspect-report.schema.json, and exits 0', async () => {
    const image = seeded.get('multiarch:latest');
    const { code, stdout, stderr } = await run(['-o', 'json', image.ref]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(schemaErrors.inspectReport(doc), []);
    assert.deepEqual(Object.keys(doc), ['apiVersion', 'kind', 'image', 'digest', ...FACT_KEYS, 'platforms']);
    assert.deepEqual([doc['apiVersion'], doc['kind']], ['distroless-guard.io/v1alpha1', 'InspectReport']);
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

  it('the old spellings --json and --format json, and -o yaml, print the same report', async () => {
    const image = seeded.get('distroless-static:nonroot');
    const json = await run(['-o', 'json', image.ref]);
    assert.equal(json.code, 0, json.stderr);
    for (const spelling of [['--json'], ['--format', 'json'], ['--output=json']])
      assert.equal((await run([...spelling, image.ref])).stdout, json.stdout, spelling.join(' '));
    const yaml = await run(['-o', 'yaml', image.ref]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(parseYaml(yaml.stdout), JSON.parse(json.stdout));
  });

  it('--platform inspects only the image a node of that platform pulls', async () => {
    const image = seeded.get('multiarch:latest');
    const arm = await run(['-o', 'json', '--platform', 'linux/arm64', image.ref]);
    assert.equal(arm.code, 0, arm.stderr);
    const doc = JSON.parse(arm.stdout) as { digest: string; platforms: { platform: string }[] };
    assert.deepEqual(schemaErrors.inspectReport(doc), []);
    assert.equal(doc.digest, image.digest, 'the digest stays the index the reference names');
    assert.deepEqual(doc.platforms.map((p) => p.platform), ['linux/arm64/v8']);
    const missing = await run(['--platform', 'linux/s390x', image.ref]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no linux\/s390x image \(it has linux\/amd64, linux\/arm64\/v8\) \[no-platform\]/);
    const single = await run(['--platform', 'linux/arm64', seeded.get('distroless-static:nonroot').ref]);
    assert.equal(single.code, 1);
    assert.match(single.stderr, /is a linux\/amd64 image, not linux\/arm64 \[no-platform\]/);
  });

  it('without -o prints a readable table', async () => {
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
    ['an unknown output format exits 2, naming the flag', () => ['-o', 'xml', 'x'], 2, /--output xml: expected one of table, json, yaml/],
    ['a malformed platform exits 2', () => ['--platform', 'arm64', 'x'], 2, /--platform arm64: expected OS\/ARCH/],
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
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { [basic.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } }),
    );
    const allowed = await run(['--json', ref], { DOCKER_CONFIG: dir });
    assert.equal(allowed.code, 0, allowed.stderr);
  });
});
