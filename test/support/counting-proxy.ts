/**
 * A small HTTP proxy in front of a registry: it logs every request (so tests can assert "each blob fetched exactly
 * once") and can inject faults per request (delay, status override, truncated body, stalled body, connection reset).
 * The Host header is forwarded unchanged, so the registry builds upload Locations that point back at the proxy.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RequestLog {
  /** 1-based order of arrival at the proxy. */
  readonly seq: number;
  readonly method: string;
  /** URL path without the query. */
  readonly path: string;
  /** Raw query string without "?" ("" when none). */
  readonly query: string;
  /** Whether the request carried an Authorization header. */
  readonly authorized: boolean;
  /** Status sent to the client; 0 while pending or when the connection was reset before any answer. */
  status: number;
  /** Response body bytes sent to the client. */
  bytes: number;
  /** The fault applied, if any ("delay", "status", "truncate", "stall", "reset", "ignore-range"). */
  fault: string | undefined;
}

/** What the hook sees about a request before it is forwarded. */
export interface ProxyRequest {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** How many requests with this method and path arrived so far, this one included (1 for the first). */
  readonly nth: number;
}

/**
 * A fault for one request. `delayMs` applies first and combines with any of the others; then, in this order:
 * `reset` drops the connection with a TCP RST before answering; `status` answers without asking the registry;
 * `truncateAfterBytes` forwards the registry's headers (with its Content-Length) and closes after that many body
 * bytes; `stallBodyMs` forwards the headers and then waits before sending the body. `ignoreRange` combines with
 * any of them.
 */
export interface Fault {
  readonly delayMs?: number;
  readonly reset?: boolean;
  readonly status?: number;
  /** Body for `status` (default: a registry-style JSON error). */
  readonly body?: string;
  /** Extra headers for `status`, e.g. Retry-After. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly truncateAfterBytes?: number;
  readonly stallBodyMs?: number;
  /** Drop the Range header, so the registry answers a ranged GET with the whole blob (Range is only a SHOULD). */
  readonly ignoreRange?: boolean;
}

export type FaultHook = (request: ProxyRequest) => Fault | undefined;

export interface RequestFilter {
  readonly method?: string;
  /** Exact path, or a pattern tested against the path. */
  readonly path?: string | RegExp;
}

export interface CountingProxy {
  /** "127.0.0.1:PORT" */
  readonly host: string;
  readonly url: string;
  readonly target: string;
  requests(filter?: RequestFilter): readonly RequestLog[];
  count(filter?: RequestFilter): number;
  /** Forgets the log (sequence numbers and `nth` start again). */
  reset(): void;
  setFault(hook: FaultHook | undefined): void;
  /** Lets the process exit while the proxy is up (its server and idle connections stop holding the event loop). */
  unref(): void;
  stop(): Promise<void>;
}

export interface CountingProxyOptions {
  readonly fault?: FaultHook;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade']);

function forwardableHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function matches(log: RequestLog, filter: RequestFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.method !== undefined && filter.method.toUpperCase() !== log.method) return false;
  if (filter.path === undefined) return true;
  return typeof filter.path === 'string' ? filter.path === log.path : filter.path.test(log.path);
}

/** `target` is "host:port" of the upstream registry. */
export async function startCountingProxy(target: string, options: CountingProxyOptions = {}): Promise<CountingProxy> {
  const [targetHost, targetPort] = splitHost(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  let log: RequestLog[] = [];
  let perPath = new Map<string, number>();
  let hook = options.fault;
  const sockets = new Set<Socket>();
  let unrefed = false;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const method = (req.method ?? 'GET').toUpperCase();
    const key = `${method} ${url.pathname}`;
    const nth = (perPath.get(key) ?? 0) + 1;
    perPath.set(key, nth);
    const entry: RequestLog = {
      seq: log.length + 1,
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      authorized: req.headers.authorization !== undefined,
      status: 0,
      bytes: 0,
      fault: undefined,
    };
    log.push(entry);
    const fault = hook?.({ seq: entry.seq, method, path: entry.path, query: entry.query, headers: req.headers, nth });
    void handle(req, res, entry, fault).catch(() => {
      res.destroy();
    });
  });
  server.on('connection', (socket) => {
    if (unrefed) socket.unref();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, entry: RequestLog, fault: Fault | undefined) {
    if (fault?.delayMs !== undefined) {
      entry.fault = 'delay';
      await sleep(fault.delayMs);
      if (req.destroyed && res.destroyed) return;
    }
    if (fault?.reset === true) {
      entry.fault = 'reset';
      req.socket.resetAndDestroy();
      return;
    }
    if (fault?.status !== undefined) {
      entry.fault = 'status';
      req.resume();
      const body =
        fault.body ?? JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `injected status ${fault.status}` }] });
      const payload = Buffer.from(body);
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        'content-length': String(payload.length),
        ...fault.headers,
      });
      entry.status = fault.status;
      res.end(req.method === 'HEAD' ? undefined : payload);
      if (req.method !== 'HEAD') entry.bytes = payload.length;
      return;
    }
    forward(req, res, entry, fault);
  }

  function forward(req: IncomingMessage, res: ServerResponse, entry: RequestLog, fault: Fault | undefined): void {
    const headers = forwardableHeaders(req.headers);
    if (fault?.ignoreRange === true) {
      entry.fault ??= 'ignore-range';
      delete headers['range'];
    }
    const upstream = httpRequest(
      { host: targetHost, port: targetPort, method: req.method, path: req.url, headers, agent },
      (upstreamRes) => void relay(upstreamRes, res, entry, fault),
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  async function relay(upstreamRes: IncomingMessage, res: ServerResponse, entry: RequestLog, fault: Fault | undefined) {
    const status = upstreamRes.statusCode ?? 502;
    entry.status = status;
    res.writeHead(status, forwardableHeaders(upstreamRes.headers));
    if (fault?.stallBodyMs !== undefined) {
      entry.fault = 'stall';
      res.flushHeaders();
      upstreamRes.pause();
      await sleep(fault.stallBodyMs);
      if (res.destroyed) {
        upstreamRes.destroy();
        return;
      }
    }
    const limit = fault?.truncateAfterBytes;
    if (limit !== undefined) entry.fault = 'truncate';
    let sent = 0;
    for await (const chunk of upstreamRes as AsyncIterable<Buffer>) {
      if (res.destroyed) break;
      if (limit !== undefined && sent + chunk.length >= limit) {
        const part = chunk.subarray(0, limit - sent);
        entry.bytes += part.length;
        res.write(part, () => res.socket?.destroy());
        upstreamRes.destroy();
        return;
      }
      sent += chunk.length;
      entry.bytes += chunk.length;
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    }
    if (limit !== undefined) {
      // The body was shorter than the limit: still cut the connection, a truncation test expects a broken body.
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  const host = `127.0.0.1:${address.port}`;

  return {
    host,
    url: `http://${host}`,
    target,
    requests: (filter) => log.filter((entry) => matches(entry, filter)),
    count: (filter) => log.filter((entry) => matches(entry, filter)).length,
    reset() {
      log = [];
      perPath = new Map();
    },
    setFault(next) {
      hook = next;
    },
    unref() {
      unrefed = true;
      server.unref();
      for (const socket of sockets) socket.unref();
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      agent.destroy();
    },
  };
}

function splitHost(hostPort: string): [string, number] {
  const index = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(index + 1));
  if (index <= 0 || !Number.isInteger(port)) throw new Error(`expected host:port, got ${hostPort}`);
  return [hostPort.slice(0, index), port];
}
