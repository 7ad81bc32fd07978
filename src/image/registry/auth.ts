/**
 * Registry authentication: anonymous first; on a 401 the WWW-Authenticate challenge decides. Bearer → a token from
 * the realm (anonymous or with basic credentials), cached per registry host + scope + credential until it expires
 * (60 s when the token service names no expiry); Basic → the credentials themselves. An identity token (docker's
 * `identitytoken`, a helper's `<token>` user) is exchanged at the realm as an OAuth2 refresh token (distribution's
 * docs/spec/auth/oauth.md: POST grant_type=refresh_token), and cannot answer a Basic challenge. Tokens and passwords
 * never reach a log line or an error message.
 */
import { createHash } from 'node:crypto';
import { IDENTITY_TOKEN_USERNAME, type RegistryCredential } from '../inspector-types.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { readCapped } from './body.js';
import type { EgressPolicy } from './egress.js';
import { describeUrl, RegistryError } from './errors.js';
import { connectionKind, errorCode, type Dispatchers } from './connections.js';

const DEFAULT_TOKEN_SECONDS = 60;
/** Renew a little before expiry so a token does not die in flight. */
const EXPIRY_MARGIN_MS = 5_000;
const MAX_TOKENS = 1_000;
const MAX_TOKEN_RESPONSE_BYTES = 1 << 20;

export interface AuthTarget {
  /** Registry host reported in errors. */
  readonly registry: string;
  /** host[:port] contacted. */
  readonly host: string;
  /** "https://gcr.io": where the registry requests go (decides whether basic credentials may be sent). */
  readonly baseUrl: string;
  /** "repository:library/nginx:pull" */
  readonly scope: string;
  readonly credential: RegistryCredential | undefined;
}

export type Fetch = typeof fetch;

interface CachedToken {
  readonly header: string;
  readonly expiresAt: number;
}

export interface AuthenticatorOptions {
  readonly fetch: Fetch;
  /** Fetch init for the registry's own host and for other hosts (extra CA, egress-checked name resolution). */
  readonly dispatchers: Dispatchers;
  /** Which hosts a token realm may name, and which may receive credentials over plain HTTP. */
  readonly egress: EgressPolicy;
  readonly now?: () => number;
}

export class Authenticator {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  /** The last challenge each host sent, so later requests for new scopes can fetch a token up front. */
  private readonly challenges = new Map<string, Challenge>();
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  /** The Authorization header to send before any challenge, from what we learnt about the host; undefined = anonymous. */
  async headerFor(target: AuthTarget, signal: AbortSignal): Promise<string | undefined> {
    const challenge = this.challenges.get(target.host);
    if (challenge === undefined) return undefined;
    try {
      return await this.answer(challenge, target, signal, false);
    } catch (err) {
      if (signal.aborted) throw err;
      // What the host asked for once may be gone (auth switched off, a proxy's challenge, a token service moved):
      // forget it and ask anonymously; a 401 brings the current challenge, answered with errors that count.
      if (this.challenges.get(target.host) === challenge) this.challenges.delete(target.host);
      return undefined;
    }
  }

  /**
   * Answers a 401. Returns the header to retry with, or throws 'unauthorized' when nothing can be tried
   * (`sentHeader`: what the failed request carried, so a rejected cached token is dropped and fetched again once).
   */
  async onUnauthorized(response: Response, target: AuthTarget, sentHeader: string | undefined, signal: AbortSignal): Promise<string> {
    const header = response.headers.get('www-authenticate') ?? '';
    const challenges = parseChallenges(header);
    const challenge = challenges.find((c) => c.scheme === 'bearer' && c.params['realm'] !== undefined) ?? challenges.find((c) => c.scheme === 'basic');
    if (challenge === undefined) {
      throw new RegistryError('unauthorized', target.registry, `${target.host} refused the request (401) without a usable WWW-Authenticate challenge${this.credentialHint(target)}`, { status: 401 });
    }
    this.challenges.set(target.host, challenge);
    if (sentHeader !== undefined) this.forget(challenge, target);
    const next = await this.answer(challenge, target, signal, true);
    if (next === undefined || next === sentHeader) throw this.refused(target, 401);
    return next;
  }

  /** The error for a request still refused after authenticating. */
  refused(target: AuthTarget, status: number): RegistryError {
    return new RegistryError('unauthorized', target.registry, `${target.host} refused access to ${target.scope} (${status})${this.credentialHint(target)}`, { status });
  }

  private credentialHint(target: AuthTarget): string {
    return target.credential === undefined
      ? ': no credentials are configured for it (add a pull secret or docker config entry)'
      : ': the configured credentials were rejected or lack pull access';
  }

  private async answer(challenge: Challenge, target: AuthTarget, signal: AbortSignal, fromChallenge: boolean): Promise<string | undefined> {
    if (challenge.scheme === 'basic') {
      if (target.credential === undefined || isIdentityToken(target.credential)) return undefined;
      assertCredentialsMaySend(new URL(target.baseUrl), this.options.egress, target.registry);
      return basicHeader(target.credential);
    }
    const realm = challenge.params['realm'];
    if (realm === undefined) return undefined;
    const scope = fromChallenge && challenge.params['scope'] !== undefined && challenge.params['scope'] !== '' ? challenge.params['scope'] : target.scope;
    const key = [target.host, realm, challenge.params['service'] ?? '', scope, fingerprint(target.credential)].join('\n');
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.header;
    let flight = this.pending.get(key);
    if (flight === undefined) {
      flight = this.fetchToken(realm, challenge.params['service'], scope, target, signal).finally(() => this.pending.delete(key));
      this.pending.set(key, flight);
    }
    const token = await flight;
    if (this.tokens.size >= MAX_TOKENS) {
      for (const [k, t] of this.tokens) if (t.expiresAt <= this.now() || this.tokens.size >= MAX_TOKENS) this.tokens.delete(k);
    }
    this.tokens.set(key, token);
    return token.header;
  }

