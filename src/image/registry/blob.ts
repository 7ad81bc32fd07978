/**
 * Digest-verified blob streams. The bytes reach the consumer as they arrive; the stream ends only after the whole
 * blob hashed to its digest and matched its declared size, otherwise it fails with 'digest-mismatch' / 'truncated'.
 * The network body is always read to the end (even if the consumer stops early, e.g. at the tar end marker) so
 * `verified` settles: callers must await it before trusting anything computed from the stream.
 */
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { bodyError } from './body.js';
import { RegistryError } from './errors.js';

export interface VerifiedBlob {
  /** The blob's bytes; errors at the end instead of ending when verification fails. */
  readonly stream: Readable;
  /** Resolves once every byte was read and matched the digest and size; rejects with RegistryError otherwise. */
  readonly verified: Promise<void>;
  /** The consumer is done with `stream` (read all it needs): stop forwarding bytes, keep hashing to the end. */
  release(): void;
}

export interface VerifyOptions {
  readonly digest: string;
  readonly size: number;
  readonly registry: string;
  readonly signal: AbortSignal;
  /** Human name for messages: "layer sha256:… of gcr.io/distroless/static". */
  readonly what: string;
}

export function verifiedBlob(body: ReadableStream<Uint8Array>, options: VerifyOptions): VerifiedBlob {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  // Consumers see the error through their own listeners or iterator; this one only keeps an error that arrives after
  // the consumer let go from becoming an uncaught exception.
  out.on('error', () => undefined);
  const state: PumpState = { released: false, wake: undefined };
  const verified = pump(body, out, options, state);
  verified.catch(() => undefined); // the caller may only look at the stream; never an unhandled rejection
  return {
    stream: out,
    verified,
    release() {
      state.released = true;
      state.wake?.();
    },
  };
}

interface PumpState {
  released: boolean;
  wake: (() => void) | undefined;
}

async function pump(body: ReadableStream<Uint8Array>, out: PassThrough, o: VerifyOptions, state: PumpState): Promise<void> {
  const hash = createHash('sha256');
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw bodyError(err, o.signal, o.registry, `${o.what} (after ${total} of ${o.size} bytes)`);
      }
      if (chunk.done) break;
      const value = chunk.value;
      total += value.byteLength;
      if (total > o.size) {
        throw new RegistryError('bad-response', o.registry, `${o.what} is larger than its declared ${o.size} bytes`);
      }
      hash.update(value);
      if (!state.released && !out.destroyed && !out.write(value)) await drained(out, state);
    }
    if (total !== o.size) {
      throw new RegistryError('truncated', o.registry, `${o.what} ended after ${total} of ${o.size} bytes`);
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== o.digest) {
      throw new RegistryError('digest-mismatch', o.registry, `${o.what} does not match its digest (got ${actual}); the registry or a proxy served wrong content`);
    }
    if (state.released) out.destroy();
    else out.end();
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    const error = err instanceof RegistryError ? err : bodyError(err, o.signal, o.registry, o.what);
    out.destroy(state.released ? undefined : error);
    throw error;
  } finally {
    reader.releaseLock();
  }
}

function drained(out: PassThrough, state: PumpState): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      state.wake = undefined;
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
    state.wake = done;
  });
}
