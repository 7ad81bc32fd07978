import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LayerIndex } from '../layers/types.js';
import { CACHE_FORMAT_VERSION, createDigestCache } from './digest-cache.js';
import { Limiter } from '../../shared/limiter.js';
import { LruCache } from './lru.js';
import { SingleFlight } from './single-flight.js';

const never = new AbortController().signal;
const digest = (c: string): string => `sha256:${c.repeat(64)}`;
const layer = (d: string): LayerIndex => ({ digest: d, entries: [{ path: '/bin/sh', kind: 'file', mode: 0o755 }], whiteouts: [], opaqueDirs: [], files: {} });

describe('LruCache', () => {
  it('gives a hit entry one second chance at eviction, and no more without another hit', () => {
    const lru = new LruCache<number>({ maxEntries: 3, maxBytes: 100 });
    for (const key of ['a', 'b', 'c']) lru.set(key, 0, 1);
    assert.equal(lru.get('a'), 0);
    lru.set('d', 0, 1);
    assert.deepEqual([...lru.keys()], ['c', 'd', 'a'], 'b, the least recently used, went; a moved behind');
    lru.set('e', 0, 1);
    lru.set('f', 0, 1);
    assert.deepEqual([...lru.keys()], ['a', 'e', 'f']);
    lru.set('g', 0, 1);
    assert.deepEqual([...lru.keys()], ['e', 'f', 'g'], 'a was not used again');
  });

  it('evicts when every entry was hit (each gets its chance, then the oldest goes)', () => {
    const lru = new LruCache<number>({ maxEntries: 2, maxBytes: 100 });
    lru.set('a', 1, 1);
    lru.set('b', 2, 1);
    lru.get('a');
    lru.get('b');
    lru.set('c', 3, 1);
    assert.deepEqual([...lru.keys()], ['b', 'c']);
  });

  it('evicts the least recently used entry past the entry bound', () => {
    const lru = new LruCache<number>({ maxEntries: 2, maxBytes: 100 });
    lru.set('a', 1, 1);
    lru.set('b', 2, 1);
    lru.get('a');
    lru.set('c', 3, 1);
    assert.deepEqual([...lru.keys()].sort(), ['a', 'c']);
  });
  it('evicts oldest entries until the byte bound holds', () => {
    const lru = new LruCache<number>({ maxEntries: 10, maxBytes: 10 });
    lru.set('a', 1, 4);
    lru.set('b', 2, 4);
    lru.set('c', 3, 4);
    assert.deepEqual([...lru.keys()], ['b', 'c']);
    assert.equal(lru.bytes, 8);
  });
  it('does not keep a value larger than the whole budget', () => {
    const lru = new LruCache<number>({ maxEntries: 10, maxBytes: 10 });
    lru.set('a', 1, 4);
    lru.set('huge', 2, 11);
    assert.deepEqual([...lru.keys()], ['a']);
  });
  it('replacing a key updates the byte count', () => {
    const lru = new LruCache<number>({ maxEntries: 10, maxBytes: 10 });
    lru.set('a', 1, 4);
    lru.set('a', 2, 6);
    assert.equal(lru.bytes, 6);
    assert.equal(lru.get('a'), 2);
  });
});

