import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type express from 'express';
import type { TlsPair } from './tls/pair.js';

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  /** Serves `pair` to new TLS handshakes; established connections keep the certificate they negotiated. */
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
 * HTTPS with the timeouts chosen for kube-apiserver: it keeps connections alive between reviews (HTTP/1.1), so idle
 * sockets live 90 s; a request may take up to the maximum webhook timeout (30 s) plus slack.
 */
export async function startHttpsServer(app: express.Express, pair: TlsPair, listen: { port: number; host: string }): Promise<RunningServer> {
  const server = createServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }, app);
  server.keepAliveTimeout = 90_000;
  server.headersTimeout = 32_000;
  server.requestTimeout = 40_000;
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
      server.setSecureContext({ cert: next.cert, key: next.key, minVersion: 'TLSv1.2' });
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
