import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { LayerIndexError, type LayerIndexErrorCode } from '../../../../src/image/layers/errors.js';
import { indexLayer, type IndexLayerOptions } from '../../../../src/image/layers/index-layer.js';
import type { LayerIndex } from '../../../../src/image/layers/types.js';
import { padded, rawHeader } from '../../../support/hostile-layers.js';

const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar';
const OCI_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const DOCKER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

type TarEntry = { readonly header: Partial<Header> & { name: string }; readonly body?: string | Buffer };

async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = pack();
  for (const { header, body } of entries) {
    if (body === undefined) p.entry(header);
    else p.entry(header, body);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const file = (name: string, body = '', mode = 0o644): TarEntry => ({ header: { name, mode, type: 'file' }, body });
const dir = (name: string, mode = 0o755): TarEntry => ({ header: { name, mode, type: 'directory' } });
const symlink = (name: string, linkname: string): TarEntry => ({ header: { name, mode: 0o777, type: 'symlink', linkname } });
const hardlink = (name: string, linkname: string): TarEntry => ({ header: { name, mode: 0o755, type: 'link', linkname } });

/** GNU tar's `././@LongLink` records (type L for the name, K for the link target) before the real header. */
function gnuLongLinkTar(name: string, linkname: string): Buffer {
  const longName = Buffer.from(name + '\0');
  const longLink = Buffer.from(linkname + '\0');
  return Buffer.concat([
    rawHeader('././@LongLink', 'L', longName.length, { gnu: true }),
    padded(longName),
    rawHeader('././@LongLink', 'K', longLink.length, { gnu: true }),
    padded(longLink),
    rawHeader(name, '2', 0, { linkname, gnu: true }),
    Buffer.alloc(1024),
  ]);
}

/** Streams a buffer in small chunks, as a registry response would arrive. */
function streamOf(data: Buffer, chunkSize = 4096): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += chunkSize) chunks.push(data.subarray(offset, offset + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

function options(mediaType: string, extra: Partial<IndexLayerOptions> = {}): IndexLayerOptions {
  return { digest: 'sha256:test', mediaType, signal: AbortSignal.timeout(10_000), ...extra };
}

async function rejectsWith(promise: Promise<unknown>, code: LayerIndexErrorCode): Promise<LayerIndexError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LayerIndexError, `expected a LayerIndexError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

const paths = (index: LayerIndex): string[] => index.entries.map((entry) => entry.path);

describe('indexLayer reads tar entries', () => {
  const cases: ReadonlyArray<{ name: string; entries: readonly TarEntry[]; expect: (index: LayerIndex) => void }> = [
    {
      name: 'names starting with ./ become absolute paths and the root entry is dropped',
      entries: [dir('./'), dir('./usr/'), dir('./usr/bin/'), file('./usr/bin/dash', 'ELF', 0o755)],
      expect: (index) => assert.deepEqual(paths(index), ['/usr', '/usr/bin', '/usr/bin/dash']),
    },
    {
      name: 'names climbing with ../ land inside the root',
      entries: [file('../../etc/passwd', 'root:x:0:0::/root:/bin/sh\n'), file('/usr/../bin//sh/.', '', 0o755)],
      expect: (index) => {
        assert.deepEqual(paths(index), ['/etc/passwd', '/bin/sh']);
        assert.equal(index.files['/etc/passwd'], 'root:x:0:0::/root:/bin/sh\n');
      },
    },
    {
      name: 'a PAX long name over 100 characters and a long link target are read in full',
      entries: [symlink(`./opt/${'d'.repeat(120)}/sh`, `/very/${'t'.repeat(140)}/busybox`)],
      expect: (index) =>
        assert.deepEqual(index.entries, [
          { path: `/opt/${'d'.repeat(120)}/sh`, kind: 'symlink', mode: 0o777, target: `/very/${'t'.repeat(140)}/busybox` },
        ]),
    },
    {
      name: 'whiteouts and opaque markers are recorded apart from entries',
      entries: [
        file('./etc/.wh.shadow'),
        file('./usr/share/doc/.wh..wh..opq'),
        file('./usr/.wh..wh.plnk'),
        file('./usr/.wh...'),
        file('./usr/share/doc/README', 'x'),
      ],
      expect: (index) => {
        assert.deepEqual(paths(index), ['/usr/share/doc/README']);
        assert.deepEqual(index.whiteouts, ['/etc/shadow']);
        assert.deepEqual(index.opaqueDirs, ['/usr/share/doc']);
      },
    },
    {
      name: 'hard link targets are normalised and symlink targets kept verbatim',
      entries: [
        file('bin/busybox', 'ELF', 0o755),
        hardlink('bin/sh', './bin/busybox'),
        symlink('bin/ash', '../bin/./busybox'),
      ],
      expect: (index) =>
        assert.deepEqual(index.entries, [
          { path: '/bin/busybox', kind: 'file', mode: 0o755 },
          { path: '/bin/sh', kind: 'hardlink', mode: 0o755, target: '/bin/busybox' },
          { path: '/bin/ash', kind: 'symlink', mode: 0o777, target: '../bin/./busybox' },
        ]),
    },
    {
      name: 'modes keep only permission bits and devices and fifos are other',
      entries: [
        file('usr/bin/passwd', 'ELF', 0o104755),
        { header: { name: 'dev/null', mode: 0o666, type: 'character-device', devmajor: 1, devminor: 3 } },
        { header: { name: 'run/fifo', mode: 0o600, type: 'fifo' } },
      ],
      expect: (index) =>
        assert.deepEqual(index.entries, [
          { path: '/usr/bin/passwd', kind: 'file', mode: 0o4755 },
          { path: '/dev/null', kind: 'other', mode: 0o666 },
          { path: '/run/fifo', kind: 'other', mode: 0o600 },
        ]),
    },
    {
      name: 'passwd, group and both os-release files are captured and nothing else is',
      entries: [
        file('etc/passwd', 'root:x:0:0:root:/root:/sbin/nologin\n'),
        file('etc/group', 'root:x:0:\n'),
        symlink('etc/os-release', '../usr/lib/os-release'),
        file('usr/lib/os-release', 'PRETTY_NAME="Distroless"\n'),
        file('etc/shadow', 'root:*:1::::::\n'),
      ],
      expect: (index) =>
        assert.deepEqual(index.files, {
          '/etc/passwd': 'root:x:0:0:root:/root:/sbin/nologin\n',
          '/etc/group': 'root:x:0:\n',
          '/usr/lib/os-release': 'PRETTY_NAME="Distroless"\n',
        }),
    },
    {
      name: 'a later entry for a captured path replaces the earlier text',
      entries: [file('etc/os-release', 'ID=old\n'), symlink('etc/os-release', '../usr/lib/os-release')],
      expect: (index) => {
        assert.deepEqual(index.files, {});
        assert.equal(index.entries.length, 2);
      },
    },
  ];
  for (const { name, entries, expect } of cases) {
    it(name, async () => expect(await indexLayer(streamOf(gzipSync(await tarOf(entries))), options(OCI_GZIP))));
  }

  it('GNU long names and long link targets (././@LongLink) are read in full', async () => {
    const name = `usr/lib/${'n'.repeat(150)}/sh`;
    const target = `/usr/lib/${'k'.repeat(150)}/busybox`;
    const index = await indexLayer(streamOf(gnuLongLinkTar(name, target)), options(OCI_TAR));
    assert.deepEqual(index.entries, [{ path: '/' + name, kind: 'symlink', mode: 0o755, target }]);
  });

  it('a captured file over the size cap is indexed but its text dropped', async () => {
    const tar = await tarOf([file('etc/passwd', 'x'.repeat(2048)), file('etc/group', 'root:x:0:\n')]);
    const index = await indexLayer(streamOf(tar), options(OCI_TAR, { limits: { maxFileBytes: 1024 } }));
    assert.deepEqual(paths(index), ['/etc/passwd', '/etc/group']);
    assert.deepEqual(index.files, { '/etc/group': 'root:x:0:\n' });
  });

  it('records the digest it was given', async () => {
    const index = await indexLayer(streamOf(await tarOf([])), options(OCI_TAR, { digest: 'sha256:abc' }));
    assert.equal(index.digest, 'sha256:abc');
  });
});

describe('indexLayer decompresses by media type and by magic bytes', () => {
  const entries = [dir('bin'), file('bin/sh', 'ELF', 0o755)];
  const encodings = {
    tar: (tar: Buffer) => tar,
    gzip: (tar: Buffer) => gzipSync(tar),
    zstd: (tar: Buffer) => zstdCompressSync(tar),
  } as const;
  const cases: ReadonlyArray<{ name: string; mediaType: string; encoding: keyof typeof encodings }> = [
    { name: 'an OCI uncompressed tar', mediaType: OCI_TAR, encoding: 'tar' },
    { name: 'an OCI gzip tar', mediaType: OCI_GZIP, encoding: 'gzip' },
    { name: 'an OCI zstd tar', mediaType: OCI_ZSTD, encoding: 'zstd' },
    { name: 'an OCI nondistributable gzip tar', mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', encoding: 'gzip' },
    { name: 'an OCI nondistributable zstd tar', mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', encoding: 'zstd' },
    { name: 'an OCI nondistributable tar', mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar', encoding: 'tar' },
    { name: 'a Docker gzip layer', mediaType: DOCKER_GZIP, encoding: 'gzip' },
    { name: 'a media type with parameters', mediaType: `${OCI_GZIP}; charset=binary`, encoding: 'gzip' },
    { name: 'a layer declared gzip that is really zstd', mediaType: DOCKER_GZIP, encoding: 'zstd' },
    { name: 'a layer declared gzip that is an uncompressed tar', mediaType: OCI_GZIP, encoding: 'tar' },
    { name: 'a layer declared uncompressed that is gzip', mediaType: OCI_TAR, encoding: 'gzip' },
  ];
  for (const { name, mediaType, encoding } of cases) {
    it(`reads ${name}`, async () => {
      const blob = encodings[encoding](await tarOf(entries));
      const index = await indexLayer(streamOf(blob, 3), options(mediaType));
      assert.deepEqual(paths(index), ['/bin', '/bin/sh']);
    });
  }

  it('rejects a media type that is not a layer', async () => {
    const source = streamOf(await tarOf(entries));
    await rejectsWith(indexLayer(source, options('application/vnd.oci.image.config.v1+json')), 'unsupported-media-type');
    assert.ok(source.destroyed);
  });
});

describe('indexLayer fails with typed errors', () => {
  it('stops a gzip bomb early: 1 GiB expanded from about a megabyte', async () => {
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    const header = rawHeader('bomb', '0', 1024 ** 3);
    const members = [gzipSync(Buffer.concat([header, zeros]))];
    const more = gzipSync(zeros);
    for (let i = 1; i < 64; i++) members.push(more);
    const blob = Buffer.concat(members);
    assert.ok(blob.length < 2 * 1024 * 1024);
    let read = 0;
    const source = streamOf(blob, 16 * 1024).on('data', (chunk: Buffer) => (read += chunk.length));
    const started = performance.now();
    await rejectsWith(indexLayer(source, options(OCI_GZIP, { limits: { maxUncompressedBytes: 32 * 1024 * 1024 } })), 'too-large');
    assert.ok(performance.now() - started < 2000);
    assert.ok(read < blob.length / 2, `read ${read} of ${blob.length} compressed bytes`);
  });

  it('a truncated gzip blob is corrupt, not a hang', async () => {
    const blob = gzipSync(await tarOf([file('bin/sh', 'x'.repeat(100_000), 0o755)]));
    await rejectsWith(indexLayer(streamOf(blob.subarray(0, blob.length - 100)), options(OCI_GZIP)), 'corrupt');
  });

  it('a tar cut inside an entry body is corrupt', async () => {
    const tar = await tarOf([file('bin/sh', 'x'.repeat(10_000), 0o755)]);
    await rejectsWith(indexLayer(streamOf(tar.subarray(0, 2048)), options(OCI_TAR)), 'corrupt');
  });

  it('bytes that are not a tar are corrupt', async () => {
    await rejectsWith(indexLayer(streamOf(gzipSync(Buffer.alloc(1024, 'garbage'))), options(OCI_GZIP)), 'corrupt');
  });

  it('more entries than the limit', async () => {
    const entries = Array.from({ length: 20 }, (_, i) => file(`f${i}`));
    await rejectsWith(indexLayer(streamOf(await tarOf(entries)), options(OCI_TAR, { limits: { maxEntries: 10 } })), 'too-many-entries');
  });

  it('a name longer than the limit', async () => {
    const tar = await tarOf([file(`a/${'x'.repeat(300)}`)]);
    await rejectsWith(indexLayer(streamOf(tar), options(OCI_TAR, { limits: { maxNameBytes: 256 } })), 'name-too-long');
  });

  it('a link target longer than the limit', async () => {
    const tar = await tarOf([symlink('a', `/${'x'.repeat(300)}`)]);
    await rejectsWith(indexLayer(streamOf(tar), options(OCI_TAR, { limits: { maxNameBytes: 256 } })), 'name-too-long');
  });

  it('PAX headers piling up between entries: too-many-headers, long before the size limit', async () => {
    const records = Buffer.from('6 a=b\n'.repeat(40_000));
    const pax = Buffer.concat([rawHeader('PaxHeader', 'x', records.length), padded(records)]);
    const tar = Buffer.concat([...Array.from({ length: 8 }, () => pax), rawHeader('f', '0', 0), Buffer.alloc(1024)]);
    const limits = { maxHeaderBytes: 1024 * 1024 };
    await rejectsWith(indexLayer(streamOf(tar), options(OCI_TAR, { limits })), 'too-many-headers');
    // and with no entry after them at all (counted as they stream past)
    const only = Buffer.concat(Array.from({ length: 40 }, () => pax));
    await rejectsWith(indexLayer(streamOf(gzipSync(only)), options(OCI_GZIP, { limits: { maxHeaderBytes: 1024 * 1024 } })), 'too-many-headers');
  });

  it('a PAX header per entry (long names) stays within the header budget', async () => {
    const entries = Array.from({ length: 200 }, (_, i) => file(`usr/share/${'n'.repeat(150)}/${i}`, 'x'.repeat(i)));
    const index = await indexLayer(streamOf(await tarOf(entries)), options(OCI_TAR, { limits: { maxHeaderBytes: 256 * 1024 } }));
    assert.equal(index.entries.length, 200);
  });

  it('an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    const source = streamOf(await tarOf([]));
    const err = await rejectsWith(indexLayer(source, options(OCI_TAR, { signal: controller.signal })), 'aborted');
    assert.equal((err.cause as Error).message, 'deadline');
    assert.ok(source.destroyed);
  });

  it('an abort while the blob stalls mid-stream', async () => {
    const blob = gzipSync(await tarOf([file('bin/sh', 'x'.repeat(100_000), 0o755)]));
    const source = new PassThrough();
    source.write(blob.subarray(0, 1000));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('deadline')), 20);
    await rejectsWith(indexLayer(source, options(OCI_GZIP, { signal: controller.signal })), 'aborted');
    assert.ok(source.destroyed);
  });

  it('an abort before the first byte arrives', async () => {
    const source = new PassThrough();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('deadline')), 20);
    await rejectsWith(indexLayer(source, options(OCI_GZIP, { signal: controller.signal })), 'aborted');
  });

  it('a failing source (digest mismatch) keeps its error as the cause', async () => {
    const tar = await tarOf([file('bin/sh', 'x'.repeat(10_000), 0o755)]);
    const failure = new Error('digest mismatch');
    const source = new Readable({
      read() {
        this.push(tar.subarray(0, 1024));
        this.destroy(failure);
      },
    });
    const err = await rejectsWith(indexLayer(source, options(OCI_TAR)), 'source');
    assert.equal(err.cause, failure);
  });
});

describe('indexLayer drains the blob', () => {
  it('reads the source to its end, padding after the tar included', async () => {
    const tar = Buffer.concat([await tarOf([file('a', 'x')]), Buffer.alloc(10_240)]);
    let read = 0;
    const source = streamOf(gzipSync(tar), 100);
    source.on('data', (chunk: Buffer) => (read += chunk.length));
    await indexLayer(source, options(OCI_GZIP));
    assert.equal(read, gzipSync(tar).length);
    assert.ok(source.readableEnded);
  });
});
