import type { Writable } from 'node:stream';

export interface Progress {
  update(done: number, total: number): void;
  /** Clears the line (a terminal keeps the output that follows clean). */
  end(): void;
}

const quiet: Progress = { update: () => undefined, end: () => undefined };

/**
 * "inspecting images 3/12" rewritten in place on a terminal, at most every `intervalMs`; nothing at all when the
 * stream is not a TTY (CI logs, pipes), where carriage returns would only add noise.
 */
export function terminalProgress(stream: Writable, label: string, intervalMs = 100): Progress {
  if (!('isTTY' in stream) || stream.isTTY !== true) return quiet;
  let shown = false;
  let last = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (done < total && now - last < intervalMs) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[K${label} ${done}/${total}`);
    },
    end() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
