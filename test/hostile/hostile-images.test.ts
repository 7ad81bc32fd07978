/**
 * Hostile images, pushed to a real registry and admitted through a real `serve` process (the guard's own launcher,
 * runtime flags included) over HTTPS: tar bombs, header bombs, gzip bombs, path tricks, symlink loops, a manifest of
 * 10,000 layers, an index of 100 platforms, an enormous config. Each admission is answered before its deadline with
 * a clear "could not inspect" (or, for tricks that are only odd, with the right facts), a bomb that took longer
 * than an admission is remembered once found out, and the process stays within the Deployment's memory limit.
 * Big blobs are streamed into the registry as repeats of one small gzip member: nothing big is held in memory here.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { uploadStream, type UploadedBlob } from '../support/blob-upload.js';
import { trackChild } from '../support/cleanup.js';
import { gnuLongNameLayer, gzipBomb, paxHeaderBomb, tarBomb } from '../support/hostile-layers.js';
import { apiserverClient } from '../support/https-client.js';
import { buildImage, buildLayer, DEFAULT_PATH, MEDIA_TYPES, pushImage } from '../support/image-builder.js';
import { createRegistryClient, sha256Digest } from '../support/registry-client.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { podReview } from '../support/reviews.js';
import { exe, file, symlink } from '../support/tree.js';
import { strictPolicy } from '../support/policies.js';
import { loopbackServeArgs } from '../support/serve-fixture.js';

const LAUNCHER = resolve(import.meta.dirname, '../../bin/distroless-guard');
/** The Deployment's memory limit (manifests/base/deployment.yaml). */
const MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;
/** A lower per-layer decompressed-size limit than the default 16 GiB, so the gzip bomb is found out in ~2 s. */
const MAX_LAYER_SIZE = '2Gi';

const POLICY = strictPolicy({ privilegeEscalation: false });

interface Case {
  readonly name: string;
  /** Pushes the image; returns its reference (host/repo:tag). */
  readonly push: (host: string) => Promise<string>;
  /** What the answer finally says: a could-not-inspect reason, or the facts of an image that is only odd. */
  readonly says: RegExp;
  /** The image is judged (right facts), not refused as uninspectable. */
  readonly inspectable?: boolean;
  /** A second bomb (this repository, pushed alike with 2,000,000 entries) in the same pod: two scans at once. */
  readonly pair?: string;
}

let registry: TestRegistry;
let dir: string;
let child: ChildProcess;
let client: ReturnType<typeof apiserverClient>;
let stderr = '';

/** Pushes an OCI config and manifest over layer blobs already in the repository. */
async function pushManifest(
  host: string,
  repository: string,
  layers: readonly UploadedBlob[],
  config: Record<string, unknown> = { User: '65532' },
): Promise<string> {
  const push = createRegistryClient(host);
  const configBlob = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: [DEFAULT_PATH], ...config },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const configDigest = sha256Digest(configBlob);
  await push.uploadBlob(repository, configDigest, configBlob);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: configBlob.length },
      layers: layers.map((l) => ({ mediaType: MEDIA_TYPES.ociLayerGzip, digest: l.digest, size: l.size })),
    }),
  );
  await push.putManifest(repository, 'v1', MEDIA_TYPES.ociManifest, manifest);
  return `${host}/${repository}:v1`;
}

const layerImage = (repository: string, layer: () => Iterable<Buffer>) => async (host: string) =>
  pushManifest(host, repository, [await uploadStream(host, repository, layer())]);

