import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { terminalProgress } from '../../../src/cli/progress.js';
import { textSink } from '../../support/text-sink.js';

describe('terminalProgress', () => {
  it('on a terminal, rewrites one line in place (throttled, the last count always shown) and clears it at the end', () => {
    const out = textSink(true);
    const progress = terminalProgress(out.stream, 'inspecting images', 60_000);
    progress.update(0, 3);
    progress.update(1, 3); // within the interval: not drawn
    progress.update(3, 3); // done: always drawn
    progress.end();
    assert.equal(out.text(), '\r\x1b[Kinspecting images 0/3\r\x1b[Kinspecting images 3/3\r\x1b[K');
  });

  it('writes nothing when the stream is not a terminal (CI logs, pipes)', () => {
    const out = textSink(false);
    const progress = terminalProgress(out.stream, 'inspecting images');
    progress.update(1, 2);
    progress.end();
    assert.equal(out.text(), '');
  });
});
