/**
 * A small HTTP proxy in front of a registry: it logs every request (so tests can assert "each blob fetched exactly
 * once") and can inject faults per request: delay, status override, connection reset before the answer or in the
 * middle of the body, truncated body, stalled body, a corrupted byte, a wrong Content-Type, Range ignored.
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
  /** The fault applied, if any ("delay", "status", "truncate", "stall", "reset", "reset-mid-body", "corrupt", "content-type", "ignore-range"). */
  fault: string | undefined;
  /** The exchange is over (answered, cut or reset). */
  done: boolean;
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
 * otherwise the registry's answer is relayed with these changes: `contentType` replaces its Content-Type;
 * `stallBodyMs` sends the headers and then waits before sending the body; `corruptByteAt` flips the bits of one
 * body byte (same length, wrong digest); `truncateAfterBytes` closes the connection after that many body bytes
 * (the headers keep the registry's Content-Length); `resetAfterBytes` sends that many body bytes and then a TCP RST.
 * `ignoreRange` combines with any of them.
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
  readonly contentType?: string;
  readonly corruptByteAt?: number;
  readonly resetAfterBytes?: number;
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
  /**
   * Ends the faults: no new request gets one, and exchanges a fault is still holding (a delay, a stalled body) are
   * cut, as when a registry comes back and the broken connections die. Resolves when no request is in flight.
   */
  lift(): Promise<void>;
  /** Requests not yet answered to the end. */
  inFlight(): number;
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
  /** Responses a fault applies to, so lift() can cut them. */
  const held = new Set<ServerResponse>();
  /** Exchanges not over yet (kept apart from the log, which reset() clears). */
  const open = new Set<RequestLog>();
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
      done: false,
    };
    log.push(entry);
    open.add(entry);
    res.once('close', () => {
      entry.done = true;
      open.delete(entry);
      held.delete(res);
    });
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
    if (fault !== undefined) held.add(res);
    if (fault?.delayMs !== undefined) {
      entry.fault = 'delay';
      await pause(fault.delayMs, res);
      if (res.destroyed) return;
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
      // The registry going away mid-body (stopped at the end of a test while a background scan still reads) rejects
      // the relay with "aborted": the client sees its connection cut, as it would from the registry itself.
      (upstreamRes) => void relay(upstreamRes, res, entry, fault).catch(() => res.destroy()),
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
    const headers = forwardableHeaders(upstreamRes.headers);
    if (fault?.contentType !== undefined) {
      entry.fault = 'content-type';
      headers['content-type'] = fault.contentType;
    }
    res.writeHead(status, headers);
    if (fault?.stallBodyMs !== undefined) {
      entry.fault = 'stall';
      res.flushHeaders();
      upstreamRes.pause();
      await pause(fault.stallBodyMs, res);
      if (res.destroyed) {
        upstreamRes.destroy();
        return;
      }
    }
    const truncateAt = fault?.truncateAfterBytes;
    const resetAt = fault?.resetAfterBytes;
    const cutAt = truncateAt ?? resetAt;
    if (truncateAt !== undefined) entry.fault = 'truncate';
    else if (resetAt !== undefined) entry.fault = 'reset-mid-body';
    const corruptAt = fault?.corruptByteAt;
    if (corruptAt !== undefined) entry.fault = 'corrupt';
    let sent = 0;
    for await (const received of upstreamRes as AsyncIterable<Buffer>) {
      if (res.destroyed) break;
      let chunk = received;
      if (corruptAt !== undefined && corruptAt >= sent && corruptAt < sent + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[corruptAt - sent] = (chunk[corruptAt - sent] ?? 0) ^ 0xff;
      }
      if (cutAt !== undefined && sent + chunk.length >= cutAt) {
        const part = chunk.subarray(0, cutAt - sent);
        entry.bytes += part.length;
        res.write(part, () => cut(res, resetAt !== undefined));
        upstreamRes.destroy();
        return;
      }
      sent += chunk.length;
      entry.bytes += chunk.length;
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    }
    if (cutAt !== undefined) {
      // The body was shorter than the limit: still cut the connection, the test expects a broken body.
      cut(res, resetAt !== undefined);
      return;
    }
    res.end();
  }

  /** Closes the connection under a response: a FIN (truncation) or a TCP RST (reset). */
  function cut(res: ServerResponse, reset: boolean): void {
    const socket = res.socket;
    if (socket === null) return;
    if (reset) socket.resetAndDestroy();
    else socket.destroy();
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
    async lift() {
      hook = undefined;
      for (const res of held) res.destroy();
      held.clear();
      while (open.size > 0) await sleep(10);
    },
    inFlight: () => open.size,
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

/** Waits `ms`, or less when the response closes first (a cut connection must not keep the process alive). */
async function pause(ms: number, res: ServerResponse): Promise<void> {
  const closed = new AbortController();
  res.once('close', () => closed.abort());
  if (res.destroyed) return;
  await sleep(ms, undefined, { signal: closed.signal }).catch(() => undefined);
}

function splitHost(hostPort: string): [string, number] {
  const index = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(index + 1));
  if (index <= 0 || !Number.isInteger(port)) throw new Error(`expected host:port, got ${hostPort}`);
  return [hostPort.slice(0, index), port];
}
