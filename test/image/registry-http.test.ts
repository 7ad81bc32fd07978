/**
 * The registry client over real sockets (small local servers, not a registry): blob redirects to another origin
 * drop the Authorization header, and HTTPS registries with a private CA need `extraCaPem`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseReference } from '../../src/image/reference/reference.js';
import { createRegistryClient } from '../../src/image/registry/client.js';
import { RegistryError } from '../../src/image/registry/errors.js';
import { generateCertificates } from '../../src/server/tls/generate.js';

const never = new AbortController().signal;
const DATA = Buffer.from('layer bytes behind a redirect');
const DIGEST = `sha256:${createHash('sha256').update(DATA).digest('hex')}`;
const MANIFEST_DIGEST = `sha256:${'c'.repeat(64)}`;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('blob redirects', () => {
  const seen: Array<{ server: string; url: string; authorization: string | undefined }> = [];
  let storage: Server;
  let registry: Server;
  let registryPort = 0;

  before(async () => {
    storage = createHttpServer((req, res) => {
      seen.push({ server: 'storage', url: req.url ?? '', authorization: req.headers.authorization });
      res.writeHead(200, { 'content-length': String(DATA.length) }).end(DATA);
    });
    const storagePort = await listen(storage);
    const expected = `Basic ${Buffer.from('u:p').toString('base64')}`;
    registry = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push({ server: 'registry', url: req.url ?? '', authorization: req.headers.authorization });
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
        return;
      }
      res.writeHead(307, { location: `http://127.0.0.1:${storagePort}/bucket/blob?X-Amz-Signature=s3cr3t` }).end();
    });
    registryPort = await listen(registry);
  });
  after(async () => Promise.all([close(storage), close(registry)]));

  it('follows a redirect to another origin without sending the credentials there', async () => {
    const client = createRegistryClient({ credentials: () => ({ username: 'u', password: 'p' }) });
    const blob = await client.openBlob(
      parseReference(`127.0.0.1:${registryPort}/app`),
      { mediaType: 'x', digest: DIGEST, size: DATA.length },
      { signal: never },
    );
    const chunks: Buffer[] = [];
    for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
    await blob.verified;
    assert.deepEqual(Buffer.concat(chunks), DATA);
    const toStorage = seen.filter((s) => s.server === 'storage');
    assert.equal(toStorage.length, 1);
    assert.equal(toStorage[0]?.authorization, undefined);
  });
});

describe('HTTPS with a private CA', () => {
  let server: Server;
  let port = 0;
  let caPem = '';

  before(async () => {
    const certs = await generateCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    caPem = certs.caCertPem;
    server = createHttpsServer({ cert: certs.certPem, key: certs.keyPem }, (_req, res) => {
      res.writeHead(200, { 'docker-content-digest': MANIFEST_DIGEST }).end();
    });
    port = await listen(server);
  });
  after(async () => close(server));

  it('fails as tls without the CA, with a hint', async () => {
    const client = createRegistryClient({ mirrors: { 'private.example': `https://127.0.0.1:${port}` } });
    await assert.rejects(client.resolveTag(parseReference('private.example/app:v1'), { signal: never }), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'tls', e.message);
      assert.equal(e.registry, 'private.example');
      assert.match(e.message, /cannot reach 127\.0\.0\.1:\d+/);
      assert.match(e.detail ?? '', /configure its CA/);
      return true;
    });
  });

  it('succeeds with the CA as extraCaPem', async () => {
    const client = createRegistryClient({ mirrors: { 'private.example': `https://127.0.0.1:${port}` }, extraCaPem: caPem });
    const got = await client.resolveTag(parseReference('private.example/app:v1'), { signal: never });
    assert.equal(got.digest, MANIFEST_DIGEST);
  });

  it('refuses a CA bundle with no certificate', () => {
    assert.throws(() => createRegistryClient({ extraCaPem: 'nothing here' }), RegistryError);
  });
});
