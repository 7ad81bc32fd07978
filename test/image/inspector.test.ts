/**
 * The inspector against a real registry of its own (so request counts are exact): digest pinning, request economy,
 * single-flight, integrity failures, retries, deadlines with background completion, early stop, mirrors, persistence.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createImageInspector, InspectError, type InspectErrorCode } from '../../src/image/inspector.js';
import { buildImage, buildLayer } from '../support/image-builder.js';
import { CATALOG, seedImages, type CatalogEntry, type ExpectedFacts, type SeededCatalog, type SeededImage } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { shellsTree } from '../support/rootfs.js';
import { dir } from '../support/tree.js';
import { comparable } from './compare.js';

const NAMES = [
  'distroless-static:nonroot',
  'distroless-static:debug',
  'multiarch:latest',
  'debian-full:12',
  'layered-deletions:latest',
  'shell-and-tmp:latest',
];

/** Only for early stop: a top layer with a shell (and /tmp) over the distroless base. */
const SHELL_AND_TMP_FACTS = {
  shells: ['/usr/bin/bash', '/usr/bin/dash', '/usr/bin/rbash', '/usr/bin/sh'],
  packageManagers: [],
  user: { configured: '65532', uid: 65532, gid: 65532, name: 'nonroot' },
  nonRoot: true,
  hasTmpDir: true,
  debugVariant: false,
  distroless: false,
  base: 'Distroless',
  distribution: { id: 'debian', versionId: '12' },
  runtimes: [],
};
const SHELL_AND_TMP: CatalogEntry = {
  name: 'shell-and-tmp:latest',
  repository: 'shell-and-tmp',
  tag: 'latest',
  about: 'dash and bash with their own /tmp in the top layer',
  expected: { ...SHELL_AND_TMP_FACTS, platforms: [{ platform: 'linux/amd64', ...SHELL_AND_TMP_FACTS }] },
  build: async (shared) =>
    buildImage({
      layers: [await shared.distrolessBase(), await buildLayer({ entries: [dir('tmp', 0o1777), ...(await shellsTree())] })],
      config: { User: '65532' },
    }),
};
const minute = (): AbortSignal => AbortSignal.timeout(60_000);
const isCode = (code: InspectErrorCode) => (err: unknown) => {
  assert.ok(err instanceof InspectError, `expected InspectError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return true;
};

interface ManifestJson {
  readonly manifests?: ReadonlyArray<{ readonly digest: string; readonly platform?: { readonly os: string; readonly architecture: string } }>;
  readonly layers?: ReadonlyArray<{ readonly digest: string; readonly size: number }>;
  readonly config?: { readonly digest: string; readonly size: number };
}

describe('image inspector against a real registry', () => {
  let registry: TestRegistry;
  let seeded: SeededCatalog;
  const image = (name: string): SeededImage => seeded.get(name);
  /**
   * What a clean inspection (fresh inspector, no fault) yields: these tests prove I/O behaviour, so they compare with
   * it; whether those facts match the catalog is test/image/catalog.test.ts's business.
   */
  const baselines = new Map<string, ExpectedFacts>();
  const baseline = (name: string): ExpectedFacts => {
    const facts = baselines.get(name);
    assert.ok(facts !== undefined, `no baseline for ${name}`);
    return facts;
  };

  /** GET a manifest straight from the registry (not through the proxy, so counts stay clean). */
  async function manifestJson(repository: string, reference: string): Promise<ManifestJson> {
    const r = await fetch(`http://${registry.directHost}/v2/${repository}/manifests/${reference}`, {
      headers: {
        accept:
          'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, ' +
          'application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json',
      },
    });
    assert.equal(r.status, 200);
    return (await r.json()) as ManifestJson;
  }

  const blobGets = (): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const r of registry.requests({ method: 'GET', path: /\/blobs\/sha256:/ })) counts.set(r.path, (counts.get(r.path) ?? 0) + 1);
    return counts;
  };

  before(async () => {
    registry = await startRegistry();
    seeded = await seedImages(registry, [...CATALOG.filter((e) => NAMES.includes(e.name)), SHELL_AND_TMP]);
    const clean = createImageInspector();
    for (const name of NAMES) baselines.set(name, comparable(await clean.inspect(seeded.get(name).pinned, { signal: minute() })));
  });
  after(async () => registry.stop());
  beforeEach(() => {
    registry.proxy.reset();
    registry.proxy.setFault(undefined);
  });

  it('a pinned digest needs no HEAD, and a second inspect of a known digest no request at all', async () => {
    const inspector = createImageInspector();
    const img = image('distroless-static:nonroot');
    const facts = await inspector.inspect(img.pinned, { signal: minute() });
    assert.deepEqual(comparable(facts), baseline(img.entry.name));
    assert.equal(registry.proxy.count({ method: 'HEAD' }), 0);
    registry.proxy.reset();
    await inspector.inspect(img.pinned, { signal: minute() });
    assert.equal(registry.proxy.count(), 0);
  });

  it('known(): the complete facts of a pinned reference once inspected, from memory; a tag only while fresh; never an early-stopped scan', async () => {
    const inspector = createImageInspector();
    const img = image('multiarch:latest');
    assert.equal(inspector.known(img.pinned), undefined);
    const facts = await inspector.inspect(img.pinned, { signal: minute() });
    registry.proxy.reset();
    assert.equal(inspector.known(img.pinned), facts);
    const tagged = await inspector.inspect(img.ref, { signal: minute() });
    assert.equal(inspector.known(img.ref), tagged, 'a tag within its TTL, with the access it was resolved with');
    const untimed = createImageInspector({ tagTtlMs: 0 });
    await untimed.inspect(img.ref, { signal: minute() });
    assert.equal(untimed.known(img.ref), undefined, 'with --tag-ttl 0 a tag is resolved on every admission');
    const shell = image('shell-and-tmp:latest');
    const early = await inspector.inspect(shell.pinned, { signal: minute(), earlyStop: true });
    assert.equal(early.platforms[0]?.scan.stoppedEarly, true);
    assert.equal(inspector.known(shell.pinned), undefined, 'an early-stopped scan is not the whole image');
    assert.equal(registry.proxy.count({ method: 'HEAD' }), 2, 'one per inspector: the tag cache is per inspector');
  });

  it('a second inspect of a tag whose digest is known costs nothing within the tag TTL', async () => {
    const inspector = createImageInspector();
    const img = image('multiarch:latest');
    await inspector.inspect(img.ref, { signal: minute() });
    registry.proxy.reset();
    const facts = await inspector.inspect(img.ref, { signal: minute() });
    assert.deepEqual(comparable(facts), baseline(img.entry.name));
    assert.deepEqual(registry.proxy.requests().map((r) => `${r.method} ${r.path}`), []);
  });

  it('with a tag TTL of 0 a second inspect of a known tag costs one HEAD and nothing else', async () => {
    const inspector = createImageInspector({ tagTtlMs: 0 });
    const img = image('multiarch:latest');
    await inspector.inspect(img.ref, { signal: minute() });
    registry.proxy.reset();
    const facts = await inspector.inspect(img.ref, { signal: minute() });
    assert.deepEqual(comparable(facts), baseline(img.entry.name));
    assert.deepEqual(registry.proxy.requests().map((r) => `${r.method} ${r.path}`), [`HEAD /v2/multiarch/manifests/latest`]);
  });

  it('a tag and a digest together: the digest wins', async () => {
    const inspector = createImageInspector();
    const debug = image('distroless-static:debug');
    const facts = await inspector.inspect(`${registry.host}/distroless-static:nonroot@${debug.digest}`, { signal: minute() });
    assert.deepEqual(comparable(facts), baseline(debug.entry.name));
    assert.equal(registry.proxy.count({ method: 'HEAD' }), 0);
  });

  it('a digest the repository does not have is refused as not-found', async () => {
    const inspector = createImageInspector();
    await assert.rejects(inspector.inspect(`${registry.host}/distroless-static@sha256:${'0'.repeat(64)}`, { signal: minute() }), isCode('not-found'));
  });

  it('an unknown tag and an unknown repository are not-found, naming the registry', async () => {
    const inspector = createImageInspector();
    await assert.rejects(
      inspector.inspect(`${registry.host}/distroless-static:nope`, { signal: minute() }),
      (e: unknown) => isCode('not-found')(e) && (e as InspectError).registry === registry.host,
    );
    await assert.rejects(inspector.inspect(`${registry.host}/no-such-repo:latest`, { signal: minute() }), isCode('not-found'));
  });

  it('a manifest whose bytes do not hash to its digest is refused', async () => {
    const inspector = createImageInspector();
    const img = image('distroless-static:nonroot');
    const body = JSON.stringify(await manifestJson('distroless-static', img.digest), null, 1);
    registry.proxy.setFault((r) =>
      r.method === 'GET' && r.path.endsWith(`/manifests/${img.digest}`) ? { status: 200, body, headers: { 'content-type': img.mediaType } } : undefined,
    );
    await assert.rejects(inspector.inspect(img.ref, { signal: minute() }), isCode('digest-mismatch'));
  });

  it('an OCI index: only linux platforms are read, attestation manifests never fetched', async () => {
    const inspector = createImageInspector();
    const img = image('multiarch:latest');
    const index = await manifestJson('multiarch', img.digest);
    const attestations = (index.manifests ?? []).filter((m) => m.platform?.os === 'unknown').map((m) => m.digest);
    assert.ok(attestations.length > 0, 'the catalog index carries attestations');
    const facts = await inspector.inspect(img.ref, { signal: minute() });
    assert.deepEqual(facts.platforms.map((p) => p.platform), ['linux/amd64', 'linux/arm64/v8']);
    for (const digest of attestations) assert.equal(registry.proxy.count({ path: `/v2/multiarch/manifests/${digest}` }), 0);
  });

  it('50 concurrent inspects of one uncached image fetch each blob and manifest exactly once', async () => {
    const inspector = createImageInspector();
    const img = image('debian-full:12');
    const all = await Promise.all(Array.from({ length: 50 }, () => inspector.inspect(img.ref, { signal: minute() })));
    for (const facts of all) assert.deepEqual(comparable(facts), baseline(img.entry.name));
    const counts = blobGets();
    assert.ok(counts.size >= 2, 'config and layers were fetched');
    for (const [path, n] of counts) assert.equal(n, 1, `${path} fetched ${n} times`);
    assert.equal(registry.proxy.count({ method: 'GET', path: `/v2/debian-full/manifests/${img.digest}` }), 1);
    assert.equal(registry.proxy.count({ method: 'HEAD' }), 1, 'the tag is resolved once for all 50 (single-flight, then the tag TTL)');
  });

  for (const [name, fault, code] of [
    ['a layer whose bytes do not match its digest fails as digest-mismatch and nothing of it is cached', 'corrupt', 'digest-mismatch'],
    ['a layer cut short fails as truncated and nothing of it is cached', 'truncate', 'truncated'],
  ] as const) {
    it(name, async () => {
      const inspector = createImageInspector({ retry: { attempts: 1 } });
      const img = image('distroless-static:debug');
      const m = await manifestJson('distroless-static', img.digest);
      const top = m.layers?.at(-1);
      assert.ok(top !== undefined);
      const path = `/v2/distroless-static/blobs/${top.digest}`;
      registry.proxy.setFault((r) =>
        r.method === 'GET' && r.path === path
          ? fault === 'corrupt'
            ? { status: 200, body: 'x'.repeat(top.size), headers: { 'content-type': 'application/octet-stream' } }
            : { truncateAfterBytes: Math.floor(top.size / 2) }
          : undefined,
      );
      await assert.rejects(inspector.inspect(img.ref, { signal: minute() }), isCode(code));
      await inspector.idle();
      const before = inspector.stats().cache.entries;
      registry.proxy.setFault(undefined);
      registry.proxy.reset();
      const facts = await inspector.inspect(img.ref, { signal: minute() });
      assert.deepEqual(comparable(facts), baseline(img.entry.name));
      assert.equal(registry.proxy.count({ method: 'GET', path }), 1, 'the bad layer was not cached: fetched again');
      assert.ok(inspector.stats().cache.entries > before);
    });
  }

  it('a config blob that does not match its digest is refused', async () => {
    const inspector = createImageInspector();
    const img = image('distroless-static:nonroot');
    const m = await manifestJson('distroless-static', img.digest);
    const config = m.config;
    assert.ok(config !== undefined);
    registry.proxy.setFault((r) =>
      r.method === 'GET' && r.path.endsWith(config.digest) ? { status: 200, body: '{' + ' '.repeat(config.size - 2) + '}' } : undefined,
    );
    await assert.rejects(inspector.inspect(img.ref, { signal: minute() }), isCode('digest-mismatch'));
  });

  it('a 503 with Retry-After and a reset connection are retried', async () => {
    const inspector = createImageInspector({ retry: { baseDelayMs: 10 } });
    const img = image('distroless-static:nonroot');
    registry.proxy.setFault((r) => {
      if (r.method === 'HEAD' && r.nth === 1) return { status: 503, headers: { 'retry-after': '0' } };
      if (r.method === 'GET' && r.path.includes('/blobs/') && r.nth === 1) return { reset: true };
      return undefined;
    });
    const facts = await inspector.inspect(img.ref, { signal: minute() });
    assert.deepEqual(comparable(facts), baseline(img.entry.name));
    assert.equal(registry.proxy.count({ method: 'HEAD' }), 2);
  });

  it('a registry slower than the deadline: timeout within the deadline, the started scans land in the cache', async () => {
    const inspector = createImageInspector();
    const img = image('distroless-static:nonroot');
    const layers = new Set((await manifestJson('distroless-static', img.digest)).layers?.map((l) => `/v2/distroless-static/blobs/${l.digest}`));
    registry.proxy.setFault((r) => (r.method === 'GET' && layers.has(r.path) && r.nth === 1 ? { delayMs: 1500 } : undefined));
    const deadlineMs = 400;
    const t0 = performance.now();
    await assert.rejects(inspector.inspect(img.ref, { signal: AbortSignal.timeout(deadlineMs), deadline: Date.now() + deadlineMs }), isCode('timeout'));
    const took = performance.now() - t0;
    assert.ok(took < deadlineMs + 250, `rejected after ${took.toFixed(0)} ms`);
    await inspector.idle();
    registry.proxy.reset();
    const facts = await inspector.inspect(img.ref, { signal: minute() });
    assert.deepEqual(comparable(facts), baseline(img.entry.name));
    assert.equal(registry.proxy.count({ method: 'GET' }), 0, `answered from cache: ${registry.proxy.requests().map((r) => r.path).join(' ')}`);
  });

  it('early stop reads only the top layers of an image whose top layer settles every question, and never caches those partial facts', async () => {
    const inspector = createImageInspector({ earlyStop: true });
    const img = image('shell-and-tmp:latest');
    const m = await manifestJson('shell-and-tmp', img.digest);
    const layers = m.layers ?? [];
    assert.ok(layers.length >= 2);
    const first = await inspector.inspect(img.ref, { signal: minute() });
    const scan = first.platforms[0]?.scan;
    assert.deepEqual(scan, { layersTotal: layers.length, layersRead: 1, stoppedEarly: true });
    assert.deepEqual(first.shells, baseline(img.entry.name).shells);
    assert.equal(first.hasTmpDir, true);
    await inspector.idle();
    // Not cached as facts: an early-stop inspect again folds from cached layers (no blob GET) and stops early again.
    registry.proxy.reset();
    const again = await inspector.inspect(img.ref, { signal: minute() });
    assert.equal(again.platforms[0]?.scan.stoppedEarly, true);
    assert.equal(blobGets().size, 0);
    // A full inspect reads the rest and yields complete facts.
    const full = await inspector.inspect(img.ref, { signal: minute(), earlyStop: false });
    assert.deepEqual(comparable(full), baseline(img.entry.name));
    assert.deepEqual(full.platforms[0]?.scan, { layersTotal: layers.length, layersRead: layers.length, stoppedEarly: false });
    // ...which is cached, and then serves early-stop callers too.
    const after = await inspector.inspect(img.ref, { signal: minute() });
    assert.equal(after.platforms[0]?.scan.stoppedEarly, false);
  });

  it('early stop ends at the layer holding the shell: distroless :debug has /tmp only below it, so hasTmpDir is unknown', async () => {
    const img = image('distroless-static:debug');
    const inspector = createImageInspector({ earlyStop: true });
    const facts = await inspector.inspect(img.ref, { signal: minute() });
    const layersTotal = (await manifestJson('distroless-static', img.digest)).layers?.length ?? 0;
    assert.ok(layersTotal > 1);
    assert.deepEqual(facts.platforms[0]?.scan, { layersTotal, layersRead: 1, stoppedEarly: true });
    assert.deepEqual(facts.shells, baseline(img.entry.name).shells);
    assert.equal(facts.hasTmpDir, null);
    const full = await inspector.inspect(img.ref, { signal: minute(), earlyStop: false });
    assert.equal(full.hasTmpDir, true);
    assert.deepEqual(comparable(full), baseline(img.entry.name));
  });

  it('a mirror serves the image while the facts name the original reference', async () => {
    const inspector = createImageInspector({ mirrors: { 'gcr.io': registry.host } });
    const facts = await inspector.inspect('gcr.io/distroless-static:nonroot', { signal: minute() });
    assert.equal(facts.image, 'gcr.io/distroless-static:nonroot');
    assert.deepEqual(comparable(facts), baseline('distroless-static:nonroot'));
    assert.ok(registry.proxy.count({ method: 'HEAD', path: '/v2/distroless-static/manifests/nonroot' }) === 1);
  });

  it('a cache directory lets a new inspector answer without scanning again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-inspector-cache-'));
    const img = image('layered-deletions:latest');
    const first = createImageInspector({ cacheDir: dir });
    await first.inspect(img.ref, { signal: minute() });
    await first.idle();
    registry.proxy.reset();
    const second = createImageInspector({ cacheDir: dir });
    const facts = await second.inspect(img.ref, { signal: minute() });
    assert.deepEqual(comparable(facts), baseline(img.entry.name));
    assert.deepEqual(registry.proxy.requests().map((r) => r.method), ['HEAD']);
  });

  it('a refused connection is unavailable, quickly', async () => {
    const inspector = createImageInspector();
    const t0 = performance.now();
    await assert.rejects(inspector.inspect('127.0.0.1:1/x:latest', { signal: minute() }), isCode('unavailable'));
    assert.ok(performance.now() - t0 < 2000);
  });

  it('an aborted signal before the call is a timeout, with no request', async () => {
    const inspector = createImageInspector();
    const c = new AbortController();
    c.abort(new Error('already'));
    await assert.rejects(inspector.inspect(image('distroless-static:nonroot').ref, { signal: c.signal }), isCode('timeout'));
    assert.equal(registry.proxy.count(), 0);
    await sleep(1);
  });
});
