import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageFacts } from '../image/facts/types.js';
import type { FactsRequest, FactsSource } from '../review/facts-source.js';
import { sharedFacts, type FactsProgress } from './shared-facts.js';

const request = (image: string, namespace = 'shop', imagePullSecrets: string[] = []): FactsRequest => ({
  image,
  namespace,
  serviceAccount: 'default',
  imagePullSecrets,
});
const known = (digest: string) => ({ kind: 'known', facts: { digest } as ImageFacts }) as const;

/** A source that records calls and answers after a tick; images named "missing…" are unavailable. */
function recording(): { source: FactsSource; calls: string[]; running: () => number; peak: () => number } {
  const calls: string[] = [];
  let running = 0;
  let peak = 0;
  const source: FactsSource = async (r) => {
    calls.push(`${r.image}|${r.namespace}|${r.imagePullSecrets.join(',')}`);
    running++;
    peak = Math.max(peak, running);
    await sleep(5);
    running--;
    if (r.image.startsWith('missing')) return { kind: 'unavailable', reason: 'no such image' };
    return known(r.image.includes('@') ? r.image.slice(r.image.indexOf('@') + 1) : `sha256:${r.image}`);
  };
  return { source, calls, running: () => running, peak: () => peak };
}

describe('sharedFacts: one inspection per image, bounded', () => {
  it('asks the source once per image, however many objects and namespaces ask', async () => {
    const rec = recording();
    const shared = sharedFacts(rec.source, { concurrency: 4 });
    const signal = new AbortController().signal;
    await Promise.all([
      shared.source(request('a'), signal),
      shared.source(request('a', 'dev'), signal),
      shared.source(request('b'), signal),
      shared.source(request('a'), signal),
    ]);
    assert.deepEqual(rec.calls.sort(), ['a|shop|', 'b|shop|']);
  });

  it('with pull credentials in play, once per image and credentials (secrets in any order are the same)', async () => {
    const rec = recording();
    const shared = sharedFacts(rec.source, { concurrency: 4, perPullCredentials: true });
    const signal = new AbortController().signal;
    await Promise.all([
      shared.source(request('a', 'shop', ['x', 'y']), signal),
      shared.source(request('a', 'shop', ['y', 'x']), signal),
      shared.source(request('a', 'dev'), signal),
    ]);
    assert.deepEqual(rec.calls.sort(), ['a|dev|', 'a|shop|x,y']);
  });

  it('runs at most `concurrency` inspections at once', async () => {
    const rec = recording();
    const shared = sharedFacts(rec.source, { concurrency: 2 });
    const signal = new AbortController().signal;
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((i) => shared.source(request(i), signal)));
    assert.equal(rec.calls.length, 5);
    assert.equal(rec.peak(), 2);
  });

  it('counts distinct images, the digests they came to, and those unavailable; reports progress as images settle', async () => {
    const progress: FactsProgress[] = [];
    const shared = sharedFacts(recording().source, { concurrency: 4, onProgress: (p) => progress.push(p) });
    const signal = new AbortController().signal;
    const d = `sha256:${'1'.repeat(64)}`;
    await Promise.all([`repo:tag@${d}`, `repo@${d}`, 'other', 'missing:1'].map((i) => shared.source(request(i), signal)));
    assert.deepEqual(shared.tally(), { images: 4, digests: 2, unavailable: 1 });
    assert.deepEqual(progress.at(-1), { requested: 4, done: 4 });
    assert.ok(progress.some((p) => p.done < p.requested), 'progress before the end');
  });

  it('an inspection that cannot start before the deadline is unavailable, not a crash', async () => {
    const shared = sharedFacts(recording().source, { concurrency: 1 });
    const controller = new AbortController();
    const first = shared.source(request('a'), controller.signal);
    const second = shared.source(request('b'), controller.signal);
    controller.abort(new Error('deadline'));
    assert.equal((await first).kind, 'known');
    assert.deepEqual(await second, { kind: 'unavailable', reason: 'image inspection did not start before the deadline' });
  });
});
