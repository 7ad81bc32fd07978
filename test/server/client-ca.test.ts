import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startServe } from '../../src/cli/serve.js';
import { UsageError } from '../../src/cli/io.js';
import { compilePolicies } from '../../src/policy/compile.js';
import { noInspection } from '../../src/review/facts-source.js';
import { staticNamespaces } from '../../src/review/namespace-directory.js';
import { createApp } from '../../src/server/app.js';
import { startHttpsServer, type RunningServer } from '../../src/server/https.js';
import { generateCertificates, serviceDnsNames, type GeneratedCertificates } from '../../src/server/tls/generate.js';
import { parseTlsPair } from '../../src/server/tls/pair.js';
import { generateClientCa, type ClientCa } from '../support/client-certs.js';
import { apiserverClient, type ClientIdentity } from '../support/https-client.js';
import { parseExposition } from '../support/prometheus.js';
import { podReview, podSpec } from '../support/reviews.js';
import { startTestServer, type TestServer } from '../support/serve-fixture.js';

/**
 * The attack: anyone on the pod network POSTs a forged AdmissionReview (to learn the policies, or to make the guard
 * fetch images). With --client-ca-file only kube-apiserver, holding a client certificate of that CA, gets reviews.
 */
let server: TestServer;
let clientCa: ClientCa;
let apiserver: ClientIdentity;
let stranger: ClientIdentity;
let impostor: ClientIdentity;
const review = JSON.stringify(podReview(podSpec('gcr.io/distroless/static:nonroot'), { uid: 'forged-or-not' }));

before(async () => {
  const otherCa = await generateClientCa('some other CA');
  // Same subject as the real CA: verification is by signature, not by name.
  const lookalikeCa = await generateClientCa('kube-apiserver client CA');
  clientCa = await generateClientCa('kube-apiserver client CA');
  [apiserver, stranger, impostor] = await Promise.all([clientCa.issue('kube-apiserver'), otherCa.issue('kube-apiserver'), lookalikeCa.issue('kube-apiserver')]);
  server = await startTestServer({
    files: { 'client-ca.crt': clientCa.caCertPem },
    args: (dir) => ['--client-ca-file', join(dir, 'client-ca.crt'), '--offline'],
  });
});
after(() => server?.close());

/** The admissions answered so far, from /metrics (open without a certificate, as Prometheus scrapes it). */
async function admissionsAnswered(): Promise<number> {
  const metrics = await server.client.get('/metrics');
  assert.equal(metrics.status, 200);
  return [...parseExposition(metrics.body)].filter(([key]) => key.startsWith('distroless_guard_admission_requests_total')).reduce((sum, [, n]) => sum + n, 0);
}

/** POSTs the review over a connection of its own, presenting `identity` (or nothing). */
async function post(path: string, identity?: ClientIdentity) {
  const client = apiserverClient(server.serve.port, await serverCa(), identity);
  try {
    return await client.post(path, review);
  } finally {
    client.close();
  }
}
const serverCa = () => readFile(server.serve.caPath ?? '', 'utf8');

describe('--client-ca-file: only kube-apiserver may ask for reviews', () => {
  const refused: Array<[string, () => ClientIdentity | undefined, string]> = [
    ['a review without a client certificate', () => undefined, '/validate'],
    ['a mutation review without a client certificate', () => undefined, '/mutate'],
    ['a review with a certificate of another CA', () => stranger, '/validate'],
    ['a review with a certificate of a CA that only has the same name', () => impostor, '/validate'],
  ];
  for (const [name, identity, path] of refused) {
    it(`${name} gets 401 and no review happens`, async () => {
      const before = await admissionsAnswered();
      const res = await post(path, identity());
      assert.equal(res.status, 401);
      assert.deepEqual(res.json, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: 401,
        reason: 'Unauthorized',
        message: "admission requests need a client certificate signed by the webhook's client CA",
      });
      assert.equal(await admissionsAnswered(), before);
    });
  }

  it('a review with a certificate the client CA signed gets its AdmissionReview answer', async () => {
    const before = await admissionsAnswered();
    const res = await post('/validate', apiserver);
    assert.equal(res.status, 200);
    const body = res.json as { kind: string; response: { uid: string; allowed: boolean } };
    assert.equal(body.kind, 'AdmissionReview');
    assert.equal(body.response.uid, 'forged-or-not');
    assert.equal(typeof body.response.allowed, 'boolean');
    assert.equal(await admissionsAnswered(), before + 1);
  });

  for (const path of ['/healthz', '/readyz', '/metrics']) {
    it(`${path} answers without a client certificate (kubelet probes, Prometheus)`, async () => {
      const client = apiserverClient(server.serve.port, await serverCa());
      try {
        assert.equal((await client.get(path)).status, 200);
      } finally {
        client.close();
      }
    });
  }
});

describe('--client-ca-file usage errors', () => {
  const io = (cwd: string) => ({ stdout: new PassThrough(), stderr: new PassThrough(), env: {}, cwd });
  it('a missing file refuses to start', async () => {
    await assert.rejects(startServe(['--port', '0', '--client-ca-file', join(server.dir, 'absent.crt'), '--offline'], io(server.dir)), (err: unknown) => {
      return err instanceof UsageError && /--client-ca-file .*absent\.crt cannot be read/.test(err.message);
    });
  });
  it('a file that is no certificate refuses to start (TLS would take it and trust nothing)', async () => {
    await writeFile(join(server.dir, 'not-a-cert.pem'), 'hello\n');
    await assert.rejects(startServe(['--port', '0', '--client-ca-file', join(server.dir, 'not-a-cert.pem'), '--offline'], io(server.dir)), (err: unknown) => {
      return err instanceof UsageError && /--client-ca-file .*not-a-cert\.pem is not a PEM certificate/.test(err.message);
    });
  });
});

describe('a reloaded serving certificate keeps client verification', () => {
  let running: RunningServer;
  let first: GeneratedCertificates;
  let second: GeneratedCertificates;
  before(async () => {
    const names = { dnsNames: serviceDnsNames('distroless-guard', 'distroless-guard'), ipAddresses: [] };
    [first, second] = await Promise.all([generateCertificates(names), generateCertificates(names)]);
    const app = createApp({
      review: { policies: () => compilePolicies([], { guardNamespace: 'distroless-guard' }), namespaces: staticNamespaces(), facts: noInspection },
      logger: pino({ level: 'silent' }),
      requireClientCertificate: true,
    });
    const pair = (c: GeneratedCertificates) => parseTlsPair(Buffer.from(c.certPem), Buffer.from(c.keyPem), 'test');
    running = await startHttpsServer(app, pair(first), { port: 0, host: '127.0.0.1' }, { clientCaPem: clientCa.caCertPem });
    running.setCertificate(pair(second));
  });
  after(() => running?.close(0));

  const postTo = async (identity?: ClientIdentity) => {
    const client = apiserverClient(running.port, second.caCertPem, identity);
    try {
      return await client.post('/validate', review);
    } finally {
      client.close();
    }
  };
  it('after setCertificate, a review without a client certificate still gets 401', async () => assert.equal((await postTo()).status, 401));
  it('after setCertificate, a review with the client CA certificate still gets 200', async () => assert.equal((await postTo(apiserver)).status, 200));
});
