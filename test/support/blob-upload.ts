/**
 * Streams a blob into a registry (OCI distribution: POST an upload, one chunked PATCH, then PUT ?digest=) while
 * hashing it, so a blob of gigabytes costs the process no more memory than one chunk. Used by the hostile images
 * (layers that are mostly repeats of one small pre-compressed piece) and by the benchmarks' streamed layers.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface UploadedBlob {
  readonly digest: string;
  readonly size: number;
}

/** Passes bytes through, counting and hashing them. */
export class HashTap extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

async function text(response: IncomingMessage): Promise<string> {
  let body = '';
  response.setEncoding('utf8');
  for await (const chunk of response as AsyncIterable<string>) body += chunk;
  return body;
}

/**
 * Runs `write(patch)` — a pipeline ending in the chunked PATCH request of a new upload of `repository` on `host`
 * (no auth) — then commits the upload under the digest `tap` computed (the tap must see the blob's bytes).
 */
export async function streamUpload(
  host: string,
  repository: string,
  tap: HashTap,
  write: (patch: NodeJS.WritableStream) => Promise<void>,
): Promise<UploadedBlob> {
  const started = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  await started.arrayBuffer();
  const location = started.headers.get('location');
  if (started.status !== 202 || location === null) throw new Error(`start upload: ${started.status}`);
  const url = new URL(location, `http://${host}`);
  const patch = httpRequest({
    host: url.hostname,
    port: url.port,
    method: 'PATCH',
    path: url.pathname + url.search,
    headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    patch.once('response', resolve);
    patch.once('error', reject);
  });
  await write(patch);
  const response = await answered;
  const body = await text(response);
  const next = response.headers.location;
  if (response.statusCode !== 202 || next === undefined) throw new Error(`PATCH upload: ${response.statusCode} ${body}`);
  const digest = `sha256:${tap.hash.digest('hex')}`;
  const put = new URL(next, `http://${host}`);
  put.searchParams.set('digest', digest);
  const done = await fetch(put, { method: 'PUT', headers: { 'content-length': '0' } });
  const answer = await done.text();
  if (done.status !== 201) throw new Error(`PUT upload ${digest}: ${done.status} ${answer}`);
  return { digest, size: tap.bytes };
}

/** Uploads the chunks of `source` as one blob of `repository` on `host` (no auth); returns its digest and size. */
export async function uploadStream(host: string, repository: string, source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<UploadedBlob> {
  const tap = new HashTap();
  return streamUpload(host, repository, tap, (patch) => pipeline(Readable.from(source, { objectMode: false }), tap, patch));
}
