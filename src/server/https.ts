import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type express from 'express';
import type { TlsPair } from './tls/pair.js';

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  /**
   * Serves `pair` to new TLS handshakes, with the same ciphers and client certificate CA; established connections
   * keep the certificate they negotiated.
   */
  setCertificate(pair: TlsPair): void;
  /**
   * Stops accepting connections and lets in-flight requests finish: every response from now on carries
   * `Connection: close`, idle keep-alive connections are closed at once, and whatever is still open after `graceMs`
   * is cut. Resolves when the last connection has closed.
   */
  close(graceMs?: number): Promise<void>;
  /** Requests being answered right now. */
  inFlight(): number;
}

const IN_FLIGHT = Symbol('distroless-guard.response-in-flight');

/** A connection, with the response being written on it (HTTP/1.1: one at a time). */
interface TrackedSocket extends TLSSocket {
  [IN_FLIGHT]?: ServerResponse | undefined;
}

/** The longest webhook timeout (30 s) plus slack: what an in-flight review may take at most. */
export const DEFAULT_DRAIN_MS = 32_000;

/**
 * The timeouts chosen for kube-apiserver, which keeps HTTP/1.1 connections alive between reviews. Only idle
 * keep-alive connections may last long; a peer that is slow to shake hands or to send its headers holds a socket
 * (and a slot of maxConnections) for a few seconds at most.
 */
export const SERVER_TIMEOUTS = {
  /** The TLS handshake: kube-apiserver completes it in milliseconds (Node's default is 120 s). */
  handshakeMs: 10_000,
  /** From a request's first byte to the end of its headers: a few kilobytes sent at once by kube-apiserver. */
  headersMs: 10_000,
  /** A whole request, body included: the longest webhook timeout (30 s) plus slack; the API server gives up then. */
  requestMs: DEFAULT_DRAIN_MS,
  /**
   * An idle kept-alive connection: as long as Go's transport (kube-apiserver's) keeps its idle ones, so the client
   * rather than the server ends them (a server closing first races with the next review being sent), and no review
   * pays for a new handshake. Each idle connection holds a socket, which maxConnections bounds.
   */
  keepAliveMs: 90_000,
  /** How often Node checks headersMs and requestMs (its default, 30 s, would let headers trickle for 40 s). */
  checkIntervalMs: 1_000,
} as const;

/** Connections at once: replicas of kube-apiserver keep a few each, plus kubelet probes and Prometheus. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/**
 * TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AEAD encryption only; no RSA key exchange, no CBC, no
 * SHA-1 MACs. Go's crypto/tls (kube-apiserver) offers all of these. TLS 1.3 suites are Node's defaults, all AEAD.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface HttpsOptions {
  /**
   * PEM of the CA that signs kube-apiserver's client certificate. When set, every handshake asks for a client
   * certificate and the socket's `authorized` says whether one signed by this CA came; the handshake itself never
   * fails for lack of one (kubelet probes and Prometheus present none): the app decides per route.
   */
  readonly clientCaPem?: string | undefined;
  /** Connections accepted at once; more are closed at once (default DEFAULT_MAX_CONNECTIONS). */
  readonly maxConnections?: number;
}

/** The secure context of every handshake, at start and after each certificate reload alike. */
function secureContextOptions(pair: TlsPair, clientCaPem: string | undefined): SecureContextOptions {
  return {
    cert: pair.cert,
    key: pair.key,
    minVersion: 'TLSv1.2',
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
    ...(clientCaPem === undefined ? {} : { ca: clientCaPem }),
  };
}

/** HTTPS for kube-apiserver: timeouts of SERVER_TIMEOUTS, at most maxConnections, strong TLS only. */
export async function startHttpsServer(
  app: express.Express,
  pair: TlsPair,
  listen: { port: number; host: string },
  options: HttpsOptions = {},
): Promise<RunningServer> {
  const { clientCaPem } = options;
  const server = createServer(
    {
      ...secureContextOptions(pair, clientCaPem),
      ...(clientCaPem === undefined ? {} : { requestCert: true, rejectUnauthorized: false }),
      handshakeTimeout: SERVER_TIMEOUTS.handshakeMs,
      connectionsCheckingInterval: SERVER_TIMEOUTS.checkIntervalMs,
    },
    app,
  );
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveMs;
  server.headersTimeout = SERVER_TIMEOUTS.headersMs;
  server.requestTimeout = SERVER_TIMEOUTS.requestMs;
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  // In-flight responses are found through their connections (kube-apiserver keeps a few alive for thousands of
  // reviews): a set of responses, added to and deleted from on every review, churned hash tables into old-space
  // garbage, so only connections are kept in a set and each one's response in flight sits on its socket.
  const connections = new Set<TrackedSocket>();
  let inFlight = 0;
  let closing = false;
  // kube-apiserver reuses connections: once closing, each response tells it to open its next one elsewhere (another
  // replica), and the connection is closed as soon as it falls idle.
  const closeAfter = (res: ServerResponse): void => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  server.on('secureConnection', (socket: TrackedSocket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  server.prependListener('request', (req, res) => {
    const socket = req.socket as TrackedSocket;
    socket[IN_FLIGHT] = res;
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (socket[IN_FLIGHT] === res) socket[IN_FLIGHT] = undefined;
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    if (closing) closeAfter(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closed: Promise<void> | undefined;
  return {
    server,
    port: (server.address() as AddressInfo).port,
    setCertificate(next) {
      server.setSecureContext(secureContextOptions(next, clientCaPem));
    },
    inFlight: () => inFlight,
    close(graceMs = DEFAULT_DRAIN_MS) {
      closing = true;
      for (const socket of connections) {
        const res = socket[IN_FLIGHT];
        if (res !== undefined) closeAfter(res);
      }
      closed ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
