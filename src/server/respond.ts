import type { ServerResponse } from 'node:http';

/**
 * Sends `value` as JSON, in one write. Express's res.json turns a body of 1,000 characters or more into a Buffer,
 * and Node then writes headers and body as two buffers (writev, two TLS records); a string body goes out with its
 * headers as one. A /mutate answer carrying a patch is ~2 KB.
 */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendJsonText(res, status, JSON.stringify(value));
}

/** sendJson for a body already encoded as JSON. */
export function sendJsonText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
