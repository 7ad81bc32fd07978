/**
 * HTTP to registries: Node's fetch (undici, keep-alive), the caller's AbortSignal on every call, bounded
 * retries on 429/502/503/504 and connection resets honouring Retry-After but never past the deadline, and the
 * 401 → challenge → token dance of auth.ts. Redirects are followed for blob GETs only (registries send those to
 * object storage), within the egress policy and never with the registry's Authorization on another host.
 * Failures become RegistryError: a message that says what class of failure happened (safe to show the pod's
 * author) and a `detail` for the operator's log.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Limiter } from '../../shared/limiter.js';
import type { CredentialLookup, RegistryCredential } from '../inspector-types.js';
import { Authenticator, type AuthTarget, type Fetch } from './auth.js';
import { readCapped } from './body.js';
import { connectionKind, errorCode, type Dispatchers } from './connections.js';
import type { EgressPolicy } from './egress.js';
import type { Endpoint } from './endpoint.js';
import { describeUrl, RegistryError } from './errors.js';
import type { ImageLogger } from './logger.js';

export interface RetryOptions {
  /** Total attempts per request, the first included (default 3). */
  readonly attempts: number;
  /** First backoff; doubles each retry, with jitter (default 200 ms). */
  readonly baseDelayMs: number;
  /** A Retry-After longer than this is not waited for (default 10 s). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 200, maxDelayMs: 10_000 };

/** Per-call context: the deadline and the caller's extra credentials. */
export interface CallContext {
  readonly signal: AbortSignal;
  /** Epoch ms after which no retry is started (the AbortSignal fires at or before it). */
  readonly deadline?: number;
  /** Tried before the client's own credentials (a pod's imagePullSecrets). */
  readonly credentials?: CredentialLookup;
}

export interface RequestSpec {
  readonly method: 'GET' | 'HEAD';
  /** After /v2/<repository>/: "manifests/latest", "blobs/sha256:…". */
  readonly path: string;
  readonly accept?: string;
  /** For messages: "manifest latest", "layer sha256:…". */
  readonly what: string;
  /** Blob GETs: follow redirects (to storage) within the egress policy. Anything else answers a 3xx as is. */
  readonly followRedirects?: boolean;
}

export interface TransportOptions {
  readonly fetch: Fetch;
  /** Filled in by `prepare` before the first request. */
  readonly dispatchers: Dispatchers;
  readonly prepare: () => Promise<void>;
  readonly egress: EgressPolicy;
  /** Bounds registry requests in flight at once (each holds a slot until its response headers arrive). */
  readonly limiter: Limiter | undefined;
  readonly authenticator: Authenticator;
  readonly credentials: CredentialLookup | undefined;
  readonly retry: RetryOptions;
  readonly logger: ImageLogger;
  readonly userAgent: string;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
/** Registries redirect a blob once (to storage or a CDN); a few hops allow for a CDN's own. */
const MAX_REDIRECTS = 5;
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

export class Transport {
  constructor(private readonly o: TransportOptions) {}

  /** Sends a request for `repository` on `endpoint`, authenticating as needed. Returns any final response. */
  async request(endpoint: Endpoint, repository: string, spec: RequestSpec, ctx: CallContext): Promise<Response> {
    await this.o.prepare();
    const repo = `${endpoint.repositoryPrefix}${repository}`;
    const url = `${endpoint.baseUrl}/v2/${repo}/${spec.path}`;
    const credential = this.credentialFor(endpoint, repository, ctx);
    const target: AuthTarget = { registry: endpoint.registry, host: endpoint.host, baseUrl: endpoint.baseUrl, scope: `repository:${repo}:pull`, credential };
    let authorization = await this.o.authenticator.headerFor(target, ctx.signal);
    let response = await this.send(url, spec, authorization, endpoint, ctx);
    // One challenge round; two when the first try carried a remembered token (it may have been revoked early).
    const rounds = authorization === undefined ? 1 : 2;
    for (let round = 0; round < rounds && response.status === 401; round++) {
      await discard(response);
      authorization = await this.o.authenticator.onUnauthorized(response, target, authorization, ctx.signal);
      response = await this.send(url, spec, authorization, endpoint, ctx);
    }
    if (response.status === 401) {
      await discard(response);
      throw this.o.authenticator.refused(target, 401);
    }
    return response;
  }

