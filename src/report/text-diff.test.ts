import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unifiedDiff } from './text-diff.js';

const labels = { before: 'before', after: 'after' };

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', labels), '');
  });

  it('writes headers, hunk ranges and context as diff -u does', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join('\n') + '\n';
    const after = ['a', 'b', 'c', 'D', 'e', 'f', 'g', 'h', 'i'].join('\n') + '\n';
    assert.equal(
      unifiedDiff(before, after, labels, 1),
      ['--- before', '+++ after', '@@ -3,3 +3,3 @@', ' c', '-d', '+D', ' e', '@@ -8 +8,2 @@', ' h', '+i', ''].join('\n'),
    );
  });
});
