/** Loopback networking helpers for the test bed. */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port that was free a moment ago on 127.0.0.1 (the kernel picks it; a race with another binder is possible). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Called between attempts; throwing stops the wait (e.g. "the process already exited"). */
  readonly check?: () => void;
}

/** Polls `url` until it answers with one of `statuses`. */
export async function waitForHttp(url: string, statuses: readonly number[], options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    options.check?.();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (statuses.includes(response.status)) return;
      last = new Error(`status ${response.status}`);
    } catch (error) {
      last = error;
    }
    await sleep(50);
  }
  throw new Error(`${url} did not answer ${statuses.join('/')} within ${options.timeoutMs} ms`, { cause: last });
}
