/**
 * The registry client against a scripted fetch: retries, Retry-After and the deadline, the token dance and its
 * cache, credential hygiene, digest verification. The real registry is exercised in test/image/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Readable } from 'node:stream';
import { parseReference } from '../reference/reference.js';
import { createRegistryClient } from './client.js';
import { RegistryError, redact, type RegistryErrorCode } from './errors.js';
import { MEDIA_TYPES } from './manifest.js';
import { parseRetryAfter } from './transport.js';

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>;

interface Call {
  readonly url: string;
  readonly method: string;
  readonly authorization: string | undefined;
  readonly accept: string | undefined;
}

function scripted(handler: Handler): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fake = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init.headers);
    calls.push({
      url: url.href,
      method: init.method ?? 'GET',
      authorization: headers.get('authorization') ?? undefined,
      accept: headers.get('accept') ?? undefined,
    });
    init.signal?.throwIfAborted();
    return handler(url, init);
  };
  return { fetch: fake as typeof fetch, calls };
}

const sha = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const never = new AbortController().signal;
const ctx = { signal: never };
const manifestBody = JSON.stringify({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha('{}'), size: 2 },
  layers: [],
});
const MANIFEST_DIGEST = sha(manifestBody);

const isCode = (code: RegistryErrorCode) => (err: unknown) => err instanceof RegistryError && err.code === code;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('registry client: manifests and tags', () => {
  it('sends the full Accept list and resolves a tag from Docker-Content-Digest on HEAD', async () => {
    const { fetch, calls } = scripted(() => new Response(null, { status: 200, headers: { 'docker-content-digest': MANIFEST_DIGEST } }));
    const client = createRegistryClient({ fetch });
    const got = await client.resolveTag(parseReference('localhost:5000/app:v1'), ctx);
    assert.equal(got.digest, MANIFEST_DIGEST);
    assert.equal(calls[0]?.method, 'HEAD');
    assert.equal(calls[0]?.url, 'http://localhost:5000/v2/app/manifests/v1');
    for (const t of [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest])
      assert.ok(calls[0]?.accept?.includes(t), t);
  });

  it('falls back to GET and hashes the body when HEAD gives no digest', async () => {
    const { fetch, calls } = scripted((_u, init) =>
      init.method === 'HEAD' ? new Response(null, { status: 200 }) : new Response(manifestBody, { headers: { 'content-type': MEDIA_TYPES.ociManifest } }),
    );
    const got = await createRegistryClient({ fetch }).resolveTag(parseReference('localhost/app'), ctx);
    assert.equal(got.digest, MANIFEST_DIGEST);
    assert.equal(got.fetched?.manifest.kind, 'image');
    assert.deepEqual(calls.map((c) => c.method), ['HEAD', 'GET']);
  });

  it('refuses a manifest whose body does not hash to the requested digest', async () => {
    const { fetch } = scripted(() => new Response(manifestBody.replace('2,', '2 ,')));
    await assert.rejects(createRegistryClient({ fetch }).getManifest(parseReference('localhost/app'), MANIFEST_DIGEST, ctx), isCode('digest-mismatch'));
  });

  it('refuses schema 1 with an actionable message', async () => {
    const body = JSON.stringify({ schemaVersion: 1, name: 'app', fsLayers: [] });
    const { fetch } = scripted(() => new Response(body));
    await assert.rejects(
      createRegistryClient({ fetch }).getManifest(parseReference('localhost/app'), sha(body), ctx),
      (e: unknown) => isCode('unsupported')(e) && /schema 1/.test(String(e)),
    );
  });

  it('refuses a manifest over the size cap', async () => {
    const { fetch } = scripted(() => new Response('x'.repeat(2000), { headers: { 'content-length': '2000' } }));
    await assert.rejects(
      createRegistryClient({ fetch, limits: { maxManifestBytes: 1000 } }).getManifest(parseReference('localhost/app'), MANIFEST_DIGEST, ctx),
      isCode('too-large'),
    );
  });

  const statusCases: Array<[string, number, RegistryErrorCode]> = [
    ['a 404 is not-found', 404, 'not-found'],
    ['a 403 is unauthorized', 403, 'unauthorized'],
    ['a 500 is unavailable', 500, 'unavailable'],
    ['a 418 is a bad response', 418, 'bad-response'],
  ];
  for (const [name, status, code] of statusCases) {
    it(name, async () => {
      const { fetch } = scripted(() => new Response(JSON.stringify({ errors: [{ code: 'X', message: 'detail here' }] }), { status }));
      await assert.rejects(
        createRegistryClient({ fetch }).resolveTag(parseReference('localhost/app'), ctx),
        (e: unknown) => isCode(code)(e) && (e as RegistryError).registry === 'localhost',
      );
    });
  }
});

describe('registry client: retries', () => {
  it('retries a 503 and honours a short Retry-After', async () => {
    let n = 0;
    const { fetch, calls } = scripted(() =>
      ++n === 1
        ? new Response('', { status: 503, headers: { 'retry-after': '0' } })
        : new Response(null, { headers: { 'docker-content-digest': MANIFEST_DIGEST } }),
    );
    const got = await createRegistryClient({ fetch, retry: { baseDelayMs: 1 } }).resolveTag(parseReference('localhost/app'), ctx);
    assert.equal(got.digest, MANIFEST_DIGEST);
    assert.equal(calls.length, 2);
  });

  it('retries a connection reset', async () => {
    let n = 0;
    const { fetch, calls } = scripted(() => {
      if (++n === 1) throw new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
      return new Response(null, { headers: { 'docker-content-digest': MANIFEST_DIGEST } });
    });
    await createRegistryClient({ fetch, retry: { baseDelayMs: 1 } }).resolveTag(parseReference('localhost/app'), ctx);
    assert.equal(calls.length, 2);
  });

  it('does not retry a refused connection', async () => {
    const { fetch, calls } = scripted(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    });
    await assert.rejects(createRegistryClient({ fetch }).resolveTag(parseReference('localhost/app'), ctx), isCode('unavailable'));
    assert.equal(calls.length, 1);
  });

  it('gives up after the attempts allowed', async () => {
    const { fetch, calls } = scripted(() => new Response('', { status: 502 }));
    await assert.rejects(
      createRegistryClient({ fetch, retry: { attempts: 3, baseDelayMs: 1 } }).resolveTag(parseReference('localhost/app'), ctx),
      isCode('unavailable'),
    );
    assert.equal(calls.length, 3);
  });

  it('does not wait for a Retry-After that ends past the deadline', async () => {
    const { fetch, calls } = scripted(() => new Response('', { status: 429, headers: { 'retry-after': '5' } }));
    const t0 = Date.now();
    await assert.rejects(
      createRegistryClient({ fetch }).resolveTag(parseReference('localhost/app'), { signal: never, deadline: Date.now() + 1000 }),
      isCode('rate-limited'),
    );
    assert.equal(calls.length, 1);
    assert.ok(Date.now() - t0 < 2500, 'did not wait out the 5 s Retry-After');
  });

  it('turns the signal firing during a retry wait into a timeout', async () => {
    const { fetch } = scripted(() => new Response('', { status: 503, headers: { 'retry-after': '2' } }));
    const t0 = Date.now();
    await assert.rejects(createRegistryClient({ fetch }).resolveTag(parseReference('localhost/app'), { signal: AbortSignal.timeout(100) }), isCode('timeout'));
    assert.ok(Date.now() - t0 < 1500, 'did not wait out the 2 s Retry-After');
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });
});

describe('registry client: authentication', () => {
  const challenge = 'Bearer realm="https://auth.example/token",service="reg",scope="repository:team/app:pull"';

  function tokenRegistry(options: { expiresIn?: number; requireUser?: string } = {}) {
    let tokensIssued = 0;
    const script = scripted((url, init) => {
      const auth = new Headers(init.headers).get('authorization');
      if (url.host === 'auth.example') {
        if (options.requireUser !== undefined) {
          const expected = `Basic ${Buffer.from(`${options.requireUser}:pw`).toString('base64')}`;
          if (auth !== expected) return new Response('{}', { status: 401 });
        }
        tokensIssued++;
        return Response.json({ access_token: `tok${tokensIssued}`, ...(options.expiresIn !== undefined ? { expires_in: options.expiresIn } : {}) });
      }
      if (auth !== `Bearer tok${tokensIssued}` || tokensIssued === 0) return new Response('', { status: 401, headers: { 'www-authenticate': challenge } });
      return new Response(null, { headers: { 'docker-content-digest': MANIFEST_DIGEST } });
    });
    return { ...script, tokens: () => tokensIssued };
  }

  it('gets an anonymous token on a Bearer challenge and reuses it', async () => {
    const reg = tokenRegistry({ expiresIn: 300 });
    const client = createRegistryClient({ fetch: reg.fetch });
    const ref = parseReference('reg.example/team/app:v1');
    await client.resolveTag(ref, ctx);
    await client.resolveTag(ref, ctx);
    assert.equal(reg.tokens(), 1);
    const tokenCall = reg.calls.find((c) => c.url.startsWith('https://auth.example/'));
    assert.ok(tokenCall?.url.includes('service=reg') && tokenCall.url.includes('scope=repository%3Ateam%2Fapp%3Apull'));
    assert.equal(tokenCall?.authorization, undefined);
    // the second resolve sends the cached token up front: HEAD only
    assert.deepEqual(reg.calls.slice(-1).map((c) => c.authorization), ['Bearer tok1']);
    assert.equal(reg.calls.length, 4);
  });

  it('sends basic credentials to the token realm when it has some', async () => {
    const reg = tokenRegistry({ requireUser: 'alice' });
    const client = createRegistryClient({ fetch: reg.fetch, credentials: () => ({ username: 'alice', password: 'pw' }) });
    await client.resolveTag(parseReference('reg.example/team/app'), ctx);
    assert.equal(reg.tokens(), 1);
  });

  it('per-call credentials come before the client ones', async () => {
    const reg = tokenRegistry({ requireUser: 'pod' });
    const client = createRegistryClient({ fetch: reg.fetch, credentials: () => ({ username: 'global', password: 'pw' }) });
    await client.resolveTag(parseReference('reg.example/team/app'), { signal: never, credentials: () => ({ username: 'pod', password: 'pw' }) });
    assert.equal(reg.tokens(), 1);
  });

  it('treats a token without expires_in as good for 60 s', async () => {
    let now = 0;
    const realNow = Date.now;
    const reg = tokenRegistry();
    const client = createRegistryClient({ fetch: reg.fetch });
    const ref = parseReference('reg.example/team/app');
    try {
      Date.now = () => realNow() + now;
      await client.resolveTag(ref, ctx);
      now = 30_000;
      await client.resolveTag(ref, ctx);
      assert.equal(reg.tokens(), 1);
      now = 61_000;
      await client.resolveTag(ref, ctx);
      assert.equal(reg.tokens(), 2);
    } finally {
      Date.now = realNow;
    }
  });

  it('reports refused credentials as unauthorized without leaking them', async () => {
    const reg = tokenRegistry({ requireUser: 'alice' });
    const client = createRegistryClient({ fetch: reg.fetch, credentials: () => ({ username: 'mallory', password: 's3cr3t-pw' }) });
    await assert.rejects(client.resolveTag(parseReference('reg.example/team/app'), ctx), (e: unknown) => {
      assert.ok(isCode('unauthorized')(e));
      const text = `${String(e)} ${JSON.stringify((e as RegistryError).message)}`;
      assert.ok(!text.includes('s3cr3t-pw') && !text.includes(Buffer.from('mallory:s3cr3t-pw').toString('base64')));
      return true;
    });
  });

  it('answers a Basic challenge with the credentials', async () => {
    const expected = `Basic ${Buffer.from('bob:pw').toString('base64')}`;
    const { fetch, calls } = scripted((_u, init) =>
      new Headers(init.headers).get('authorization') === expected
        ? new Response(null, { headers: { 'docker-content-digest': MANIFEST_DIGEST } })
        : new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }),
    );
    await createRegistryClient({ fetch, credentials: () => ({ username: 'bob', password: 'pw' }) }).resolveTag(parseReference('reg.example/a'), ctx);
    assert.equal(calls.length, 2);
  });

  it('a Basic challenge without credentials is unauthorized', async () => {
    const { fetch } = scripted(() => new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }));
    await assert.rejects(
      createRegistryClient({ fetch }).resolveTag(parseReference('reg.example/a'), ctx),
      (e: unknown) => isCode('unauthorized')(e) && /no credentials/.test(String(e)),
    );
  });

  it('never sends credentials in clear text to a non-loopback host: a plain-HTTP realm is not even asked', async () => {
    const { fetch, calls } = scripted(() => new Response('', { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://auth.example/token"' } }));
    await assert.rejects(
      createRegistryClient({ fetch, credentials: () => ({ username: 'u', password: 'p' }) }).resolveTag(parseReference('reg.example/a'), ctx),
      (e: unknown) => isCode('forbidden')(e) && e instanceof RegistryError && /plain HTTP/.test(e.detail ?? ''),
    );
    assert.ok(calls.every((c) => c.authorization === undefined && !c.url.includes('auth.example')));
  });
});

describe('registry client: blobs', () => {
  const ref = parseReference('localhost/app');
  const data = Buffer.from('hello layer bytes');

  it('streams a blob that matches its digest', async () => {
    const { fetch } = scripted(() => new Response(data));
    const blob = await createRegistryClient({ fetch }).openBlob(ref, { mediaType: 'x', digest: sha(data), size: data.length }, ctx);
    assert.deepEqual(await readAll(blob.stream), data);
    await blob.verified;
  });

  it('fails the stream at its end when the bytes do not match the digest', async () => {
    const { fetch } = scripted(() => new Response(Buffer.from('hello LAYER bytes')));
    const blob = await createRegistryClient({ fetch }).openBlob(ref, { mediaType: 'x', digest: sha(data), size: data.length }, ctx);
    await assert.rejects(readAll(blob.stream), isCode('digest-mismatch'));
    await assert.rejects(blob.verified, isCode('digest-mismatch'));
  });

  it('fails a blob shorter than declared as truncated', async () => {
    const { fetch } = scripted(() => new Response(data.subarray(0, 5)));
    const blob = await createRegistryClient({ fetch }).openBlob(ref, { mediaType: 'x', digest: sha(data), size: data.length }, ctx);
    await assert.rejects(blob.verified, isCode('truncated'));
  });

  it('verifies to the end even when the consumer lets go early', async () => {
    const { fetch } = scripted(() => new Response(Buffer.from('hello LAYER bytes')));
    const blob = await createRegistryClient({ fetch }).openBlob(ref, { mediaType: 'x', digest: sha(data), size: data.length }, ctx);
    blob.release();
    await assert.rejects(blob.verified, isCode('digest-mismatch'));
  });

  it('refuses a blob over the cap before downloading it', async () => {
    const { fetch, calls } = scripted(() => new Response(data));
    await assert.rejects(
      createRegistryClient({ fetch, limits: { maxBlobBytes: 4 } }).openBlob(ref, { mediaType: 'x', digest: sha(data), size: data.length }, ctx),
      isCode('too-large'),
    );
    assert.equal(calls.length, 0);
  });

  it('refuses a config blob that does not match its digest', async () => {
    const { fetch } = scripted(() => new Response('{"a":2}'));
    await assert.rejects(
      createRegistryClient({ fetch }).getJsonBlob(ref, { mediaType: MEDIA_TYPES.ociConfig, digest: sha('{"a":1}'), size: 7 }, ctx),
      isCode('digest-mismatch'),
    );
  });
});

describe('redact', () => {
  const cases: Array<[string, string, string]> = [
    ['bearer tokens', 'Authorization: Bearer abc.def-ghi', 'Authorization: Bearer [redacted]'],
    ['basic credentials', 'Basic dXNlcjpwYXNz', 'Basic [redacted]'],
    ['signed URL queries', 'https://s3/x?X-Amz-Signature=abc&token=def', 'https://s3/x?X-Amz-Signature=[redacted]&token=[redacted]'],
    ['user info in URLs', 'https://user:pass@host/x', 'https://[redacted]@host/x'],
  ];
  for (const [name, input, want] of cases) it(`removes ${name}`, () => assert.equal(redact(input), want));
});
