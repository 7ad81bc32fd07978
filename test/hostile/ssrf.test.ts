/**
 * Server-side request forgery through a running `serve`: image names, and the redirects and token realms a hostile
 * registry answers with, try to make the guard reach an internal listener (which counts every connection and
 * serves a page that must never come back to the pod's author), and to tell apart refused, reset, unresolvable
 * and wrong-protocol hosts (a port and DNS scanner). Every attack must fail without a single connection to the
 * internal listener, and every failure of a host must read the same.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { generateCertificates } from '../../src/server/tls/generate.js';
import { installTestResolver } from '../support/dns.js';
import { podReview } from '../support/reviews.js';
import { startTestServer, type TestServer } from '../support/serve-fixture.js';
import { strictPolicy } from '../support/policies.js';

const POLICY = strictPolicy();

const SECRET_PAGE = 'INTERNAL-ADMIN-PAGE do-not-leak';
/** The hostile registry's manifest: real, so the guard goes on to fetch its config blob (which is redirected). */
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 2 },
  layers: [],
});
const DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;

/** A listener inside the cluster that no pod may reach through the guard: counts connections, serves a secret. */
let internal: Server;
let internalHits = 0;
let internalPort = 0;
/** A registry run by the attacker, listed (by name) as an insecure registry, so the guard does talk to it. */
let hostile: Server;
let hostilePort = 0;
let hostileMode: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(404).end();
/** Scanner targets: a port that resets every connection, and one that speaks TLS to a plain-HTTP client. */
let resetter: NetServer;
let tlsOnly: TlsServer;
let closedPort = 0;
let server: TestServer;

async function listen(s: NetServer): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as AddressInfo).port;
}

before(async () => {
  const resolver = await installTestResolver();
  resolver.serve('hostile.test');
  resolver.serve('internal.test');
  internal = createHttpServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: SECRET_PAGE, errors: [{ code: 'X', message: SECRET_PAGE }] })),
  );
  internal.on('connection', () => internalHits++);
  internalPort = await listen(internal);
  hostile = createHttpServer((req, res) => hostileMode(req, res));
  hostilePort = await listen(hostile);
  resetter = createNetServer((socket: Socket) => socket.resetAndDestroy());
  const resetPort = await listen(resetter);
  const certs = await generateCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  tlsOnly = createTlsServer({ cert: certs.certPem, key: certs.keyPem }, (socket) => socket.end());
  const tlsPort = await listen(tlsOnly);
  const probe = createNetServer();
  closedPort = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  server = await startTestServer({
    policy: POLICY,
    loopbackRegistries: false,
    args: [
      '--insecure-registry',
      `hostile.test:${hostilePort}`,
      '--insecure-registry',
      `127.0.0.1:${resetPort}`,
      '--insecure-registry',
      `127.0.0.1:${tlsPort}`,
      '--insecure-registry',
      `127.0.0.1:${closedPort}`,
    ],
  });
  scanTargets = { reset: `127.0.0.1:${resetPort}`, tls: `127.0.0.1:${tlsPort}`, closed: `127.0.0.1:${closedPort}` };
});

let scanTargets: { reset: string; tls: string; closed: string } = { reset: '', tls: '', closed: '' };

