/**
 * The one error type of the registry module. `code` is what callers switch on; the message names the registry host
 * and tells a human what to do. Messages never carry credentials, tokens or signed URL query strings.
 */

export type RegistryErrorCode =
  /** 401/403, or the token service refused: credentials are missing or wrong, or the repository is private. */
  | 'unauthorized'
  /** The repository, tag, manifest or blob does not exist. */
  | 'not-found'
  /** The caller's AbortSignal fired (the admission deadline). */
  | 'timeout'
  /** 429 after the retries allowed. */
  | 'rate-limited'
  /** 5xx, connection refused/reset, DNS failure: the registry could not be reached or did not answer. */
  | 'unavailable'
  /** TLS failed: unknown CA, wrong host name, or a plain-HTTP registry spoken to over HTTPS. */
  | 'tls'
  /** Content does not hash to the digest that names it. */
  | 'digest-mismatch'
  /** A body ended before its declared size (or Content-Length). */
  | 'truncated'
  /** The egress policy refused the address or scheme (serve: loopback, link-local, plain HTTP, internal redirects). */
  | 'forbidden'
  /** A manifest, config or blob is larger than the configured cap. */
  | 'too-large'
  /** The registry answered something malformed: bad JSON, missing headers, a body bigger than declared. */
  | 'bad-response'
  /** Valid but not something we handle: schema 1 manifests, non-sha256 digests, artifacts that are not images. */
  | 'unsupported';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  /** The registry host of the reference (the original one when a mirror was used). */
  readonly registry: string;
  /** HTTP status when the error came from a response. */
  readonly status: number | undefined;
  /**
   * For the operator's log and the CLI only, never an admission answer: the socket error code, the registry's own
   * error text. In `serve` these would let a pod's author probe hosts and read remote content through the guard.
   */
  readonly detail: string | undefined;

  constructor(
    code: RegistryErrorCode,
    registry: string,
    message: string,
    options: { cause?: unknown; status?: number; detail?: string } = {},
  ) {
    super(`${registry}: ${redact(message)}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.registry = registry;
    this.status = options.status;
    this.detail = options.detail === undefined || options.detail === '' ? undefined : redact(options.detail);
  }
}

/** Removes anything secret-looking from text meant for logs and error messages. */
export function redact(text: string): string {
  return text
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    .replace(/((?:access_)?token|password|secret|signature|x-amz-[a-z-]+|sig|auth)=([^&\s"']+)/gi, '$1=[redacted]')
    .replace(/\b(https?:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1[redacted]@');
}

/** A URL for messages: scheme, host and path, never the query (signed blob URLs carry credentials there). */
export function describeUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '[unparseable URL]';
  }
}

export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError;
}
