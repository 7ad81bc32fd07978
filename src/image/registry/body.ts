/** Reading response bodies with a cap, mapping stream failures to RegistryError. */
import { RegistryError } from './errors.js';

/** Reads a whole body of at most `max` bytes; larger → 'too-large' (checked on Content-Length and while reading). */
export async function readCapped(response: Response, max: number, signal: AbortSignal, registry: string, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw new RegistryError('too-large', registry, `${what} is ${declared} bytes, over the ${max}-byte limit`);
  }
  const body = response.body;
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        throw new RegistryError('too-large', registry, `${what} is over the ${max}-byte limit`);
      }
      chunks.push(value);
    }
  } catch (err) {
    throw bodyError(err, signal, registry, what);
  } finally {
    reader.releaseLock();
  }
  if (Number.isFinite(declared) && declared !== total) {
    throw new RegistryError('truncated', registry, `${what} ended after ${total} of ${declared} bytes`);
  }
  return Buffer.concat(chunks, total);
}

/** Maps an error thrown while reading a body. */
export function bodyError(err: unknown, signal: AbortSignal, registry: string, what: string): RegistryError {
  if (err instanceof RegistryError) return err;
  if (signal.aborted) return new RegistryError('timeout', registry, `the deadline passed while reading ${what}`, { cause: err });
  return new RegistryError('truncated', registry, `${what} broke off before its end (connection closed)`, { cause: err });
}
