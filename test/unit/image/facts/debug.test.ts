import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { debugVariantReason } from '../../../../src/image/facts/debug.js';
import { readOsRelease } from '../../../../src/image/facts/os-release.js';
import { searchPath } from '../../../../src/image/facts/search-path.js';
import { findShells } from '../../../../src/image/facts/shells.js';
import type { ImageConfig, LayerIndex } from '../../../../src/image/layers/types.js';
import { buildUnion } from '../../../../src/image/layers/union.js';
import { layerOf } from '../../../support/layer-listing.js';
import * as samples from '../../../support/sample-images.js';

function reasonOf(layers: readonly LayerIndex[], config: ImageConfig = {}): string | null {
  const union = buildUnion(layers);
  return debugVariantReason({ union, shells: findShells(union), osRelease: readOsRelease(union), searchPath: searchPath(config) });
}

const DISTROLESS = layerOf(['/etc/os-release'], { '/etc/os-release': 'PRETTY_NAME="Distroless"\n' });

describe('debugVariantReason', () => {
  const cases: ReadonlyArray<{ name: string; layers: readonly LayerIndex[]; config?: ImageConfig; debug: RegExp | null }> = [
    { name: 'distroless static :debug (entrypoint /busybox/sh)', layers: samples.distrolessStaticDebug.layers, debug: /^\/busybox\/busybox is an executable/ },
    {
      name: 'distroless python :debug-nonroot (entrypoint python, by content)',
      layers: samples.distrolessPythonDebugNonroot.layers, debug: /distroless :debug/,
    },
    {
      name: 'a distroless image whose only shell is busybox on PATH elsewhere',
      layers: [layerOf(['/usr/local/bin/busybox 755', '/usr/local/bin/sh -> busybox']), DISTROLESS],
      debug: /os-release says Distroless and its only shell is a multi-call binary on PATH \(\/usr\/local\/bin\/sh\)/,
    },
    {
      name: 'a distroless image with busybox off PATH is not a debug variant (but has a shell)',
      layers: [layerOf(['/opt/tools/busybox 755']), DISTROLESS],
      debug: null,
    },
    {
      name: 'a distroless image with bash besides busybox is not a debug variant (but has shells)',
      layers: [layerOf(['/usr/bin/busybox 755', '/usr/bin/bash 755']), DISTROLESS],
      debug: null,
    },
    { name: 'a non-executable /busybox/busybox is not one', layers: [layerOf(['/busybox/busybox 644'])], debug: null },
    { name: 'distroless static nonroot is not one', layers: samples.distrolessStaticNonroot.layers, debug: null },
    { name: 'the busybox image is not one: it is not distroless', layers: samples.busybox.layers, debug: null },
    { name: 'a Chainguard -dev variant is not one', layers: samples.chainguardDev.layers, debug: null },
    { name: 'Debian 12 is not one', layers: samples.debian12.layers, debug: null },
  ];
  for (const { name, layers, config, debug } of cases) {
    it(name, () => {
      const reason = reasonOf(layers, config);
      if (debug === null) assert.equal(reason, null);
      else assert.match(reason ?? '', debug);
    });
  }
});