  /** The credential a request for `repository` on `endpoint` is sent with: the caller's first, then the client's own. */
  credentialFor(endpoint: Endpoint, repository: string, ctx: CallContext): RegistryCredential | undefined {
    const { host, repository: repo } = credentialScope(endpoint, repository);
    return ctx.credentials?.(host, repo) ?? this.o.credentials?.(host, repo);
  }

  /** One logical request with bounded retries. */
  private async send(url: string, spec: RequestSpec, authorization: string | undefined, endpoint: Endpoint, ctx: CallContext): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': this.o.userAgent };
    if (spec.accept !== undefined) headers['accept'] = spec.accept;
    if (authorization !== undefined) headers['authorization'] = authorization;
    const { attempts, baseDelayMs, maxDelayMs } = this.o.retry;
    for (let attempt = 1; ; attempt++) {
      let response: Response | undefined;
      let failure: RegistryError | undefined;
      let retryable = false;
      try {
        response = await this.fetchFollowing(url, spec, headers, endpoint, ctx);
        retryable = RETRY_STATUS.has(response.status);
      } catch (err) {
        failure = err instanceof RegistryError ? err : networkError(err, ctx.signal, endpoint, url, spec.what);
        retryable = failure.code === 'unavailable' && isReset(err);
      }
      if (!retryable || attempt >= attempts) {
        if (failure !== undefined) throw failure;
        if (response !== undefined) return response;
      }
      let delay = baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      const retryAfter = response !== undefined ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
      if (retryAfter !== undefined) delay = Math.max(delay, retryAfter);
      const tooLate = ctx.deadline !== undefined && Date.now() + delay >= ctx.deadline;
      if (delay > maxDelayMs || tooLate) {
        if (failure !== undefined) throw failure;
        if (response !== undefined) return response; // the caller maps the status to an error
      }
      this.o.logger.debug({ registry: endpoint.registry, url: describeUrl(url), attempt, status: response?.status, delayMs: Math.round(delay) }, 'registry request retried');
      if (response !== undefined) await discard(response);
      try {
        await sleep(delay, undefined, { signal: ctx.signal });
      } catch (err) {
        throw new RegistryError('timeout', endpoint.registry, `the deadline passed while waiting to retry ${spec.what}`, { cause: err });
      }
    }
  }

  /** One attempt: the request, and for blob GETs the redirects it answers with, each hop checked by the egress policy. */
  private async fetchFollowing(url: string, spec: RequestSpec, headers: Record<string, string>, endpoint: Endpoint, ctx: CallContext): Promise<Response> {
    let target = new URL(url);
    let sent = headers;
    for (let hop = 0; ; hop++) {
      this.o.egress.check(target, hop === 0 ? 'registry' : 'redirect', endpoint.host);
      const release = await this.o.limiter?.acquire(ctx.signal);
      let response: Response;
      try {
        const init = this.o.dispatchers[connectionKind(this.o.egress, target, endpoint.host)];
        response = await this.o.fetch(target, { ...init, method: spec.method, headers: sent, signal: ctx.signal, redirect: 'manual' });
      } finally {
        release?.();
      }
      const location = response.headers.get('location');
      if (!REDIRECT_STATUS.has(response.status) || spec.followRedirects !== true || location === null) return response;
      await discard(response);
      if (hop >= MAX_REDIRECTS) throw new RegistryError('bad-response', endpoint.registry, `${spec.what} redirected more than ${MAX_REDIRECTS} times`);
      let next: URL;
      try {
        next = new URL(location, target);
      } catch (err) {
        throw new RegistryError('bad-response', endpoint.registry, `${spec.what} redirected to an invalid URL`, { cause: err });
      }
      // The registry's Authorization is for the registry: storage URLs carry their own (signed) credentials.
      if (next.host !== target.host || next.protocol !== target.protocol) {
        const { authorization: _dropped, ...rest } = sent;
        sent = rest;
      }
      target = next;
    }
  }
}

