/**
 * Tag resolution kept off the warm path, end to end: the real registry behind the fault proxy, `serve` judging
 * tag-referenced pods. A TTL hit asks the registry nothing; a tag in use is refreshed in the background; during an
 * outage (503 on everything) already-judged tags keep their verdicts with a warning and an audit annotation, and no
 * admission waits on the registry beyond the first failed refresh; past max-stale, failurePolicy decides; a 404 or
 * 401 invalidates at once; --tag-ttl 0 asks every time. Credentials scope a resolution: a caller without the pull
 * secret never rides on another's.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createImageInspector } from '../../src/image/inspector.js';
import { InspectError } from '../../src/image/inspect-error.js';
import { CATALOG, seedImages, type SeededCatalog } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { podReview } from '../support/reviews.js';
import { startTestServer, type TestServer } from '../support/serve-fixture.js';
import { strictPolicy } from '../support/policies.js';

const POLICY = strictPolicy({ privilegeEscalation: false });
const TTL_S = 2;
const MAX_STALE_S = 4;

type Answer = { allowed: boolean; status?: { message: string }; warnings?: string[]; auditAnnotations?: Record<string, string> };

let registry: TestRegistry;
let seeded: SeededCatalog;
let server: TestServer;

before(async () => {
  registry = await startRegistry();
  seeded = await seedImages(
    registry,
    CATALOG.filter((e) => ['debian-full:12', 'distroless-static:nonroot', 'distroless-static:debug', 'distroless-static:latest'].includes(e.name)),
  );
  server = await startTestServer({ policy: POLICY, args: ['--tag-ttl', `${TTL_S}s`, '--tag-max-stale', `${MAX_STALE_S}s`] });
});

after(async () => {
  await server?.close();
  await registry?.stop();
});

async function admit(image: string, target: TestServer = server): Promise<{ answer: Answer; ms: number }> {
  const started = performance.now();
  const reply = await target.client.post('/validate?timeout=10s', JSON.stringify(podReview({ containers: [{ name: 'app', image }] })));
  assert.equal(reply.status, 200, reply.body);
  return { answer: (reply.json as { response: Answer }).response, ms: performance.now() - started };
}

const heads = (repository: string): number => registry.requests({ method: 'HEAD', path: new RegExp(`^/v2/${repository}/manifests/`) }).length;
const text = (a: Answer): string => [a.status?.message ?? '', ...(a.warnings ?? [])].join('\n');

describe('tag resolution cache through serve', () => {
  it('within the TTL a tag costs no registry request; a tag in use is refreshed in the background', async () => {
    const image = seeded.get('distroless-static:nonroot');
    const before = heads('distroless-static');
    assert.equal((await admit(image.ref)).answer.allowed, true);
    assert.equal((await admit(image.ref)).answer.allowed, true);
    assert.equal(heads('distroless-static') - before, 1, 'one HEAD for two admissions');
    await sleep(TTL_S * 1000 * 0.85);
    const { answer, ms } = await admit(image.ref);
    assert.equal(answer.allowed, true);
    assert.ok(ms < 500, `answered from memory (${ms.toFixed(0)} ms)`);
    await sleep(300);
    assert.equal(heads('distroless-static') - before, 2, 'the background refresh asked once');
  });

  it('outage: judged tags keep their verdicts with the warning, and nobody waits after the first failed refresh', async () => {
    const shell = seeded.get('debian-full:12').ref;
    const clean = seeded.get('distroless-static:nonroot').ref;
    assert.equal((await admit(shell)).answer.allowed, false);
    assert.equal((await admit(clean)).answer.allowed, true);
    await sleep(TTL_S * 1000 + 100);
    registry.proxy.setFault(() => ({ status: 503 }));
    try {
      const first = await admit(shell);
      assert.equal(first.answer.allowed, false, 'the shell image is still denied');
      assert.match(text(first.answer), /\[strict\/noShell\] container "app"/);
      assert.match(text(first.answer), /registry unreachable: \S+debian-full:12 judged as sha256:[0-9a-f]{12}… resolved \d+s ago/);
      assert.match(first.answer.auditAnnotations?.['stale-tag'] ?? '', /debian-full:12 as sha256:[0-9a-f]{64} \(resolved \S+; .*the registry failed \(503\)/);
      const cleanAgain = await admit(clean);
      assert.equal(cleanAgain.answer.allowed, true, 'the clean image is still allowed');
      assert.ok((cleanAgain.answer.warnings ?? []).some((w) => /registry unreachable/.test(w) && w.length <= 120), JSON.stringify(cleanAgain.answer.warnings));
      for (let i = 0; i < 5; i++) {
        const { answer, ms } = await admit(shell);
        assert.equal(answer.allowed, false);
        assert.ok(ms < 200, `no wait on the registry during the outage (${ms.toFixed(0)} ms)`);
      }
      await sleep(MAX_STALE_S * 1000);
      const expired = await admit(shell);
      assert.equal(expired.answer.allowed, false);
      assert.match(text(expired.answer), /could not inspect image: .*past the allowed staleness/);
    } finally {
      registry.proxy.setFault(undefined);
      await registry.proxy.lift();
    }
  });

  for (const [status, says] of [[404, /does not exist \(404\)/], [401, /refused/]] as const) {
    it(`a ${status} at refresh is no outage: the tag is not judged on its old digest`, async () => {
      const image = seeded.get(status === 404 ? 'distroless-static:debug' : 'distroless-static:latest').ref;
      await admit(image);
      await sleep(TTL_S * 1000 + 100);
      registry.proxy.setFault((r) => (r.method === 'HEAD' ? { status } : undefined));
      try {
        const { answer } = await admit(image);
        assert.equal(answer.allowed, false);
        assert.match(text(answer), says);
        assert.doesNotMatch(text(answer), /registry unreachable/);
      } finally {
        registry.proxy.setFault(undefined);
        await registry.proxy.lift();
      }
    });
  }

  it('--tag-ttl 0 asks the registry on every admission (the behaviour before the cache)', async () => {
    const uncached = await startTestServer({ policy: POLICY, args: ['--tag-ttl', '0'] });
    try {
      const image = seeded.get('distroless-static:nonroot').ref;
      const before = heads('distroless-static');
      for (let i = 0; i < 3; i++) await admit(image, uncached);
      assert.equal(heads('distroless-static') - before, 3);
    } finally {
      await uncached.close();
    }
  });
});

describe('tag resolutions are scoped by credentials', () => {
  let privateRegistry: TestRegistry;
  let privateImage: string;

  before(async () => {
    privateRegistry = await startRegistry({ auth: 'basic' });
    const user = privateRegistry.credentials;
    assert.ok(user !== undefined);
    const catalog = await seedImages({ host: privateRegistry.host, credentials: user }, CATALOG.filter((e) => e.name === 'distroless-static:nonroot'));
    privateImage = catalog.get('distroless-static:nonroot').ref;
  });
  after(async () => privateRegistry?.stop());

  it('a fresh tag is answered from memory (no promise) only with the credentials it was resolved with', async () => {
    const user = privateRegistry.credentials;
    assert.ok(user !== undefined);
    const inspector = createImageInspector({ tagTtlMs: 60_000 });
    assert.equal(inspector.known(privateImage, () => user), undefined, 'nothing known before the first inspection');
    const facts = await inspector.inspect(privateImage, { signal: AbortSignal.timeout(10_000), credentials: () => user });
    assert.equal(inspector.known(privateImage, () => user)?.digest, facts.digest);
    assert.equal(inspector.known(privateImage), undefined, 'anonymous: another access, not answered from memory');
    assert.equal(inspector.known(privateImage, () => ({ username: 'someone', password: 'else' })), undefined);
  });

  it('a pod with the pull secret resolves; a pod without it is refused within the TTL all the same', async () => {
    const user = privateRegistry.credentials;
    assert.ok(user !== undefined);
    const inspector = createImageInspector({ tagTtlMs: 60_000 });
    const withSecret = await inspector.inspect(privateImage, { signal: AbortSignal.timeout(10_000), credentials: () => user });
    assert.match(withSecret.digest, /^sha256:/);
    await assert.rejects(
      inspector.inspect(privateImage, { signal: AbortSignal.timeout(10_000) }),
      (e: unknown) => e instanceof InspectError && e.code === 'unauthorized',
    );
  });
});
