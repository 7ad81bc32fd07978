import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply_patch } from 'jsonpatch';
import { escapePointerSegment, patchOps, pointer } from './json-patch.js';

describe('JSON pointers (RFC 6901)', () => {
  const table: Array<[string, string | number, string]> = [
    ['a plain name stays as is', 'securityContext', 'securityContext'],
    ['"/" is written ~1', 'app.kubernetes.io/name', 'app.kubernetes.io~1name'],
    ['"~" is written ~0', 'a~b', 'a~0b'],
    ['"~1" literally is written ~01, escaping ~ first', '~1', '~01'],
    ['an array index is its decimal form', 3, '3'],
  ];
  for (const [name, segment, expected] of table) {
    it(name, () => assert.equal(escapePointerSegment(segment), expected));
  }
  it('an escaped path is applied by the jsonpatch package to the right member', () => {
    const doc = { metadata: { annotations: { 'a/b~c': 'old' } } };
    const ops = [patchOps.replace(['metadata', 'annotations', 'a/b~c'], 'new')];
    assert.equal(ops[0]?.path, '/metadata/annotations/a~1b~0c');
    assert.deepEqual(apply_patch(doc, ops), { metadata: { annotations: { 'a/b~c': 'new' } } });
    assert.equal(pointer([]), '');
  });
});
