/**
 * A Docker token server (distribution's "token" auth, docs/spec/auth/token.md) on 127.0.0.1: GET
 * /token?service=...&scope=repository:NAME:pull,push answers {token, access_token, expires_in, issued_at} with an
 * RS256 JWT whose header carries the signing certificate in `x5c`; the registry trusts that certificate through its
 * `rootcertbundle`. Anonymous callers get `pull` on public repositories only; callers with the right basic
 * credentials get every action they ask for; wrong credentials get 401. With `refreshToken`, POST /token with the
 * OAuth2 form `grant_type=refresh_token&refresh_token=…` (distribution's docs/spec/auth/oauth.md: how docker uses
 * an identity token) identifies the same user. The key and certificate are generated at
 * start and written only to the temp dir the caller passes.
 */
import { createPrivateKey, createSign, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import forge from 'node-forge';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface Access {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

export interface TokenRequest {
  readonly account: string | null;
  readonly service: string | null;
  readonly scopes: readonly string[];
  /** 200, or 401 for bad credentials. */
  readonly status: number;
  /** `refresh_token` for an OAuth2 POST; absent for a GET. */
  readonly grantType?: string;
  readonly granted: readonly Access[];
}

export interface TokenServerOptions {
  readonly credentials: Credentials;
  /** Repositories anonymous callers may pull. Default: names starting with "public/". */
  readonly isPublic?: RegExp | ((repository: string) => boolean);
  readonly service?: string;
  readonly issuer?: string;
  /** Token lifetime; default 300 s. */
  readonly ttlSeconds?: number;
  /** Leave `expires_in` out of the answer (clients must then assume 60 s). */
  readonly omitExpiresIn?: boolean;
  /** An identity token POST /token accepts (grant_type=refresh_token) as the user of `credentials`. */
  readonly refreshToken?: string;
}

export interface TokenServer {
  /** The realm to configure in the registry, e.g. "http://127.0.0.1:PORT/token". */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the self-signed certificate that signs the tokens (the registry's rootcertbundle). */
  readonly certificatePem: string;
  requests(): readonly TokenRequest[];
  /** Lets the process exit while the server is up. */
  unref(): void;
  stop(): Promise<void>;
}

interface SigningMaterial {
  readonly privateKeyPem: string;
  readonly certificatePem: string;
  readonly certificateDer: Buffer;
}

/** RSA-2048 key from node:crypto (fast); node-forge only wraps it in a self-signed X.509 certificate. */
export function generateSigningMaterial(commonName: string): SigningMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // A positive serial: a leading 0x00..0x7f byte keeps the DER integer positive.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + 24 * 60 * 60 * 1000);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(cert);
  const certificateDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { privateKeyPem, certificatePem, certificateDer };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function signJwt(claims: object, material: SigningMaterial): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c: [material.certificateDer.toString('base64')] };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(createPrivateKey(material.privateKeyPem));
  return `${input}.${base64url(signature)}`;
}

/** "repository:team/app:pull,push" → Access; null for scopes this server does not understand. */
export function parseScope(scope: string): Access | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((action) => action !== '');
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

function equalSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

type Caller = { kind: 'anonymous' } | { kind: 'user'; account: string } | { kind: 'rejected' };

function identify(req: IncomingMessage, credentials: Credentials): Caller {
  const header = req.headers.authorization;
  if (header === undefined) return { kind: 'anonymous' };
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (match?.[1] === undefined) return { kind: 'rejected' };
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (colon < 0 || !equalSecret(username, credentials.username) || !equalSecret(password, credentials.password)) {
    return { kind: 'rejected' };
  }
  return { kind: 'user', account: username };
}

function grant(caller: Caller, requested: readonly Access[], isPublic: (name: string) => boolean): Access[] {
  const granted: Access[] = [];
  for (const access of requested) {
    if (access.type !== 'repository') continue;
    const actions =
      caller.kind === 'user'
        ? access.actions.filter((action) => ['pull', 'push', 'delete', '*'].includes(action))
        : isPublic(access.name)
          ? access.actions.filter((action) => action === 'pull')
          : [];
    if (actions.length > 0) granted.push({ type: access.type, name: access.name, actions });
  }
  return granted;
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers });
  res.end(payload);
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const service = options.service ?? 'dg-test-registry';
  const issuer = options.issuer ?? 'dg-test-token-issuer';
  const ttl = options.ttlSeconds ?? 300;
  const pattern = options.isPublic ?? /^public\//;
  const isPublic = typeof pattern === 'function' ? pattern : (name: string) => pattern.test(name);
  const material = generateSigningMaterial(issuer);
  const log: TokenRequest[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname === '/token' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const token = form.get('refresh_token');
        const valid =
          form.get('grant_type') === 'refresh_token' && token !== null && options.refreshToken !== undefined && equalSecret(token, options.refreshToken);
        const caller: Caller = valid ? { kind: 'user', account: options.credentials.username } : { kind: 'rejected' };
        answer(res, caller, form.get('service'), (form.get('scope') ?? '').split(' ').filter((scope) => scope !== ''), 'refresh_token');
      });
      return;
    }
    if (url.pathname !== '/token' || req.method !== 'GET') {
      sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'GET /token only' }] });
      return;
    }
    const scopes = url.searchParams.getAll('scope').flatMap((scope) => scope.split(' '));
    answer(res, identify(req, options.credentials), url.searchParams.get('service'), scopes);
  });

  function answer(res: ServerResponse, caller: Caller, requestedService: string | null, scopes: string[], grantType?: string): void {
    const account = caller.kind === 'user' ? caller.account : null;
    const via = grantType === undefined ? {} : { grantType };
    if (caller.kind === 'rejected') {
      log.push({ account, service: requestedService, scopes, status: 401, granted: [], ...via });
      sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }, {
        'www-authenticate': 'Basic realm="dg-test-token"',
      });
      return;
    }
    const requested = scopes.map(parseScope).filter((access): access is Access => access !== null);
    const granted = grant(caller, requested, isPublic);
    log.push({ account, service: requestedService, scopes, status: 200, granted, ...via });
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(
      {
        iss: issuer,
        sub: account ?? '',
        aud: service,
        exp: now + ttl,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(16).toString('hex'),
        access: granted,
      },
      material,
    );
    const issuedAt = new Date(now * 1000).toISOString();
    sendJson(res, 200, {
      token,
      access_token: token,
      ...(options.omitExpiresIn === true ? {} : { expires_in: ttl }),
      issued_at: issuedAt,
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('token server has no TCP address');

  return {
    realm: `http://127.0.0.1:${address.port}/token`,
    service,
    issuer,
    certificatePem: material.certificatePem,
    requests: () => [...log],
    unref() {
      server.unref();
      server.on('connection', (socket) => socket.unref());
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
