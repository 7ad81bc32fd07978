/**
 * The test bed itself, against the real docker-registry: pushes come back byte for byte, basic and token auth
 * behave like Docker's, the counting proxy counts and injects faults, and every catalog image is in the registry
 * with the facts its catalog entry claims (checked by the plain reference reading in reference-facts.ts).
 */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import tar from 'tar-stream';
import { buildImage, buildIndex, pushImage, pushIndex, MEDIA_TYPES } from './image-builder.js';
import type { BuiltImage } from './image-builder.js';
import { mergedUsrPath } from './debian.js';
import { buildLargeImage, CATALOG } from './images.js';
import { referenceFacts } from './reference-facts.js';
import { createRegistryClient, MANIFEST_ACCEPT, parseChallenge, sha256Digest } from './registry-client.js';
import { startRegistry } from './registry.js';
import type { TestRegistry } from './registry.js';
import { testRegistryWithImages } from './seeded.js';
import { dir, exe, file, hardlink, opaque, packTar, symlink, whiteout } from './tree.js';

function smallImage(marker: string): Promise<BuiltImage> {
  return buildImage({
    layers: [{ entries: [dir('etc'), file('etc/marker', marker), dir('app'), exe('app/run', '#!/nope\n')] }],
    config: { User: '65532', Entrypoint: ['/app/run'] },
  });
}

const basic = (username: string, password: string) =>
  'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');

function decodeJwtPart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('tree packing', () => {
  test('writes every entry kind with the requested name style', async () => {
    const tarball = await packTar(
      [
        dir('usr/bin'),
        exe('usr/bin/dash', 'x'),
        symlink('usr/bin/sh', 'dash'),
        hardlink('usr/bin/ash', 'usr/bin/dash'),
        whiteout('usr/bin/bash'),
        opaque('opt'),
      ],
      'dot-slash',
    );
    const seen: string[] = [];
    const extract = tar.extract();
    const done = (async () => {
      for await (const entry of extract) {
        seen.push(`${entry.header.type} ${entry.header.name} ${entry.header.linkname ?? ''}`.trim());
        entry.resume();
      }
    })();
    extract.end(tarball);
    await done;
    assert.deepEqual(seen, [
      'directory ./usr/bin/',
      'file ./usr/bin/dash',
      'symlink ./usr/bin/sh dash',
      'link ./usr/bin/ash ./usr/bin/dash',
      'file ./usr/bin/.wh.bash',
      'file ./opt/.wh..wh..opq',
    ]);
  });

  test('maps packaged /bin, /sbin and /lib paths under /usr for a merged-usr rootfs', () => {
    assert.equal(mergedUsrPath('bin/bash'), 'usr/bin/bash');
    assert.equal(mergedUsrPath('./sbin/nologin'), 'usr/sbin/nologin');
    assert.equal(mergedUsrPath('lib64/ld-linux-x86-64.so.2'), 'usr/lib64/ld-linux-x86-64.so.2');
    assert.equal(mergedUsrPath('bin'), null);
    assert.equal(mergedUsrPath('usr/share/doc/bash/README'), 'usr/share/doc/bash/README');
    assert.equal(mergedUsrPath('binaries/x'), 'binaries/x');
  });
});