after(async () => {
  await server?.close();
  for (const s of [internal, hostile, resetter, tlsOnly]) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

type Answer = { allowed: boolean; status?: { message: string }; warnings?: string[] };

async function admit(image: string, dryRun = false): Promise<string> {
  const reply = await server.client.post(
    '/validate?timeout=10s',
    JSON.stringify(podReview({ containers: [{ name: 'app', image }] }, { namespace: 'team-a', dryRun })),
  );
  assert.equal(reply.status, 200, reply.body);
  const answer = (reply.json as { response: Answer }).response;
  assert.equal(answer.allowed, false, 'failurePolicy Fail: an image that cannot be inspected is refused');
  return [answer.status?.message ?? '', ...(answer.warnings ?? [])].join('\n');
}

/** Runs an attack and asserts it never reached the internal listener and never echoed its page. */
async function attack(image: string): Promise<string> {
  const before = internalHits;
  const said = await admit(image);
  assert.equal(internalHits, before, `the internal listener was reached: ${said}`);
  assert.doesNotMatch(said, /INTERNAL-ADMIN-PAGE/);
  return said;
}

describe('SSRF: image names choose hosts, but not internal ones', () => {
  it('a plain-HTTP registry on loopback is not implied in serve: no connection', async () => {
    assert.match(await attack(`127.0.0.1:${internalPort}/x/app:1`), /could not inspect image: .*cannot reach 127\.0\.0\.1:\d+/);
  });
  it('loopback by name (localhost) is refused too', async () => {
    assert.match(await attack(`localhost:${internalPort}/x/app:1`), /cannot reach localhost:\d+/);
  });
  it('a name that resolves to loopback is refused at connect time (the resolved address counts)', async () => {
    assert.match(await attack(`internal.test:${internalPort}/x/app:1`), /cannot reach internal\.test:\d+/);
  });
  it('the same with --dry-run=server: no side channel there either', async () => {
    const before = internalHits;
    await admit(`127.0.0.1:${internalPort}/x/app:1`, true);
    assert.equal(internalHits, before);
  });
});

describe('SSRF: a hostile registry sends the guard elsewhere', () => {
  it('a blob redirect to a plain-HTTP loopback URL is not followed', async () => {
    hostileMode = (req, res) => redirectBlobs(req, res, `http://127.0.0.1:${internalPort}/admin`);
    await attack(`hostile.test:${hostilePort}/x/app@${DIGEST}`);
  });
  it('a blob redirect to an HTTPS name that resolves to loopback is not followed', async () => {
    hostileMode = (req, res) => redirectBlobs(req, res, `https://internal.test:${internalPort}/admin`);
    await attack(`hostile.test:${hostilePort}/x/app@${DIGEST}`);
  });
  it('a manifest redirect is not followed at all (only blobs go to storage)', async () => {
    hostileMode = (_req, res) => res.writeHead(307, { location: `https://internal.test:${internalPort}/manifest` }).end();
    assert.match(await attack(`hostile.test:${hostilePort}/x/app:1`), /unexpected status 307/);
  });
  for (const realm of [`http://127.0.0.1:PORT/token`, `https://internal.test:PORT/token`, `http://hostile.test:PORT/token`]) {
    it(`a token realm at ${realm.replace('PORT', 'internal')} is not asked`, async () => {
      hostileMode = (_req, res) =>
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm.replace('PORT', String(internalPort))}",service="x"` }).end();
      assert.match(await attack(`hostile.test:${hostilePort}/x/app:1`), /cannot reach the token service of hostile\.test:\d+/);
    });
  }
  it("the registry's error text and bodies are not copied into the answer", async () => {
    hostileMode = (_req, res) =>
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: SECRET_PAGE }] }));
    assert.match(await attack(`hostile.test:${hostilePort}/x/app:1`), /tag 1 of hostile\.test:\d+\/x\/app does not exist \(404\)/);
  });
});

describe('no port or DNS scanner: every unreachable host reads alike', () => {
  it('refused, reset, wrong protocol and unresolvable give the same message but for the host', async () => {
    const hosts = [scanTargets.closed, scanTargets.reset, scanTargets.tls, 'nowhere.test:5000'];
    const said = await Promise.all(hosts.map((host) => attack(`${host}/x/app:1`)));
    const shapes = said.map((text, i) => text.replaceAll(hosts[i] ?? '', 'HOST'));
    for (const shape of shapes) assert.equal(shape, shapes[0], `\n${said.join('\n')}`);
    assert.match(shapes[0] ?? '', /cannot reach HOST for tag 1 of HOST\/x\/app/);
  });
});

function redirectBlobs(req: IncomingMessage, res: ServerResponse, location: string): void {
  const url = req.url ?? '';
  if (url.includes('/manifests/')) {
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': DIGEST }).end(MANIFEST);
    return;
  }
  res.writeHead(307, { location }).end();
}
