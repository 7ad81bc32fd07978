import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from '../registry/errors.js';
import type { ResolvedTag } from '../registry/client.js';
import { TagCache, type TagResolutionResult } from './tag-cache.js';

const TTL = 60_000;
const MAX_STALE = 3_600_000;
const never = new AbortController().signal;
const outage = (): RegistryError => new RegistryError('unavailable', 'reg.example', 'cannot reach reg.example for tag 1 of reg.example/app');

/** A cache on a clock the test moves, and a registry whose next answers the test scripts. */
function harness(options: { ttlMs?: number } = {}) {
  let now = 1_000_000;
  const results: TagResolutionResult[] = [];
  const answers: Array<() => Promise<ResolvedTag>> = [];
  let calls = 0;
  const cache = new TagCache({ ttlMs: options.ttlMs ?? TTL, maxStaleMs: MAX_STALE, now: () => now, onResult: (r) => results.push(r) });
  const resolver = (): Promise<ResolvedTag> => {
    calls++;
    const next = answers.shift();
    if (next === undefined) throw new Error('the registry was asked more often than the test expected');
    return next();
  };
  return {
    resolve: (key = 'reg.example/app|anonymous:1') => cache.resolve(key, 'reg.example', resolver, never),
    peek: (key = 'reg.example/app|anonymous:1') => cache.peek(key),
    answer: (digest: string) => answers.push(() => Promise.resolve({ digest })),
    fail: (error: RegistryError) => answers.push(() => Promise.reject(error)),
    advance: (ms: number) => (now += ms),
    calls: () => calls,
    results,
    settle: () => new Promise((r) => setImmediate(r)),
  };
}


/** A tag resolved as sha256:a, then past its TTL with the registry down: its first failed refresh has been answered. */
async function harnessInOutage(): Promise<ReturnType<typeof harness>> {
  const h = harness();
  h.answer('sha256:a');
  await h.resolve();
  h.advance(TTL + 1);
  h.fail(outage());
  await h.resolve();
  return h;
}
describe('tag cache: a resolved tag serves for its TTL, keyed by access', () => {
  it('the first resolution asks the registry; later ones within the TTL do not', async () => {
    const h = harness();
    h.answer('sha256:a');
    assert.deepEqual(await h.resolve(), { digest: 'sha256:a' });
    h.advance(30_000);
    assert.deepEqual(await h.resolve(), { digest: 'sha256:a' });
    assert.equal(h.calls(), 1);
    assert.deepEqual(h.results, ['miss', 'hit']);
  });

  it('another access (another credential) resolves on its own', async () => {
    const h = harness();
    h.answer('sha256:a');
    h.answer('sha256:a');
    await h.resolve('reg.example/app|anonymous:1');
    await h.resolve('reg.example/app|5f2c…:1');
    assert.equal(h.calls(), 2);
  });

  it('a tag in use is refreshed in the background before it expires: the caller does not wait', async () => {
    const h = harness();
    h.answer('sha256:a');
    await h.resolve();
    h.advance(TTL * 0.85);
    h.answer('sha256:b');
    assert.deepEqual(await h.resolve(), { digest: 'sha256:a' }, 'answered from memory');
    await h.settle();
    h.advance(TTL * 0.5);
    assert.deepEqual(await h.resolve(), { digest: 'sha256:b' }, 'the refresh landed');
    assert.deepEqual(h.results, ['miss', 'hit', 'hit']);
  });

  it('peek answers a fresh resolution synchronously, and nothing once a refresh is due or an outage is known', async () => {
    const h = harness();
    assert.equal(h.peek(), undefined);
    h.answer('sha256:a');
    await h.resolve();
    assert.equal(h.peek(), 'sha256:a');
    h.advance(TTL * 0.85);
    assert.equal(h.peek(), undefined, 'a refresh is due: resolve() starts it');
  });

  it('an expired tag is asked again (refresh)', async () => {
    const h = harness();
    h.answer('sha256:a');
    await h.resolve();
    h.advance(TTL + 1);
    h.answer('sha256:b');
    assert.deepEqual(await h.resolve(), { digest: 'sha256:b' });
    assert.deepEqual(h.results, ['miss', 'refresh']);
  });

  it('--tag-ttl 0 asks the registry every time', async () => {
    const h = harness({ ttlMs: 0 });
    h.answer('sha256:a');
    h.answer('sha256:b');
    await h.resolve();
    assert.deepEqual(await h.resolve(), { digest: 'sha256:b' });
    assert.equal(h.calls(), 2);
  });
});

describe('tag cache: registry outages', () => {
  it('an outage at refresh serves the last digest, marked stale with the reason', async () => {
    const h = harness();
    h.answer('sha256:a');
    await h.resolve();
    h.advance(TTL + 1);
    h.fail(outage());
    const got = await h.resolve();
    assert.equal(got.digest, 'sha256:a');
    assert.equal(got.stale?.resolvedAt, 1_000_000);
    assert.match(got.stale?.reason ?? '', /cannot reach reg\.example/);
    assert.deepEqual(h.results, ['miss', 'error', 'stale']);
  });

  it('after the first failed refresh nobody waits on the registry: stale at once, retries in the background', async () => {
    const h = await harnessInOutage();
    const before = h.calls();
    h.advance(1_000);
    await h.resolve(); // within the retry interval: not even a background call
    assert.equal(h.calls(), before);
    h.advance(10_000);
    h.fail(outage());
    assert.ok((await h.resolve()).stale !== undefined, 'answered stale while a background retry runs');
    await h.settle();
    assert.equal(h.calls(), before + 1);
  });

  it('the registry back: the next refresh clears the outage', async () => {
    const h = await harnessInOutage();
    h.advance(10_000);
    h.answer('sha256:b');
    await h.resolve();
    await h.settle();
    assert.deepEqual(await h.resolve(), { digest: 'sha256:b' });
  });

  it('past max-stale the outage is an error again (failurePolicy decides)', async () => {
    const h = await harnessInOutage();
    h.advance(MAX_STALE);
    await assert.rejects(h.resolve(), (e: unknown) => e instanceof RegistryError && e.code === 'unavailable' && /past the allowed staleness/.test(e.message));
  });

  for (const [code, status] of [['not-found', 404], ['unauthorized', 401], ['unauthorized', 403]] as const) {
    it(`a ${status} at refresh is no outage: the entry goes and the error stands`, async () => {
      const h = harness();
      h.answer('sha256:a');
      await h.resolve();
      h.advance(TTL + 1);
      h.fail(new RegistryError(code, 'reg.example', `refused (${status})`, { status }));
      await assert.rejects(h.resolve(), (e: unknown) => e instanceof RegistryError && e.code === code);
      h.answer('sha256:c');
      assert.deepEqual(await h.resolve(), { digest: 'sha256:c' }, 'asked again: nothing remembered');
    });
  }

  it('a 404 in a background refresh removes the entry too', async () => {
    const h = harness();
    h.answer('sha256:a');
    await h.resolve();
    h.advance(TTL * 0.9);
    h.fail(new RegistryError('not-found', 'reg.example', 'gone (404)', { status: 404 }));
    await h.resolve();
    await h.settle();
    h.answer('sha256:z');
    assert.deepEqual(await h.resolve(), { digest: 'sha256:z' });
  });
});
