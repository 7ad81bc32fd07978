import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allReady, isPromise, whenReady } from './maybe-promise.js';

describe('MaybePromise', () => {
  it('whenReady() runs at once on a value and returns what next returns', () => {
    const calls: number[] = [];
    const out = whenReady(2, (v) => {
      calls.push(v);
      return v * 3;
    });
    assert.equal(out, 6);
    assert.deepEqual(calls, [2]);
  });

  it('whenReady() on a promise returns a promise of the result', async () => {
    const out = whenReady(Promise.resolve(2), (v) => v * 3);
    assert.ok(isPromise(out));
    assert.equal(await out, 6);
  });

  it('whenReady() keeps a synchronous throw synchronous, and turns an asynchronous one into a rejection', async () => {
    assert.throws(() => whenReady(1, () => { throw new Error('now'); }), /now/);
    await assert.rejects(() => Promise.resolve(whenReady(Promise.resolve(1), () => { throw new Error('later'); })), /later/);
  });

  it('allReady() of values is the same array, with no promise', () => {
    const values = [1, 2, 3];
    const out = allReady(values);
    assert.equal(isPromise(out), false);
    assert.deepEqual(out, [1, 2, 3]);
  });

  it('allReady() with one promise among values waits for it, in order', async () => {
    const out = allReady([1, Promise.resolve(2), 3]);
    assert.ok(isPromise(out));
    assert.deepEqual(await out, [1, 2, 3]);
  });
});