const CASES: readonly Case[] = [
  {
    name: 'a tar bomb: 3,000,000 entries in 7 MB of gzip stops at the entry limit',
    push: layerImage('hostile/tar-bomb', () => tarBomb(3_000_000)),
    says: /could not inspect image: .*layer sha256:[0-9a-f]{64}: more than 500000 entries/,
  },
  {
    name: 'two tar bombs in one pod, scanned at once: both stop at the entry limit',
    push: async (host) => {
      await layerImage('hostile/tar-bomb-2', () => tarBomb(2_500_000))(host);
      return `${host}/hostile/tar-bomb-2:v1`;
    },
    pair: 'hostile/tar-bomb-3',
    says: /could not inspect image: .*layer sha256:[0-9a-f]{64}: more than 500000 entries/,
  },
  {
    name: 'a header bomb: PAX headers of 6-byte records, 512 MiB of them in 0.8 MB of gzip, stops at the header budget',
    push: layerImage('hostile/pax-bomb', () => paxHeaderBomb(512 * 1024 * 1024)),
    says: /could not inspect image: .*layer sha256:[0-9a-f]{64}: more than 134217728 bytes of PAX \/ GNU long-name headers/,
  },
  {
    name: 'a huge header: a GNU long name of 8 MiB is refused as corrupt',
    push: layerImage('hostile/long-header', () => gnuLongNameLayer(8 * 1024 * 1024)),
    says: /could not inspect image: .*layer sha256:[0-9a-f]{64}: unreadable layer: Header exceeds max size/,
  },
  {
    name: 'a name of 64 KiB (in a PAX header) is over the name limit',
    push: async (host) => {
      const built = await buildImage({ layers: [{ entries: [file(`a/${'n'.repeat(64 * 1024)}`, 'x')] }], config: { User: '65532' } });
      await pushImage(createRegistryClient(host), 'hostile/long-name', built, ['v1']);
      return `${host}/hostile/long-name:v1`;
    },
    says: /could not inspect image: .*a name is longer than 4096 bytes/,
  },
  {
    name: `a gzip bomb: 4 GiB of zeros in 4 MB stops at the layer size limit (--max-layer-size ${MAX_LAYER_SIZE})`,
    push: layerImage('hostile/gzip-bomb', () => gzipBomb(4 * 1024 ** 3)),
    says: /could not inspect image: .*layer sha256:[0-9a-f]{64}: more than 2147483648 decompressed bytes/,
  },
  {
    name: 'a manifest of 10,000 layers is refused before any layer is fetched',
    push: async (host) => {
      const built = await buildLayer({ entries: [file('x', 'x')] });
      const blob = await uploadStream(host, 'hostile/many-layers', [built.blob]);
      return pushManifest(host, 'hostile/many-layers', Array.from({ length: 10_000 }, () => blob));
    },
    says: /could not inspect image: .*image sha256:[0-9a-f]{64} lists 10000 layers, more than the 500 a manifest may have/,
  },
  {
    name: 'an index of 100 linux platforms is refused before any platform is scanned',
    push: async (host) => {
      const push = createRegistryClient(host);
      const built = await buildImage({ layers: [{ entries: [file('x', 'x')] }], config: { User: '65532' } });
      await pushImage(push, 'hostile/many-platforms', built);
      const manifests = Array.from({ length: 100 }, (_, i) => ({
        mediaType: built.mediaType,
        digest: built.digest,
        size: built.manifest.length,
        platform: { os: 'linux', architecture: 'amd64', variant: `v${i}` },
      }));
      await push.putManifest(
        'hostile/many-platforms',
        'v1',
        MEDIA_TYPES.ociIndex,
        Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests })),
      );
      return `${host}/hostile/many-platforms:v1`;
    },
    says: /could not inspect image: .*is an index of 100 linux platforms, more than the 32 inspected/,
  },
  {
    name: 'a config blob of 64 MiB is refused by its declared size, never downloaded',
    push: async (host) => {
      const push = createRegistryClient(host);
      const layer = await buildLayer({ entries: [file('x', 'x')] });
      await push.uploadBlob('hostile/big-config', layer.digest, layer.blob);
      const chunk = Buffer.alloc(1024 * 1024, ' ');
      const config = await uploadStream(host, 'hostile/big-config', (function* () {
        yield Buffer.from('{"architecture":"amd64","os":"linux","config":{},"padding":"');
        for (let i = 0; i < 64; i++) yield chunk;
        yield Buffer.from('"}');
      })());
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.ociManifest,
          config: { mediaType: MEDIA_TYPES.ociConfig, digest: config.digest, size: config.size },
          layers: [{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: layer.digest, size: layer.size }],
        }),
      );
      await push.putManifest('hostile/big-config', 'v1', MEDIA_TYPES.ociManifest, manifest);
      return `${host}/hostile/big-config:v1`;
    },
    says: /could not inspect image: .*config sha256:[0-9a-f]{64} of \S+ is 67108926 bytes, over the 8388608-byte limit/,
  },
  {
    name: 'path tricks (../../usr/bin/sh, /etc/passwd absolute, ./ and .. inside, a PAX path climbing out) land where containerd puts them',
    push: async (host) => {
      const built = await buildImage({
        layers: [
          {
            entries: [
              { ...file('etc/passwd', 'app:x:1000:1000::/home/app:/sbin/nologin\n'), tarName: '/etc/passwd' },
              { ...exe('usr/bin/sh', '#!fake'), tarName: '../../usr/bin/sh' },
              { ...exe('opt/x', 'x'), tarName: './opt/./y/../x' },
              { ...exe('usr/bin/bash', '#!fake'), tarName: `${'../'.repeat(60)}usr/bin/bash` },
            ],
          },
        ],
        config: { User: 'app' },
      });
      await pushImage(createRegistryClient(host), 'hostile/path-tricks', built, ['v1']);
      return `${host}/hostile/path-tricks:v1`;
    },
    inspectable: true,
    says: /\[strict\/noShell\] container "app" \(\S+\): image has a shell: \/usr\/bin\/bash, \/usr\/bin\/sh\./,
  },
  {
    name: 'symlink loops (self, pairs, a looping PATH directory, a looping /etc/passwd, a 100-link chain) end, and are no shell',
    push: async (host) => {
      const chain = Array.from({ length: 100 }, (_, i) => symlink(`chain/l${i}`, `l${i + 1}`));
      const built = await buildImage({
        layers: [
          {
            entries: [
              symlink('usr/bin/sh', 'sh'),
              symlink('bin/a', '/bin/b'),
              symlink('bin/b', '../bin/a'),
              symlink('usr/local/bin', '/usr/local/bin'),
              symlink('etc/passwd', '/etc/passwd'),
              ...chain,
              exe('chain/l100', 'x'),
              symlink('usr/bin/bash', '/chain/l0'),
            ],
          },
        ],
        config: { User: '65532' },
      });
      await pushImage(createRegistryClient(host), 'hostile/symlink-loops', built, ['v1']);
      return `${host}/hostile/symlink-loops:v1`;
    },
    inspectable: true,
    says: /^$/,
  },
];

