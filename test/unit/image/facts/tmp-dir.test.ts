import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanSettled } from '../../../../src/image/facts/derive.js';
import { hasTmpDir } from '../../../../src/image/facts/tmp-dir.js';
import { buildUnion, createUnionBuilder } from '../../../../src/image/layers/union.js';
import { layerOf } from '../../../support/layer-listing.js';
import * as samples from '../../../support/sample-images.js';

describe('hasTmpDir: /tmp resolves to a directory in the final filesystem', () => {
  const table: ReadonlyArray<[string, ReturnType<typeof layerOf>[], boolean]> = [
    ['distroless keeps /tmp (mode 1777)', [...samples.distrolessStaticNonroot.layers], true],
    ['a scratch image with only its binary has none', [layerOf(['/app/', '/app/server 755'])], false],
    ['a directory implied by a deeper entry counts (tar extraction creates it)', [layerOf(['/tmp/.keep'])], true],
    ['a symlink to a directory counts, as stat(2) follows it', [layerOf(['/tmp -> var/tmp', '/var/tmp/ 1777'])], true],
    ['a dangling symlink does not', [layerOf(['/tmp -> var/tmp'])], false],
    ['a regular file named tmp does not', [layerOf(['/tmp'])], false],
    ['a whiteout in a higher layer removes it', [layerOf(['/.wh.tmp']), layerOf(['/tmp/ 1777'])], false],
    ['a file replacing the directory in a higher layer removes it', [layerOf(['/tmp']), layerOf(['/tmp/ 1777'])], false],
  ];
  for (const [name, layers, expected] of table) it(name, () => assert.equal(hasTmpDir(buildUnion(layers)), expected));
});

describe('scanSettled: a shell settles an early stop; /tmp does not hold it back', () => {
  it('a top layer with a shell is settled though /tmp sits in the base below', () => {
    const builder = createUnionBuilder();
    const [debugLayer] = samples.distrolessStaticDebug.layers;
    assert.ok(debugLayer !== undefined);
    builder.addLower(debugLayer);
    assert.equal(hasTmpDir(builder.view()), false, 'the busybox layer alone has no /tmp');
    assert.equal(scanSettled(builder.view()), true);
  });
  it('/tmp without a shell is not settled: "no shell" needs every layer', () => {
    assert.equal(scanSettled(buildUnion([layerOf(['/tmp/ 1777'])])), false);
  });
});
