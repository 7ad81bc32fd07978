/**
 * The test bed's own registry client, used to push test images and to check what the registry holds. Deliberately
 * independent of src/image/registry so that the code under test is checked against something it does not share.
 * Answers a 401 challenge once: Basic → send the credentials; Bearer → fetch a token from the realm (with the
 * credentials when there are any) for the challenged scope, cache it per scope, retry.
 */
import { createHash } from 'node:crypto';
import type { Credentials } from './token-server.js';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface RegistryResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

export interface RegistryRequestInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

export interface RegistryClient {
  readonly host: string;
  /** `path` starts with "/v2/"; an absolute URL (an upload Location) is used as is. */
  request(path: string, init?: RegistryRequestInit): Promise<RegistryResponse>;
  blobExists(repository: string, digest: string): Promise<boolean>;
  /** Monolithic upload: POST /blobs/uploads/, then PUT <location>?digest=. Skips blobs already present. */
  uploadBlob(repository: string, digest: string, data: Uint8Array): Promise<void>;
  putManifest(repository: string, reference: string, mediaType: string, data: Uint8Array): Promise<string>;
  getManifest(repository: string, reference: string, accept?: string): Promise<RegistryResponse>;
  headManifest(repository: string, reference: string, accept?: string): Promise<RegistryResponse>;
  /** GET a blob and check that its bytes hash to the digest. */
  getBlob(repository: string, digest: string): Promise<Buffer>;
}

export interface RegistryClientOptions {
  readonly credentials?: Credentials;
}

export class RegistryRequestError extends Error {
  readonly status: number;
  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegistryRequestError';
    this.status = status;
  }
}

export function sha256Digest(data: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`) into its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const match of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) {
    if (match[1] !== undefined && match[2] !== undefined) params[match[1]] = match[2];
  }
  return { scheme, params };
}

/** fetch wants ArrayBuffer-backed bytes; ours always are (never a SharedArrayBuffer), so view them without copying. */
function bodyView(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

function basicHeader(credentials: Credentials): string {
  return 'Basic ' + Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
}

export function createRegistryClient(host: string, options: RegistryClientOptions = {}): RegistryClient {
  const base = `http://${host}`;
  const tokens = new Map<string, string>();
  let basicNeeded = false;

  async function fetchToken(params: Record<string, string>): Promise<string> {
    const realm = params['realm'];
    if (realm === undefined) throw new Error('Bearer challenge without realm');
    const url = new URL(realm);
    if (params['service'] !== undefined) url.searchParams.set('service', params['service']);
    if (params['scope'] !== undefined) for (const scope of params['scope'].split(' ')) url.searchParams.append('scope', scope);
    const headers: Record<string, string> =
      options.credentials === undefined ? {} : { authorization: basicHeader(options.credentials) };
    const response = await fetch(url, { headers });
    const text = await response.text();
    if (response.status !== 200) throw new RegistryRequestError(`token request: ${response.status} ${text}`, response.status);
    const body = JSON.parse(text) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (token === undefined) throw new Error('token answer without token');
    return token;
  }

  function authorization(scope: string | undefined): string | undefined {
    if (basicNeeded && options.credentials !== undefined) return basicHeader(options.credentials);
    return scope === undefined ? undefined : tokens.has(scope) ? `Bearer ${tokens.get(scope)}` : undefined;
  }

  async function send(url: URL, init: RegistryRequestInit, auth: string | undefined): Promise<RegistryResponse> {
    const headers: Record<string, string> = { ...init.headers };
    if (auth !== undefined) headers['authorization'] = auth;
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body === undefined ? {} : { body: bodyView(init.body) }),
      redirect: 'follow',
    });
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
  }

  async function request(path: string, init: RegistryRequestInit = {}): Promise<RegistryResponse> {
    const url = new URL(path, base);
    const scopeKey = scopeOf(url.pathname, init.method ?? 'GET');
    const first = await send(url, init, authorization(scopeKey));
    if (first.status !== 401) return first;
    const challenge = first.headers.get('www-authenticate');
    if (challenge === null) return first;
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === 'basic') {
      if (options.credentials === undefined) return first;
      basicNeeded = true;
      return send(url, init, basicHeader(options.credentials));
    }
    if (scheme !== 'bearer') return first;
    const token = await fetchToken(params);
    const key = params['scope'] ?? scopeKey ?? '';
    tokens.set(key, token);
    if (scopeKey !== undefined) tokens.set(scopeKey, token);
    return send(url, init, `Bearer ${token}`);
  }

  function expect(response: RegistryResponse, ok: readonly number[], what: string): RegistryResponse {
    if (!ok.includes(response.status)) {
      throw new RegistryRequestError(`${what}: ${response.status} ${response.body.toString('utf8')}`, response.status);
    }
    return response;
  }

  const client: RegistryClient = {
    host,
    request,
    async blobExists(repository, digest) {
      const response = await request(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
      return response.status === 200;
    },
    async uploadBlob(repository, digest, data) {
      if (await client.blobExists(repository, digest)) return;
      const started = expect(
        await request(`/v2/${repository}/blobs/uploads/`, { method: 'POST' }),
        [202],
        `start upload of ${digest} to ${repository}`,
      );
      const location = started.headers.get('location');
      if (location === null) throw new Error('upload answer without Location');
      const target = new URL(location, base);
      target.searchParams.set('digest', digest);
      expect(
        await request(target.toString(), {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
        }),
        [201],
        `upload ${digest} to ${repository}`,
      );
    },
    async putManifest(repository, reference, mediaType, data) {
      const response = expect(
        await request(`/v2/${repository}/manifests/${reference}`, {
          method: 'PUT',
          headers: { 'content-type': mediaType },
          body: data,
        }),
        [201],
        `put manifest ${repository}:${reference}`,
      );
      const digest = response.headers.get('docker-content-digest') ?? sha256Digest(data);
      if (digest !== sha256Digest(data)) throw new Error(`registry stored ${digest}, expected ${sha256Digest(data)}`);
      return digest;
    },
    getManifest: (repository, reference, accept = MANIFEST_ACCEPT) =>
      request(`/v2/${repository}/manifests/${reference}`, { headers: { accept } }),
    headManifest: (repository, reference, accept = MANIFEST_ACCEPT) =>
      request(`/v2/${repository}/manifests/${reference}`, { method: 'HEAD', headers: { accept } }),
    async getBlob(repository, digest) {
      const response = expect(await request(`/v2/${repository}/blobs/${digest}`), [200], `get blob ${digest}`);
      const actual = sha256Digest(response.body);
      if (actual !== digest) throw new Error(`blob ${digest} hashed to ${actual}`);
      return response.body;
    },
  };
  return client;
}

/** The token scope a request needs, so a token fetched once is reused for the same repository and action. */
function scopeOf(pathname: string, method: string): string | undefined {
  const match = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(pathname);
  if (match?.[1] === undefined) return undefined;
  const write = method !== 'GET' && method !== 'HEAD';
  return `repository:${match[1]}:${write ? 'pull,push' : 'pull'}`;
}