  private forget(challenge: Challenge, target: AuthTarget): void {
    const prefix = `${target.host}\n${challenge.params['realm'] ?? ''}\n`;
    const suffix = `\n${fingerprint(target.credential)}`;
    for (const key of this.tokens.keys()) if (key.startsWith(prefix) && key.endsWith(suffix)) this.tokens.delete(key);
  }

  /**
   * The realm is named by the registry's answer, so by whoever runs that registry: it is held to the egress policy
   * (serve: HTTPS, and a public address unless on the registry's own host), its redirects are not followed, and
   * its URL and body stay out of messages (`detail` only).
   */
  private async fetchToken(realm: string, service: string | undefined, scope: string, target: AuthTarget, signal: AbortSignal): Promise<CachedToken> {
    const tokenService = `the token service of ${target.host}`;
    let url: URL;
    try {
      url = new URL(realm);
    } catch (err) {
      throw new RegistryError('bad-response', target.registry, `${target.host} named an invalid token realm`, { cause: err });
    }
    try {
      this.options.egress.check(url, 'token-realm', target.host);
    } catch (err) {
      throw new RegistryError('forbidden', target.registry, `cannot reach ${tokenService}`, { cause: err, detail: `${describeUrl(url)}: ${err instanceof Error ? err.message : String(err)}` });
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    let form: URLSearchParams | undefined;
    if (target.credential !== undefined && isIdentityToken(target.credential)) {
      assertCredentialsMaySend(url, this.options.egress, target.registry);
      form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: target.credential.password, client_id: 'distroless-guard' });
      if (service !== undefined && service !== '') form.set('service', service);
      if (scope !== '') form.set('scope', scope);
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service !== undefined && service !== '') url.searchParams.set('service', service);
      if (scope !== '') url.searchParams.append('scope', scope);
      if (target.credential !== undefined) {
        assertCredentialsMaySend(url, this.options.egress, target.registry);
        headers['authorization'] = basicHeader(target.credential);
      }
    }
    let response: Response;
    try {
      const init = this.options.dispatchers[connectionKind(this.options.egress, url, target.host)];
      response = await this.options.fetch(url, { ...init, headers, signal, redirect: 'manual', ...(form === undefined ? {} : { method: 'POST', body: form.toString() }) });
    } catch (err) {
      if (signal.aborted) throw new RegistryError('timeout', target.registry, `the deadline passed while getting a token from ${tokenService}`, { cause: err });
      const code = errorCode(err);
      throw new RegistryError(code === 'EGRESS_REFUSED' ? 'forbidden' : 'unavailable', target.registry, `cannot reach ${tokenService}`, { cause: err, detail: `${code ?? 'network error'} for ${describeUrl(url)}` });
    }
    const text = await readSmall(response, signal, target, tokenService);
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError('unauthorized', target.registry, `${tokenService} refused ${target.scope} (${response.status})${this.credentialHint(target)}`, { status: response.status });
    }
    if (!response.ok) {
      throw new RegistryError(response.status >= 500 ? 'unavailable' : 'bad-response', target.registry, `${tokenService} answered ${response.status}`, { status: response.status, detail: describeUrl(url) });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new RegistryError('bad-response', target.registry, `${tokenService} did not answer JSON`, { cause: err, detail: describeUrl(url) });
    }
    const record = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {};
    const token = typeof record['token'] === 'string' && record['token'] !== '' ? record['token'] : record['access_token'];
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError('bad-response', target.registry, `${tokenService} answered without a token`, { detail: describeUrl(url) });
    }
    const seconds = typeof record['expires_in'] === 'number' && record['expires_in'] > 0 ? record['expires_in'] : DEFAULT_TOKEN_SECONDS;
    const lifetime = seconds * 1000;
    return { header: `Bearer ${token}`, expiresAt: this.now() + Math.max(lifetime - EXPIRY_MARGIN_MS, lifetime / 2) };
  }
}

/** Refuses to send credentials in clear text to a host the egress policy does not speak plain HTTP to. */
export function assertCredentialsMaySend(url: URL, egress: EgressPolicy, registry: string): void {
  if (url.protocol === 'https:') return;
  if (egress.plainHttp(url.host)) return;
  throw new RegistryError('unauthorized', registry, `refusing to send credentials over plain HTTP to ${url.host}; use HTTPS or mark it insecure`);
}

function isIdentityToken(cred: RegistryCredential): boolean {
  return cred.username === IDENTITY_TOKEN_USERNAME;
}

function basicHeader(cred: RegistryCredential): string {
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
}

/** A stable, non-reversible identity for cache keys; never the credential itself. */
export function fingerprint(cred: RegistryCredential | undefined): string {
  if (cred === undefined) return 'anonymous';
  // Asked for every request and every cache key of an inspection: a credential object keeps its one hash.
  let known = fingerprints.get(cred);
  if (known === undefined) fingerprints.set(cred, (known = createHash('sha256').update(cred.username).update('\0').update(cred.password).digest('hex').slice(0, 32)));
  return known;
}

const fingerprints = new WeakMap<RegistryCredential, string>();

async function readSmall(response: Response, signal: AbortSignal, target: AuthTarget, what: string): Promise<string> {
  const bytes = await readCapped(response, MAX_TOKEN_RESPONSE_BYTES, signal, target.registry, what);
  return Buffer.from(bytes).toString('utf8');
}
