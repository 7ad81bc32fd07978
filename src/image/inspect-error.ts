/**
 * The one error `ImageInspector.inspect` rejects with: a code to switch on (the registry's codes passed through,
 * plus the inspector's own), the reference as given, the registry host when known, and the underlying error as cause.
 */
import { ImageReferenceError } from './reference/reference.js';
import { CredentialsError } from './registry/credentials.js';
import { RegistryError, type RegistryErrorCode } from './registry/errors.js';
import { LayerIndexError } from './layers/errors.js';

export type InspectErrorCode =
  | RegistryErrorCode
  /** The reference does not parse. */
  | 'invalid-reference'
  /** An index with no linux platform (only attestations, or only windows). */
  | 'no-platform'
  /** A layer could not be read as a tar (corrupt, decompression bomb, too many entries, unknown media type). */
  | 'bad-layer'
  /** The guard's own credential helper failed, or its credentials config is unreadable. */
  | 'credentials'
  /** A bug: an error nobody expected. */
  | 'internal';

export class InspectError extends Error {
  override readonly name = 'InspectError';
  readonly code: InspectErrorCode;
  /** The reference as given. */
  readonly reference: string;
  readonly registry: string | undefined;
  /** The operator's detail (socket error, the registry's own error text): logs and the CLI, never an admission answer. */
  readonly detail: string | undefined;

  constructor(code: InspectErrorCode, reference: string, message: string, options: { cause?: unknown; registry?: string; detail?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reference = reference;
    this.registry = options.registry;
    this.detail = options.detail;
  }
}

/**
 * Wraps whatever an inspection threw; a fired signal always reads as a timeout, saying what the inspection was
 * still waiting for when `waitingFor` can tell ("waiting for layer 2 of 3 (sha256:…, 40.1 MiB compressed) from …").
 */
export function toInspectError(err: unknown, reference: string, signal: AbortSignal, registry: string | undefined, waitingFor?: () => string): InspectError {
  if (err instanceof InspectError) return err;
  if (signal.aborted) {
    const detail = waitingFor === undefined ? '' : ` (${waitingFor()})`;
    return new InspectError('timeout', reference, `inspecting ${reference} did not finish before the deadline${detail}`, { cause: err, registry });
  }
  if (err instanceof ImageReferenceError) return new InspectError('invalid-reference', reference, err.message, { cause: err });
  if (err instanceof CredentialsError) return new InspectError('credentials', reference, `inspecting ${reference}: ${err.message}`, { cause: err, registry, detail: err.detail });
  if (err instanceof RegistryError) return new InspectError(err.code, reference, `inspecting ${reference}: ${err.message}`, { cause: err, registry: err.registry, detail: err.detail });
  if (err instanceof LayerIndexError) {
    if (err.cause instanceof RegistryError) return toInspectError(err.cause, reference, signal, registry);
    if (err.code === 'aborted') return new InspectError('timeout', reference, `inspecting ${reference} was cancelled`, { cause: err, registry });
    return new InspectError('bad-layer', reference, `inspecting ${reference}: ${err.message}`, { cause: err, registry });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new InspectError('internal', reference, `inspecting ${reference} failed unexpectedly: ${message}`, { cause: err, registry });
}
