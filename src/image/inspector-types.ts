import type { ImageFacts } from './facts/types.js';
import type { Platform } from './registry/manifest.js';

/**
 * Registry credentials for one registry host; never logged. A `username` of IDENTITY_TOKEN_USERNAME means `password`
 * is an identity (OAuth2 refresh) token, as docker's credential helpers and `identitytoken` config entries say.
 */
export interface RegistryCredential {
  readonly username: string;
  readonly password: string;
}

/** docker-credential-helpers' marker: the Secret is an identity token, exchanged at the token realm (OAuth2 refresh). */
export const IDENTITY_TOKEN_USERNAME = '<token>';

/** Looks up credentials for a registry host and repository (docker config.json / pull-secret semantics). */
export type CredentialLookup = (registryHost: string, repository: string) => RegistryCredential | undefined;

/** What a credential source is asked about for one image. */
export interface CredentialTarget {
  /** The host credentials are looked up for: the registry's, or the mirror's when a mirror serves it. */
  readonly host: string;
  /** The repository on that host (with the mirror's prefix, if any). */
  readonly repository: string;
  /** The image as the kubelet names it to credential providers: registry/repository, no tag or digest. */
  readonly image: string;
}

/**
 * Credentials that take I/O to find: a docker credential helper, a kubelet credential provider plugin. Asked once per
 * inspection, before its first registry request; the lookup it gives then serves that inspection's requests.
 */
export interface CredentialSource {
  /** The lookup for this target, or undefined when the source has nothing for it. */
  resolve(target: CredentialTarget, signal: AbortSignal): Promise<CredentialLookup | undefined>;
  /** The same answer when it is in memory now (no process to run), else undefined: the warm path. */
  peek(target: CredentialTarget): { readonly lookup: CredentialLookup | undefined } | undefined;
}

export interface InspectOptions {
  /** The admission deadline: every registry call and scan stops when it fires. */
  readonly signal: AbortSignal;
  /** Extra credentials for this call (e.g. the pod's imagePullSecrets), tried before the inspector's own. */
  readonly credentials?: CredentialLookup;
  /** Epoch ms when `signal` fires, if known: a registry retry (Retry-After, backoff) that would end after it is not waited for. */
  readonly deadline?: number;
  /** Inspect only the image a node of this platform pulls (`inspect --platform`), not every linux platform. */
  readonly platform?: Platform;
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
