import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPodSpec, MAX_IMAGE_LENGTH, WorkloadShapeError } from './shape.js';

const WHERE = 'request.object.spec';
const longImage = (length: number) => `evil.example/${'a'.repeat(length - 'evil.example/'.length)}`;

describe('container images are refused past any real reference length', () => {
  const table: Array<[string, unknown, string | undefined]> = [
    ['an ordinary image is accepted', { containers: [{ name: 'app', image: 'gcr.io/distroless/static:nonroot' }] }, undefined],
    ['an image of exactly the cap is accepted', { containers: [{ name: 'app', image: longImage(MAX_IMAGE_LENGTH) }] }, undefined],
    [
      'an image one character over the cap is refused, saying how long it is',
      { containers: [{ name: 'app', image: longImage(MAX_IMAGE_LENGTH + 1) }] },
      `${WHERE}.containers[0].image is 4097 characters long: an image reference is at most 4096`,
    ],
    [
      'a 40k-character init container image is refused',
      { containers: [{ name: 'app', image: 'nginx' }], initContainers: [{ name: 'init', image: longImage(40_000) }] },
      `${WHERE}.initContainers[0].image is 40000 characters long: an image reference is at most 4096`,
    ],
    [
      'a 1 MiB ephemeral container image is refused',
      { containers: [{ name: 'app', image: 'nginx' }], ephemeralContainers: [{ name: 'debugger', image: longImage(1 << 20) }] },
      `${WHERE}.ephemeralContainers[0].image is 1048576 characters long: an image reference is at most 4096`,
    ],
    ['an image that is not a string is still refused as such', { containers: [{ name: 'app', image: 42 }] }, `${WHERE}.containers[0].image must be a string`],
  ];
  for (const [name, spec, message] of table) {
    it(name, () => {
      if (message === undefined) assert.doesNotThrow(() => assertPodSpec(spec, WHERE));
      else assert.throws(() => assertPodSpec(spec, WHERE), (err: unknown) => err instanceof WorkloadShapeError && err.message === message);
    });
  }
});
