import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE_NAME_LABEL, baseOf } from '../../../../src/image/facts/base.js';
import { parseOsRelease, readOsRelease } from '../../../../src/image/facts/os-release.js';
import { buildUnion } from '../../../../src/image/layers/union.js';
import { layerOf } from '../../../support/layer-listing.js';
import * as samples from '../../../support/sample-images.js';

describe('parseOsRelease', () => {
  it('reads quoted, single-quoted and bare values, skipping comments and junk', () => {
    const text = [
      '# a comment',
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
      "NAME='Debian'",
      'ID=debian',
      'VARIANT="say \\"hi\\" \\$HOME"',
      'not an assignment',
      '=novalue',
      'bad-key=x',
      '',
    ].join('\n');
    assert.deepEqual(parseOsRelease(text), {
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
      NAME: 'Debian',
      ID: 'debian',
      VARIANT: 'say "hi" $HOME',
    });
  });
});

describe('readOsRelease', () => {
  it('prefers /etc/os-release', () => {
    const union = buildUnion([layerOf(['/etc/os-release', '/usr/lib/os-release'], { '/etc/os-release': 'ID=etc\n', '/usr/lib/os-release': 'ID=usr\n' })]);
    assert.equal(readOsRelease(union)?.['ID'], 'etc');
  });
  it('falls back to /usr/lib/os-release when /etc/os-release is missing or dangling', () => {
    const union = buildUnion([layerOf(['/etc/os-release -> ../nowhere', '/usr/lib/os-release'], { '/usr/lib/os-release': 'ID=usr\n' })]);
    assert.equal(readOsRelease(union)?.['ID'], 'usr');
  });
  it('is undefined in an image without one', () => {
    assert.equal(readOsRelease(buildUnion(samples.busybox.layers)), undefined);
  });
});

describe('baseOf', () => {
  const cases: ReadonlyArray<{ name: string; image: samples.SampleImage; base: string | null }> = [
    { name: 'distroless says "Distroless"', image: samples.distrolessStaticNonroot, base: 'Distroless' },
    { name: 'Debian 12 through /etc/os-release -> ../usr/lib/os-release', image: samples.debian12, base: 'Debian GNU/Linux 12 (bookworm)' },
    { name: 'Ubuntu chiseled', image: samples.ubuntuChiseled, base: 'Ubuntu 24.04.1 LTS' },
    { name: 'os-release wins over the base-name label', image: samples.ubiMicro, base: 'Red Hat Enterprise Linux 9.4 (Plow)' },
    { name: 'Wolfi', image: samples.chainguardStatic, base: 'Wolfi' },
    { name: 'busybox has no os-release and no label', image: samples.busybox, base: null },
  ];
  for (const { name, image, base } of cases) {
    it(name, () => assert.equal(baseOf(readOsRelease(buildUnion(image.layers)), image.config.config?.Labels), base));
  }
  it('NAME when PRETTY_NAME is missing', () => assert.equal(baseOf({ NAME: 'Alpine Linux' }, null), 'Alpine Linux'));
  it('the base-name label when there is no os-release', () => {
    assert.equal(baseOf(undefined, { [BASE_NAME_LABEL]: 'docker.io/library/alpine:3.20' }), 'docker.io/library/alpine:3.20');
  });
  it('null when nothing says', () => assert.equal(baseOf(undefined, { [BASE_NAME_LABEL]: '' }), null));
});