describe('SingleFlight', () => {
  it('runs one job for 200 concurrent callers of the same key', async () => {
    const flights = new SingleFlight<number>(0);
    let runs = 0;
    const job = async (): Promise<number> => {
      runs++;
      await sleep(20);
      return 42;
    };
    const results = await Promise.all(Array.from({ length: 200 }, () => flights.run('k', never, job)));
    assert.equal(runs, 1);
    assert.ok(results.every((r) => r === 42));
    assert.equal(flights.size, 0);
  });

  it('runs separate jobs for separate keys and again after a job settled', async () => {
    const flights = new SingleFlight<string>(0);
    let runs = 0;
    const job = async (): Promise<string> => `${++runs}`;
    await Promise.all([flights.run('a', never, job), flights.run('b', never, job)]);
    await flights.run('a', never, job);
    assert.equal(runs, 3);
  });

  it('shares a failure with every caller', async () => {
    const flights = new SingleFlight<number>(0);
    const job = async (): Promise<number> => {
      await sleep(5);
      throw new Error('boom');
    };
    const all = await Promise.allSettled([flights.run('k', never, job), flights.run('k', never, job)]);
    assert.deepEqual(all.map((r) => r.status), ['rejected', 'rejected']);
  });

  it('releases a caller at once when its signal fires, while the job goes on for the others', async () => {
    const flights = new SingleFlight<number>(0);
    let jobSignal: AbortSignal | undefined;
    let jobFinished = false;
    const job = async (control: { signal: AbortSignal }): Promise<number> => {
      jobSignal = control.signal;
      await sleep(500);
      jobFinished = true;
      return 7;
    };
    const impatient = new AbortController();
    const first = flights.run('k', impatient.signal, job);
    const second = flights.run('k', never, job);
    impatient.abort(new Error('deadline'));
    await assert.rejects(first, /deadline/);
    assert.equal(jobFinished, false, 'the impatient caller is released while the shared job still runs');
    assert.equal(await second, 7);
    assert.equal(jobSignal?.aborted, false);
  });

  it('aborts the job when its last caller leaves and there is no grace period', async () => {
    const flights = new SingleFlight<number>(0);
    let jobSignal: AbortSignal | undefined;
    const caller = new AbortController();
    const p = flights.run('k', caller.signal, async (control) => {
      jobSignal = control.signal;
      await sleep(1000, undefined, { signal: control.signal });
      return 1;
    });
    await sleep(5);
    caller.abort(new Error('gone'));
    await assert.rejects(p, /gone/);
    assert.equal(jobSignal?.aborted, true);
    assert.equal(flights.size, 0, 'a new caller must start afresh');
  });

  it('lets an abandoned job finish within its grace period', async () => {
    const flights = new SingleFlight<number>(1000);
    let finished = false;
    const caller = new AbortController();
    const p = flights.run('k', caller.signal, async (control) => {
      await sleep(30, undefined, { signal: control.signal });
      finished = true;
      return 1;
    });
    caller.abort(new Error('deadline'));
    await assert.rejects(p);
    await sleep(60);
    assert.equal(finished, true);
  });

  it('aborts an abandoned job once the grace period is over', async () => {
    const flights = new SingleFlight<number>(20);
    let jobSignal: AbortSignal | undefined;
    const caller = new AbortController();
    const p = flights.run('k', caller.signal, async (control) => {
      jobSignal = control.signal;
      await sleep(1000, undefined, { signal: control.signal }).catch(() => undefined);
      return 1;
    });
    caller.abort(new Error('deadline'));
    await assert.rejects(p);
    await sleep(50);
    assert.equal(jobSignal?.aborted, true);
  });

  it('a caller arriving during the grace period joins the running job', async () => {
    const flights = new SingleFlight<number>(1000);
    let runs = 0;
    const job = async (): Promise<number> => {
      runs++;
      await sleep(30);
      return 5;
    };
    const caller = new AbortController();
    const first = flights.run('k', caller.signal, job);
    caller.abort(new Error('x'));
    await assert.rejects(first);
    assert.equal(await flights.run('k', never, job), 5);
    assert.equal(runs, 1);
  });

  it('tells a queued job whether anyone still wants it', async () => {
    const flights = new SingleFlight<boolean>(1000);
    const caller = new AbortController();
    let wantedAfter: boolean | undefined;
    const p = flights.run('k', caller.signal, async (control) => {
      await sleep(20);
      wantedAfter = control.wanted();
      return wantedAfter;
    });
    caller.abort(new Error('x'));
    await assert.rejects(p);
    await sleep(40);
    assert.equal(wantedAfter, false);
  });
});

describe('Limiter', () => {
  it('holds at most `limit` slots and hands them out in order', async () => {
    const limiter = new Limiter(2);
    let peak = 0;
    let active = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        const release = await limiter.acquire(never);
        active++;
        peak = Math.max(peak, active);
        await sleep(5);
        active--;
        release();
      }),
    );
    assert.equal(peak, 2);
  });
  it('drops an aborted waiter from the queue', async () => {
    const limiter = new Limiter(1);
    const release = await limiter.acquire(never);
    const c = new AbortController();
    const waiting = limiter.acquire(c.signal);
    c.abort(new Error('late'));
    await assert.rejects(waiting, /late/);
    assert.equal(limiter.waiting, 0);
    release();
    (await limiter.acquire(never))();
  });
});

describe('DigestCache', () => {
  it('keeps values in memory by kind and digest', async () => {
    const cache = createDigestCache();
    cache.set('layer', digest('a'), layer(digest('a')));
    assert.deepEqual(await cache.get('layer', digest('a'), never), layer(digest('a')));
    assert.equal(await cache.get('platform', digest('a'), never), undefined);
    assert.equal(cache.stats().hits, 1);
  });

  it('evicts by entry count', async () => {
    const cache = createDigestCache({ maxEntries: 2 });
    for (const c of ['a', 'b', 'c']) cache.set('layer', digest(c), layer(digest(c)));
    assert.equal(await cache.get('layer', digest('a'), never), undefined);
    assert.equal(cache.stats().entries, 2);
  });

  it('persists atomically and a fresh cache reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-cache-'));
    const first = createDigestCache({ dir });
    first.set('layer', digest('b'), layer(digest('b')));
    await first.flush();
    const files = await readdir(join(dir, `v${CACHE_FORMAT_VERSION}`, 'layer'));
    assert.deepEqual(files, [`sha256-${'b'.repeat(64)}.json`], 'one file, no temp file left behind');
    const second = createDigestCache({ dir });
    assert.deepEqual(await second.get('layer', digest('b'), never), layer(digest('b')));
    assert.equal(second.stats().diskHits, 1);
  });

  it('ignores a corrupt or foreign file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dg-cache-'));
    const cache = createDigestCache({ dir });
    cache.set('layer', digest('c'), layer(digest('c')));
    cache.set('layer', digest('d'), layer(digest('d')));
    await cache.flush();
    const base = join(dir, `v${CACHE_FORMAT_VERSION}`, 'layer');
    await writeFile(join(base, `sha256-${'c'.repeat(64)}.json`), '{"v":1,"kind":"layer"');
    const text = await readFile(join(base, `sha256-${'d'.repeat(64)}.json`), 'utf8');
    await writeFile(join(base, `sha256-${'d'.repeat(64)}.json`), text.replace(`"digest":"${digest('d')}"`, `"digest":"${digest('e')}"`));
    const fresh = createDigestCache({ dir });
    assert.equal(await fresh.get('layer', digest('c'), never), undefined);
    assert.equal(await fresh.get('layer', digest('d'), never), undefined);
  });
});
