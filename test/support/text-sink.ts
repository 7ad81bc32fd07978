import { Writable } from 'node:stream';

/** A stream a command writes its stdout or stderr to, and the text it wrote; `isTTY` as a terminal would say. */
export function textSink(isTTY = false): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  Object.assign(stream, { isTTY });
  return { stream, text: () => text };
}