/** The host and repository credentials are looked up for: a mirror's own (with its prefix) when one serves the registry. */
export function credentialScope(endpoint: Endpoint, repository: string): { readonly host: string; readonly repository: string } {
  return { host: endpoint.mirrored ? endpoint.host : endpoint.registry, repository: `${endpoint.repositoryPrefix}${repository}` };
}

/**
 * Turns a non-2xx response into the error to throw. The registry's own error text goes to `detail` only: the
 * message is what the pod's author reads, and a host that is not a registry must not be read through the guard.
 */
export async function statusError(response: Response, endpoint: Endpoint, what: string, signal: AbortSignal): Promise<RegistryError> {
  const status = response.status;
  let detail = '';
  try {
    const body = await readCapped(response, 16 * 1024, signal, endpoint.registry, what);
    const doc: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
    const first = typeof doc === 'object' && doc !== null && 'errors' in doc && Array.isArray(doc.errors) ? (doc.errors[0] as unknown) : undefined;
    if (typeof first === 'object' && first !== null) {
      const code = 'code' in first && typeof first.code === 'string' ? first.code : '';
      const message = 'message' in first && typeof first.message === 'string' ? first.message : '';
      detail = [code, message].filter((s) => s !== '').join(': ').slice(0, 200);
    }
  } catch {
    // no readable registry error body: the status says enough
  }
  const via = endpoint.mirrored ? ` via mirror ${endpoint.host}` : '';
  const e = (code: ConstructorParameters<typeof RegistryError>[0], msg: string): RegistryError =>
    new RegistryError(code, endpoint.registry, `${msg}${via}`, { status, detail });
  if (status === 401 || status === 403) return e('unauthorized', `access to ${what} was refused (${status}); check the pull secret or docker config credentials for this registry`);
  if (status === 404) return e('not-found', `${what} does not exist (404)`);
  if (status === 429) return e('rate-limited', `the registry rate-limits us (429) for ${what}; retry later or use a mirror`);
  if (status >= 500) return e('unavailable', `the registry failed (${status}) on ${what}`);
  return e('bad-response', `unexpected status ${status} for ${what}`);
}

/**
 * A failed connection. Refused, reset, unresolvable, wrong TLS and refused by the egress policy read alike ("cannot
 * reach"): told apart, they would make the webhook a port and DNS scanner for whoever creates a Pod. The socket
 * error code is the operator's `detail`.
 */
function networkError(err: unknown, signal: AbortSignal, endpoint: Endpoint, url: string, what: string): RegistryError {
  if (signal.aborted) return new RegistryError('timeout', endpoint.registry, `the deadline passed while requesting ${what}`, { cause: err });
  const code = errorCode(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : '';
  const detail = `${code ?? 'network error'} for ${describeUrl(url)}${cause !== '' ? `: ${cause}` : ''}`;
  const tls = code !== undefined && /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(code);
  const errorClass = code === 'EGRESS_REFUSED' ? 'forbidden' : tls ? 'tls' : 'unavailable';
  const hint = tls ? '; configure its CA, or list it as an insecure registry if it speaks plain HTTP' : '';
  return new RegistryError(errorClass, endpoint.registry, `cannot reach ${endpoint.host} for ${what}`, { cause: err, detail: `${detail}${hint}` });
}

function isReset(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && RESET_CODES.has(code);
}

/** Retry-After in ms: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const when = Date.parse(v);
  return Number.isNaN(when) ? undefined : Math.max(0, when - now);
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