describe('a registry without auth', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(() => registry.stop());

  test('gives back a pushed image by tag and by digest, with blobs that hash to their digests', async () => {
    const client = createRegistryClient(registry.host);
    const image = await smallImage('plain');
    await pushImage(client, 'team/app', image, ['v1']);

    const head = await client.headManifest('team/app', 'v1');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), image.digest);
    assert.equal(head.headers.get('content-type'), MEDIA_TYPES.ociManifest);

    const byTag = await client.getManifest('team/app', 'v1');
    assert.deepEqual(byTag.body, image.manifest);
    const byDigest = await client.getManifest('team/app', image.digest);
    assert.equal(sha256Digest(byDigest.body), image.digest);

    const config = JSON.parse((await client.getBlob('team/app', image.config.digest)).toString('utf8')) as {
      config: { User: string };
      rootfs: { diff_ids: string[] };
    };
    assert.equal(config.config.User, '65532');
    const [layer] = image.layers;
    assert.ok(layer);
    const blob = await client.getBlob('team/app', layer.digest);
    assert.equal(blob.length, layer.size);
    assert.deepEqual(config.rootfs.diff_ids, [sha256Digest(gunzipSync(blob))]);
  });

  test('answers a schema2 manifest and an index with their own media types, and deletes by digest', async () => {
    const client = createRegistryClient(registry.host);
    const docker = await buildImage({ format: 'docker', layers: [{ entries: [file('a', 'docker')] }] });
    await pushImage(client, 'formats/docker', docker, ['v1']);
    const head = await client.headManifest('formats/docker', 'v1');
    assert.equal(head.headers.get('content-type'), MEDIA_TYPES.dockerManifest);
    assert.equal(docker.layers[0]?.mediaType, MEDIA_TYPES.dockerLayerGzip);

    const index = await buildIndex([await smallImage('index')], { attestations: true });
    await pushIndex(client, 'formats/index', index, ['v1']);
    const listed = JSON.parse((await client.getManifest('formats/index', 'v1')).body.toString('utf8')) as {
      manifests: { platform: { os: string; architecture: string } }[];
    };
    assert.deepEqual(
      listed.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`),
      ['linux/amd64', 'unknown/unknown'],
    );

    const deleted = await client.request(`/v2/formats/docker/manifests/${docker.digest}`, { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    assert.equal((await client.headManifest('formats/docker', docker.digest)).status, 404);
  });

  test('the counting proxy counts every request per path', async () => {
    const client = createRegistryClient(registry.host);
    const image = await smallImage('counted');
    await pushImage(client, 'count/app', image, ['v1']);
    const layer = image.layers[0];
    assert.ok(layer);
    registry.proxy.reset();
    await client.getBlob('count/app', layer.digest);
    await client.getBlob('count/app', layer.digest);
    await client.headManifest('count/app', 'v1');
    const path = `/v2/count/app/blobs/${layer.digest}`;
    assert.equal(registry.proxy.count({ method: 'GET', path }), 2);
    assert.equal(registry.proxy.count({ method: 'HEAD', path: /\/manifests\/v1$/ }), 1);
    assert.deepEqual(
      registry.requests().map((r) => [r.seq, r.method, r.status]),
      [
        [1, 'GET', 200],
        [2, 'GET', 200],
        [3, 'HEAD', 200],
      ],
    );
    assert.equal(registry.requests()[0]?.bytes, layer.size);
  });

  test('the counting proxy injects status, delay, truncation, stalls, resets and ignored ranges per request', async () => {
    const client = createRegistryClient(registry.host);
    const image = await smallImage('faults');
    await pushImage(client, 'faults/app', image, ['v1']);
    const layer = image.layers[0];
    assert.ok(layer);
    const url = `${registry.url}/v2/faults/app/blobs/${layer.digest}`;
    try {
      registry.proxy.setFault((req) => (req.nth === 1 ? { status: 503, headers: { 'retry-after': '1' } } : undefined));
      const first = await fetch(url);
      assert.equal(first.status, 503);
      assert.equal(first.headers.get('retry-after'), '1');
      await first.arrayBuffer();
      assert.equal((await fetch(url)).status, 200);

      registry.proxy.setFault(() => ({ delayMs: 300 }));
      const started = Date.now();
      const delayed = await fetch(url);
      await delayed.arrayBuffer();
      assert.ok(Date.now() - started >= 290, 'answered after the delay');

      registry.proxy.setFault(() => ({ truncateAfterBytes: 10 }));
      const truncated = await fetch(url);
      assert.equal(truncated.headers.get('content-length'), String(layer.size));
      await assert.rejects(truncated.arrayBuffer());

      registry.proxy.setFault(() => ({ reset: true }));
      await assert.rejects(fetch(url));

      registry.proxy.setFault(() => ({ stallBodyMs: 300 }));
      const stallStart = Date.now();
      const stalled = await fetch(url);
      const headersAfter = Date.now() - stallStart;
      assert.equal(sha256Digest(Buffer.from(await stalled.arrayBuffer())), layer.digest);
      assert.ok(headersAfter < 250, 'headers before the stall');
      assert.ok(Date.now() - stallStart >= 290, 'body after the stall');

      registry.proxy.setFault(undefined);
      const ranged = await fetch(url, { headers: { range: 'bytes=0-9' } });
      assert.equal(ranged.status, 206);
      assert.equal((await ranged.arrayBuffer()).byteLength, 10);
      registry.proxy.setFault(() => ({ ignoreRange: true }));
      const whole = await fetch(url, { headers: { range: 'bytes=0-9' } });
      assert.equal(whole.status, 200);
      assert.equal((await whole.arrayBuffer()).byteLength, layer.size);

      const faults = registry.requests({ path: `/v2/faults/app/blobs/${layer.digest}` }).map((r) => r.fault ?? '-');
      assert.deepEqual(faults.slice(-8), ['status', '-', 'delay', 'truncate', 'reset', 'stall', '-', 'ignore-range']);
    } finally {
      registry.proxy.setFault(undefined);
    }
  });
});

describe('a registry with basic auth', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'basic' });
  });
  after(() => registry.stop());

  test('challenges anonymous and wrong credentials, and serves the right ones', async () => {
    const anonymous = await fetch(`${registry.url}/v2/`);
    assert.equal(anonymous.status, 401);
    assert.equal(parseChallenge(anonymous.headers.get('www-authenticate') ?? '').scheme, 'basic');
    const creds = registry.credentials;
    assert.ok(creds);
    const wrong = await fetch(`${registry.url}/v2/`, { headers: { authorization: basic(creds.username, 'wrong') } });
    assert.equal(wrong.status, 401);

    const client = createRegistryClient(registry.host, { credentials: creds });
    const image = await smallImage('basic');
    await pushImage(client, 'private/app', image, ['v1']);
    assert.deepEqual((await client.getManifest('private/app', 'v1')).body, image.manifest);
    const anonymousClient = createRegistryClient(registry.host);
    assert.equal((await anonymousClient.headManifest('private/app', 'v1')).status, 401);
  });
});

describe('a registry with token auth', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'token' });
  });
  after(() => registry.stop());

  test('runs the Docker token flow: 401 with a Bearer challenge, a token from the realm, a successful retry', async () => {
    const tokens = registry.tokenServer;
    const creds = registry.credentials;
    assert.ok(tokens && creds);

    const pusher = createRegistryClient(registry.host, { credentials: creds });
    const image = await smallImage('token');
    await pushImage(pusher, 'private/app', image, ['v1']);
    await pushImage(pusher, 'public/app', image, ['v1']);

    const path = '/v2/private/app/manifests/v1';
    const challenged = await fetch(`${registry.url}${path}`, { headers: { accept: MANIFEST_ACCEPT } });
    assert.equal(challenged.status, 401);
    const { scheme, params } = parseChallenge(challenged.headers.get('www-authenticate') ?? '');
    assert.equal(scheme, 'bearer');
    assert.equal(params['realm'], tokens.realm);
    assert.equal(params['service'], tokens.service);
    assert.equal(params['scope'], 'repository:private/app:pull');

    const tokenUrl = `${params['realm']}?service=${params['service']}&scope=${params['scope']}`;
    const answer = await fetch(tokenUrl, { headers: { authorization: basic(creds.username, creds.password) } });
    assert.equal(answer.status, 200);
    const body = (await answer.json()) as { token: string; access_token: string; expires_in: number };
    assert.equal(body.token, body.access_token);
    assert.equal(body.expires_in, 300);
    const [headerPart, claimsPart] = body.token.split('.');
    const header = decodeJwtPart(headerPart);
    assert.equal(header['alg'], 'RS256');
    assert.ok(Array.isArray(header['x5c']) && header['x5c'].length === 1);
    const claims = decodeJwtPart(claimsPart);
    assert.equal(claims['iss'], tokens.issuer);
    assert.equal(claims['aud'], tokens.service);
    assert.equal(claims['sub'], creds.username);
    assert.deepEqual(claims['access'], [{ type: 'repository', name: 'private/app', actions: ['pull'] }]);

    const retried = await fetch(`${registry.url}${path}`, {
      headers: { accept: MANIFEST_ACCEPT, authorization: `Bearer ${body.token}` },
    });
    assert.equal(retried.status, 200);
    assert.equal(retried.headers.get('docker-content-digest'), image.digest);
    await retried.arrayBuffer();
  });

  test('gives anonymous callers pull on public repositories only, rejects bad credentials, and counts requests', async () => {
    const tokens = registry.tokenServer;
    assert.ok(tokens);
    const before = tokens.requests().length;
    const anonymous = createRegistryClient(registry.host);
    const publicHead = await anonymous.headManifest('public/app', 'v1');
    assert.equal(publicHead.status, 200);
    assert.equal((await anonymous.headManifest('private/app', 'v1')).status, 401);

    const seen = tokens.requests().slice(before);
    assert.deepEqual(
      seen.map((r) => [r.account, r.scopes, r.granted.map((g) => g.actions.join(','))]),
      [
        [null, ['repository:public/app:pull'], ['pull']],
        [null, ['repository:private/app:pull'], []],
      ],
    );
    const bad = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:private/app:pull`, {
      headers: { authorization: basic('dg-tester', 'wrong') },
    });
    assert.equal(bad.status, 401);
    assert.equal(tokens.requests().at(-1)?.status, 401);
    await assert.rejects(pushImage(anonymous, 'public/app', await smallImage('anonymous push')), /401/);
  });
});

