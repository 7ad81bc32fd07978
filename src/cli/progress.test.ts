import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { terminalProgress } from './progress.js';

function stream(isTTY: boolean): { stream: Writable; text: () => string } {
  let text = '';
  const s = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  Object.assign(s, { isTTY });
  return { stream: s, text: () => text };
}

describe('terminalProgress', () => {
  it('on a terminal, rewrites one line in place (throttled, the last count always shown) and clears it at the end', () => {
    const out = stream(true);
    const progress = terminalProgress(out.stream, 'inspecting images', 60_000);
    progress.update(0, 3);
    progress.update(1, 3); // within the interval: not drawn
    progress.update(3, 3); // done: always drawn
    progress.end();
    assert.equal(out.text(), '\r\x1b[Kinspecting images 0/3\r\x1b[Kinspecting images 3/3\r\x1b[K');
  });

  it('writes nothing when the stream is not a terminal (CI logs, pipes)', () => {
    const out = stream(false);
    const progress = terminalProgress(out.stream, 'inspecting images');
    progress.update(1, 2);
    progress.end();
    assert.equal(out.text(), '');
  });
});
