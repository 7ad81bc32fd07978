import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoized } from './memo.js';

describe('memoized', () => {
  it('computes each key once, and again only after it was forgotten when full', () => {
    const calls: string[] = [];
    const length = memoized((key: string) => {
      calls.push(key);
      return key.length;
    }, 2);
    assert.deepEqual([length('a'), length('bb'), length('a'), length('bb')], [1, 2, 1, 2]);
    assert.deepEqual(calls, ['a', 'bb']);
    assert.equal(length('ccc'), 3); // full: everything forgotten, then 'ccc' kept
    assert.equal(length('a'), 1);
    assert.deepEqual(calls, ['a', 'bb', 'ccc', 'a']);
  });

  it('remembers undefined results too', () => {
    let calls = 0;
    const nothing = memoized(() => {
      calls++;
      return undefined;
    }, 4);
    nothing('x');
    nothing('x');
    assert.equal(calls, 1);
  });
});