describe('the seeded catalog', () => {
  test('every catalog image is in the registry, and its content yields the facts the catalog claims', async (t) => {
    const seeded = await testRegistryWithImages();
    const client = createRegistryClient(seeded.host);
    assert.equal(seeded.images.length, CATALOG.length);
    for (const image of seeded.images) {
      await t.test(image.entry.about, async () => {
        const head = await client.headManifest(image.entry.repository, image.entry.tag);
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('docker-content-digest'), image.digest);
        assert.equal(image.ref, `${seeded.host}/${image.entry.name}`);
        const facts = await referenceFacts(client, image.entry.repository, image.entry.tag);
        assert.deepEqual(facts, image.entry.expected);
      });
    }
  });

  test('the debug layer links at least 30 real busybox applets to /busybox/busybox', async () => {
    const seeded = await testRegistryWithImages();
    const client = createRegistryClient(seeded.host);
    const manifest = JSON.parse((await client.getManifest('distroless-static', 'debug')).body.toString('utf8')) as {
      layers: { digest: string }[];
    };
    const top = manifest.layers.at(-1);
    assert.ok(top);
    const names: string[] = [];
    const extract = tar.extract();
    const done = (async () => {
      for await (const entry of extract) {
        if (entry.header.type === 'symlink' && entry.header.linkname === '/busybox/busybox') names.push(entry.header.name);
        entry.resume();
      }
    })();
    extract.end(gunzipSync(await client.getBlob('distroless-static', top.digest)));
    await done;
    assert.ok(names.length >= 30, `${names.length} applets`);
    for (const applet of ['busybox/sh', 'busybox/ls', 'busybox/cat', 'busybox/wget']) assert.ok(names.includes(applet));
  });

  test('a large image is built from real and random content and keeps its shell at the end of the layer', async () => {
    const seeded = await testRegistryWithImages();
    const client = createRegistryClient(seeded.host);
    const large = await buildLargeImage(seeded, 48, { withShell: true });
    const manifest = JSON.parse((await client.getManifest('large', large.entry.tag)).body.toString('utf8')) as {
      layers: { digest: string; size: number }[];
    };
    assert.deepEqual(
      manifest.layers.map((layer) => [layer.digest, layer.size]),
      [[large.layer.digest, large.layer.size]],
    );
    const mib = 1024 * 1024;
    assert.ok(Math.abs(large.layer.uncompressedSize - 48 * mib) < 2 * mib, `${large.layer.uncompressedSize} bytes`);
    assert.ok(large.randomBytes > 0 && large.layer.size > large.randomBytes, 'random data does not compress away');
    const names: string[] = [];
    const extract = tar.extract();
    const done = (async () => {
      for await (const entry of extract) {
        names.push(entry.header.name);
        entry.resume();
      }
    })();
    extract.end(gunzipSync(await client.getBlob('large', large.layer.digest)));
    await done;
    const lastChunk = names.findLastIndex((name) => name.startsWith('data/chunk-'));
    assert.ok(lastChunk >= 0 && names.indexOf('usr/bin/dash') > lastChunk, 'dash comes after the random data');
    assert.deepEqual(await referenceFacts(client, 'large', large.entry.tag), large.entry.expected);
  });
});
