import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { all, isPromise, then } from './maybe-promise.js';

describe('MaybePromise', () => {
  it('then() runs at once on a value and returns what next returns', () => {
    const calls: number[] = [];
    const out = then(2, (v) => {
      calls.push(v);
      return v * 3;
    });
    assert.equal(out, 6);
    assert.deepEqual(calls, [2]);
  });

  it('then() on a promise returns a promise of the result', async () => {
    const out = then(Promise.resolve(2), (v) => v * 3);
    assert.ok(isPromise(out));
    assert.equal(await out, 6);
  });

  it('then() keeps a synchronous throw synchronous, and turns an asynchronous one into a rejection', async () => {
    assert.throws(() => then(1, () => { throw new Error('now'); }), /now/);
    await assert.rejects(() => Promise.resolve(then(Promise.resolve(1), () => { throw new Error('later'); })), /later/);
  });

  it('all() of values is the same array, with no promise', () => {
    const values = [1, 2, 3];
    const out = all(values);
    assert.equal(isPromise(out), false);
    assert.deepEqual(out, [1, 2, 3]);
  });

  it('all() with one promise among values waits for it, in order', async () => {
    const out = all([1, Promise.resolve(2), 3]);
    assert.ok(isPromise(out));
    assert.deepEqual(await out, [1, 2, 3]);
  });
});