const refs = new Map<string, string>();

async function startServe(): Promise<number> {
  child = spawn(
    LAUNCHER,
    [
      'serve',
      ...loopbackServeArgs(dir),
      '--policy',
      join(dir, 'policy.yaml'),
      '--max-layer-size',
      MAX_LAYER_SIZE,
      '--insecure-registry',
      '127.0.0.0/8',
      '--log-level',
      'error',
    ],
    {
      cwd: dir,
      env: { ...process.env, DOCKER_CONFIG: join(dir, 'no-docker-config') },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  trackChild(child);
  return new Promise((resolvePort, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
      const port = /serving https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1];
      if (port) resolvePort(Number(port));
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
}

/** VmHWM: the peak resident set of the serve process so far. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
}

type Answer = { allowed: boolean; status?: { message: string }; warnings?: string[] };

async function admit(image: string, second?: string): Promise<{ answer: Answer; ms: number }> {
  const started = performance.now();
  const containers = [{ name: 'app', image }, ...(second === undefined ? [] : [{ name: 'second', image: second }])];
  const reply = await client.post('/validate?timeout=10s', JSON.stringify(podReview({ containers })));
  const ms = performance.now() - started;
  assert.equal(reply.status, 200, reply.body);
  return { answer: (reply.json as { response: Answer }).response, ms };
}

const said = (answer: Answer): string => [answer.status?.message ?? '', ...(answer.warnings ?? [])].filter((s) => s !== '').join('\n');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dg-hostile-'));
  registry = await startRegistry();
  for (const c of CASES) {
    refs.set(c.name, await c.push(registry.directHost));
    if (c.pair !== undefined) refs.set(`${c.name} (pair)`, await layerImage(c.pair, () => tarBomb(2_000_000))(registry.directHost));
  }
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  const port = await startServe();
  client = apiserverClient(port, await readFile(join(dir, 'certs/ca.crt'), 'utf8'));
});

after(async () => {
  client?.close();
  child?.kill('SIGKILL');
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('hostile images: bounded time and memory, and a clear "could not inspect"', () => {
  for (const c of CASES) {
    it(c.name, async (t) => {
      const ref = refs.get(c.name);
      assert.ok(ref !== undefined);
      const pair = refs.get(`${c.name} (pair)`);
      const first = await admit(ref, pair);
      assert.ok(first.ms < 10_000, `answered after ${first.ms.toFixed(0)} ms, within the 10 s webhook timeout`);
      if (c.inspectable === true) {
        assert.doesNotMatch(said(first.answer), /could not inspect/);
        assert.match(said(first.answer), c.says);
        t.diagnostic(`answered in ${first.ms.toFixed(0)} ms: ${said(first.answer).slice(0, 160) || 'allowed, nothing to say'}`);
        return;
      }
      assert.equal(first.answer.allowed, false, 'failurePolicy Fail');
      assert.match(said(first.answer), /could not inspect image: /);
      // A bomb that takes longer than the work budget is answered "did not finish" first; its scan goes on in the
      // background and the failure it ends in is remembered, so a later admission says exactly what is wrong.
      let last = first;
      for (let i = 0; !c.says.test(said(last.answer)) && i < 120; i++) {
        await sleep(500);
        last = await admit(ref, pair);
        assert.ok(last.ms < 10_000, `answered after ${last.ms.toFixed(0)} ms`);
      }
      assert.match(said(last.answer), c.says);
      if (pair !== undefined)
        assert.match(said(last.answer), /\[strict\/noShell\] container "second" \(\S+\): could not inspect image: .*more than 500000 entries/);
      const retried =
        first === last
          ? ''
          : ` (${/did not finish/.test(said(first.answer)) ? 'deadline' : 'other'}), the exact reason ${last.ms.toFixed(0)} ms after asking again`;
      t.diagnostic(`peak ${((await peakRss(child.pid ?? 0)) / 1048576).toFixed(0)} MiB; first answer in ${first.ms.toFixed(0)} ms${retried}`);
    });
  }

  it(`the serve process stayed within the Deployment's ${MEMORY_LIMIT_BYTES / 1024 / 1024} MiB memory limit`, async (t) => {
    assert.ok(child.pid !== undefined);
    const peak = await peakRss(child.pid);
    t.diagnostic(`peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB`);
    assert.ok(peak < MEMORY_LIMIT_BYTES, `peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB`);
    assert.equal((await client.get('/healthz')).status, 200);
  });
});
