import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { compilePolicies } from '../../src/policy/compile.js';
import { noInspection } from '../../src/review/facts-source.js';
import { staticNamespaces } from '../../src/review/namespace-directory.js';
import { createApp } from '../../src/server/app.js';
import { SERVER_TIMEOUTS, startHttpsServer, type RunningServer } from '../../src/server/https.js';
import { generateCertificates, serviceDnsNames, type GeneratedCertificates } from '../../src/server/tls/generate.js';
import { parseTlsPair } from '../../src/server/tls/pair.js';
import { SERVICE_DNS_NAME } from '../support/https-client.js';

/** The real HTTPS server of `serve`, with a small connection cap so the cap can be reached in a test. */
const MAX_CONNECTIONS = 3;
let certs: GeneratedCertificates;
let running: RunningServer;

before(async () => {
  certs = await generateCertificates({ dnsNames: serviceDnsNames('distroless-guard', 'distroless-guard'), ipAddresses: [] });
  const app = createApp({
    review: { policies: () => compilePolicies([], { guardNamespace: 'distroless-guard' }), namespaces: staticNamespaces(), facts: noInspection },
    logger: pino({ level: 'silent' }),
  });
  const pair = parseTlsPair(Buffer.from(certs.certPem), Buffer.from(certs.keyPem), 'test');
  running = await startHttpsServer(app, pair, { port: 0, host: '127.0.0.1' }, { maxConnections: MAX_CONNECTIONS });
});
after(() => running?.close(0));

/** A TLS handshake as a client configured with `options`; resolves with the negotiated cipher or the error. */
function handshake(options: ConnectionOptions): Promise<{ ok: true; cipher: string; version: string | null } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: running.port, ca: certs.caCertPem, servername: SERVICE_DNS_NAME, ...options }, () => {
      resolve({ ok: true, cipher: socket.getCipher().name, version: socket.getProtocol() });
      socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code ?? err.message }));
  });
}

describe('TLS 1.2 offers forward-secret AEAD suites only; TLS 1.3 is untouched', () => {
  const refused: Array<[string, string]> = [
    ['AES128-SHA (RSA key exchange, CBC, SHA-1)', 'AES128-SHA'],
    ['AES128-GCM-SHA256 (RSA key exchange: no forward secrecy)', 'AES128-GCM-SHA256'],
    ['ECDHE-RSA-AES128-SHA (CBC with SHA-1)', 'ECDHE-RSA-AES128-SHA'],
    ['ECDHE-RSA-AES256-SHA384 (CBC)', 'ECDHE-RSA-AES256-SHA384'],
  ];
  for (const [name, ciphers] of refused) {
    it(`a TLS 1.2 client offering only ${name} fails the handshake`, async () => {
      const result = await handshake({ ciphers, maxVersion: 'TLSv1.2' });
      assert.equal(result.ok, false, `negotiated ${JSON.stringify(result)}`);
    });
  }
  const accepted: Array<[string, string]> = [
    ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
    ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
    ['ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ];
  for (const [name, ciphers] of accepted) {
    it(`a TLS 1.2 client offering ${name} connects with it`, async () => {
      assert.deepEqual(await handshake({ ciphers, maxVersion: 'TLSv1.2' }), { ok: true, cipher: name, version: 'TLSv1.2' });
    });
  }
  it('a TLS 1.3 client connects with a TLS 1.3 suite', async () => {
    const result = await handshake({ minVersion: 'TLSv1.3' });
    assert.equal(result.ok && result.version, 'TLSv1.3');
  });
  it("the server's order wins: a client preferring ChaCha20 gets AES-GCM when it offers both", async () => {
    const result = await handshake({ ciphers: 'ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' });
    assert.equal(result.ok && result.cipher, 'ECDHE-RSA-AES128-GCM-SHA256');
  });
});

/** Resolves with the milliseconds from now until `socket` closes, or rejects after `boundMs`. */
function closedWithin(socket: { once(event: 'close', listener: () => void): unknown }, boundMs: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${boundMs} ms`)), boundMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

// Both wait for a 10 s timeout: run side by side.
describe('slow peers are cut off', { concurrency: true }, () => {
  it('a client that connects and never starts the TLS handshake is disconnected after the handshake timeout', async () => {
    const socket = connectTcp({ host: '127.0.0.1', port: running.port });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const ms = await closedWithin(socket, SERVER_TIMEOUTS.handshakeMs + 5_000);
    assert.ok(ms >= SERVER_TIMEOUTS.handshakeMs - 500, `closed after ${ms.toFixed(0)} ms`);
    socket.destroy();
  });

  it('a client that completes TLS but trickles its headers gets 408 and is cut after the headers timeout', async () => {
    const socket: TLSSocket = await new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: running.port, ca: certs.caCertPem, servername: SERVICE_DNS_NAME }, () => resolve(s));
      s.once('error', reject);
    });
    socket.on('error', () => undefined);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = closedWithin(socket, SERVER_TIMEOUTS.headersMs + 5_000);
    let open = true;
    void closed.finally(() => {
      open = false;
    });
    socket.write('POST /validate HTTP/1.1\r\nHost: distroless-guard.distroless-guard.svc\r\n');
    // One header line every half second: each byte resets an idle timer, not the headers timeout.
    const trickle = (async () => {
      for (let i = 0; open; i++) {
        await sleep(500);
        if (open) socket.write(`X-Slow-${i}: x\r\n`);
      }
    })();
    const ms = await closed;
    await trickle;
    assert.ok(ms >= SERVER_TIMEOUTS.headersMs - 500, `closed after ${ms.toFixed(0)} ms`);
    assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1\.1 408 /);
  });
});

describe('connections beyond maxConnections are refused', () => {
  it(`with a cap of ${MAX_CONNECTIONS}, one more connection is closed before its handshake; a freed slot is usable again`, async () => {
    const open: TLSSocket[] = [];
    const established = (): Promise<TLSSocket> =>
      new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: running.port, ca: certs.caCertPem, servername: SERVICE_DNS_NAME }, () => resolve(s));
        s.once('error', reject);
      });
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) open.push(await established());
      const over = await handshake({});
      assert.equal(over.ok, false, 'the connection over the cap is refused');
      const first = open.shift();
      first?.destroy();
      // The server counts the closed connection down once it sees the close.
      for (let i = 0; i < 50 && (await new Promise<number>((r) => running.server.getConnections((_e, n) => r(n)))) >= MAX_CONNECTIONS; i++) await sleep(20);
      assert.equal((await handshake({})).ok, true, 'a freed slot takes a new connection');
    } finally {
      for (const s of open) s.destroy();
    }
  });
});
