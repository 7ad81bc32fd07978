import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type express from 'express';

export interface TlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
}

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting, lets in-flight reviews finish (up to graceMs), then closes idle keep-alive connections. */
  close(graceMs?: number): Promise<void>;
}

/**
 * HTTPS with the timeouts chosen for kube-apiserver: it keeps connections alive between reviews (HTTP/1.1), so idle
 * sockets live 90 s; a request may take up to the maximum webhook timeout (30 s) plus slack.
 */
export async function startHttpsServer(app: express.Express, tls: TlsFiles, listen: { port: number; host: string }): Promise<RunningServer> {
  const [cert, key] = await Promise.all([readFile(tls.certPath), readFile(tls.keyPath)]);
  const server = createServer({ cert, key, minVersion: 'TLSv1.2' }, app);
  server.keepAliveTimeout = 90_000;
  server.headersTimeout = 32_000;
  server.requestTimeout = 40_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: (graceMs = 25_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
