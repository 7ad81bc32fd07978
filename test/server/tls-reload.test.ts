import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type TLSSocket } from 'node:tls';
import { startServe, type ServeHandle } from '../../src/cli/serve.js';
import { generateCertificates, serviceDnsNames, type GeneratedCertificates } from '../../src/server/tls/generate.js';
import { apiserverClient, SERVICE_DNS_NAME } from '../support/https-client.js';
import { podReview, podSpec } from '../support/reviews.js';

/** cert-manager rotation: the Secret's files change on disk while kube-apiserver holds keep-alive connections. */
let dir: string;
let serve: ServeHandle;
let first: GeneratedCertificates;
let second: GeneratedCertificates;
const logLines: string[] = [];
const certPath = () => join(dir, 'tls.crt');
const keyPath = () => join(dir, 'tls.key');

async function writePair(cert: string, key: string): Promise<void> {
  // As kubelet's atomic writer does for a Secret volume: the new content appears at once.
  await writeFile(`${certPath()}.new`, cert);
  await writeFile(`${keyPath()}.new`, key);
  await rename(`${keyPath()}.new`, keyPath());
  await rename(`${certPath()}.new`, certPath());
}

async function logged(pattern: RegExp, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = logLines.find((l) => pattern.test(l));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A fresh TLS handshake as kube-apiserver does it; resolves with the served leaf's fingerprint or the error code. */
function handshake(ca: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: serve.port, ca, servername: SERVICE_DNS_NAME }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? 'none');
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-tls-reload-'));
  const names = { dnsNames: serviceDnsNames('distroless-guard', 'distroless-guard'), ipAddresses: [] };
  [first, second] = await Promise.all([generateCertificates(names), generateCertificates(names)]);
  await writePair(first.certPem, first.keyPem);
  const logs = new PassThrough();
  logs.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().split('\n').filter(Boolean)));
  serve = await startServe(
    [
      '--port',
      '0',
      '--metrics-port',
      '0',
      '--host',
      '127.0.0.1',
      '--tls-cert',
      certPath(),
      '--tls-key',
      keyPath(),
      '--tls-reload-interval',
      '50ms',
      '--offline',
    ],
    {
      stdout: logs,
      stderr: new PassThrough(),
      env: {},
      cwd: dir,
    },
  );
});
after(async () => {
  await serve.close();
  await rm(dir, { recursive: true, force: true });
});

describe('serving certificate reload from disk', () => {
  it('a kept-alive connection keeps working across the swap; new connections get the new certificate', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: first.caCertPem, servername: SERVICE_DNS_NAME });
    const review = JSON.stringify(podReview(podSpec('gcr.io/distroless/static:nonroot')));
    const post = () =>
      new Promise<{ status: number; socket: TLSSocket; reused: boolean; peer: string | undefined }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: serve.port,
            path: '/validate',
            method: 'POST',
            agent,
            servername: SERVICE_DNS_NAME,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            const socket = res.socket as TLSSocket;
            const peer = socket.getPeerCertificate().fingerprint256 as string | undefined;
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, socket, reused: req.reusedSocket, peer }));
          },
        );
        req.on('error', reject);
        req.end(review);
      });
    try {
      const before = await post();
      assert.equal(before.status, 200);
      assert.equal(before.peer, fingerprint(first.certPem));

      await writePair(second.certPem, second.keyPem);
      assert.match(await logged(/serving certificate reloaded/), new RegExp(fingerprint(second.certPem)));

      const during = await post();
      assert.equal(during.status, 200);
      assert.equal(during.reused, true, 'the same keep-alive connection');
      assert.equal(during.socket, before.socket);
      assert.equal(during.peer, fingerprint(first.certPem), 'which keeps the certificate it negotiated');
      assert.equal(await handshake(second.caCertPem), fingerprint(second.certPem), 'a new connection sees the new certificate');
      assert.equal(await handshake(first.caCertPem), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'and no longer the old one');
    } finally {
      agent.destroy();
    }
  });

  it('garbage, or a key that does not match, is logged as an error and the current pair is kept', async () => {
    await writePair('-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n', second.keyPem);
    assert.match(await logged(/cannot use the new certificate and key: keeping the current ones/), /not a PEM X\.509 certificate/);
    assert.equal(await handshake(second.caCertPem), fingerprint(second.certPem));
    // and admissions go on being answered over new connections, with the pair kept
    const client = apiserverClient(serve.port, second.caCertPem);
    try {
      const reply = await client.post('/validate', JSON.stringify(podReview(podSpec('gcr.io/distroless/static:nonroot'))));
      assert.equal(reply.status, 200, reply.body);
    } finally {
      client.close();
    }

    await writePair(first.certPem, second.keyPem);
    assert.match(await logged(/does not belong to the certificate/), /"level":50/);
    assert.equal(await handshake(second.caCertPem), fingerprint(second.certPem));

    const metrics = await serve.metrics.render();
    assert.match(metrics, /^distroless_guard_tls_reloads_total\{result="success"\} 1$/m);
    assert.match(metrics, /^distroless_guard_tls_reloads_total\{result="error"\} 2$/m);
  });
});
