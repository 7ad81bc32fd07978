import type { ImageFacts } from './facts/types.js';

/** Registry credentials for one registry host; never logged. */
export interface RegistryCredential {
  readonly username: string;
  readonly password: string;
}

/** Looks up credentials for a registry host and repository (docker config.json / pull-secret semantics). */
export type CredentialLookup = (registryHost: string, repository: string) => RegistryCredential | undefined;

export interface InspectOptions {
  /** The admission deadline: every registry call and scan stops when it fires. */
  readonly signal: AbortSignal;
  /** Extra credentials for this call (e.g. the pod's imagePullSecrets), tried before the inspector's own. */
  readonly credentials?: CredentialLookup;
  /** Epoch ms when `signal` fires, if known: a registry retry (Retry-After, backoff) that would end after it is not waited for. */
  readonly deadline?: number;
}

/** Turns an image reference into facts. Implemented by src/image/inspector.ts; faked only in unit tests. */
export interface ImageInspector {
  inspect(reference: string, options: InspectOptions): Promise<ImageFacts>;
  /**
   * Facts answered from memory with no I/O (the admission fast path): a digest-pinned reference inspected before
   * (content by digest never changes), or a tag whose resolution with these `credentials` is fresh in the tag cache
   * and whose facts are known; undefined when `inspect` has to run.
   */
  known?(reference: string, credentials?: CredentialLookup): ImageFacts | undefined;
}
