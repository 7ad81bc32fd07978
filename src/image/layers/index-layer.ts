/**
 * Streams one layer blob (compressed tar) into a {@link LayerIndex}: entry metadata, whiteouts and the few small
 * text files the facts need. The layer is never buffered: entry bodies are drained as they pass.
 */
import { Readable, Transform, addAbortSignal, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, type ExtractEvents, type Header } from 'tar-stream';
import { SNIFF_BYTES, declaredCompression, decompressor, sniffCompression } from './compression.js';
import { LayerIndexError } from './errors.js';
import { forceMinorGcEvery4MiB } from './force-minor-gc.js';
import { normalisePath, whiteoutOf } from './paths.js';
import type { EntryKind, LayerEntry, LayerIndex } from './types.js';

export interface LayerIndexLimits {
  /** Tar headers per layer, whiteouts included. */
  readonly maxEntries: number;
  /** Bytes of an entry name or link target after PAX/GNU long names are applied (Linux PATH_MAX is 4096). */
  readonly maxNameBytes: number;
  /** Decompressed bytes per layer: stops a decompression bomb early. */
  readonly maxUncompressedBytes: number;
  /** Bytes kept of each captured text file; a bigger file is recorded as an entry but its text is dropped. */
  readonly maxFileBytes: number;
  /**
   * Bytes of PAX and GNU long-name/long-link headers per layer (the tar parser consumes them; they are not entries).
   * Parsing PAX headers of tiny records is slow, so without this bound a small blob of repeated headers costs
   * minutes of CPU before the decompressed-size limit stops it (bench/PERFORMANCE.md, "Measurements behind source
   * choices").
   */
  readonly maxHeaderBytes: number;
}

/**
 * maxEntries: the largest real layers (a full TeX Live, an Android SDK, a node_modules-heavy app) hold 100-300k
 * entries. Each indexed entry holds heap while its layer is scanned: at 500,000, two tar bombs scanned at once (the
 * layer concurrency) keep a serve process under the Deployment's 512 MiB memory limit
 * (test/hostile/hostile-images.test.ts holds it there; what 1,000,000 cost: bench/PERFORMANCE.md, "Measurements
 * behind source choices").
 */
export const DEFAULT_LAYER_INDEX_LIMITS: LayerIndexLimits = {
  maxEntries: 500_000,
  maxNameBytes: 4096,
  maxUncompressedBytes: 16 * 1024 ** 3,
  maxFileBytes: 1024 * 1024,
  maxHeaderBytes: 128 * 1024 * 1024,
};

/**
 * Text files whose content the facts read. Both os-release locations are kept: /etc/os-release is usually a
 * symlink to ../usr/lib/os-release (os-release(5)), and the union resolves the link later.
 */
export const CAPTURED_FILES: readonly string[] = [
  '/etc/passwd',
  '/etc/group',
  '/etc/os-release',
  '/usr/lib/os-release',
];

export interface IndexLayerOptions {
  /** Digest of the blob, recorded in the index (the caller verifies it while streaming). */
  readonly digest: string;
  /** The descriptor's media type; must be a known layer type even though the bytes decide the decompression. */
  readonly mediaType: string;
  readonly signal: AbortSignal;
  readonly limits?: Partial<LayerIndexLimits>;
  /** Normalised paths whose text to capture; defaults to {@link CAPTURED_FILES}. */
  readonly files?: readonly string[];
}

/**
 * Indexes a layer. Takes ownership of `source`: it is read to the end on success (so a digest-verifying source
 * sees every byte) and destroyed on failure. Rejects only with {@link LayerIndexError}.
 */
export async function indexLayer(source: Readable, options: IndexLayerOptions): Promise<LayerIndex> {
  const { digest, signal } = options;
  const limits: LayerIndexLimits = { ...DEFAULT_LAYER_INDEX_LIMITS, ...options.limits };
  const declared = declaredCompression(options.mediaType);
  if (declared === undefined) {
    source.destroy();
    throw new LayerIndexError('unsupported-media-type', digest, `unsupported layer media type "${options.mediaType}"`);
  }

  let sourceError: unknown;
  source.on('error', (err: unknown) => {
    sourceError ??= err;
  });
  const fail = (err: unknown): LayerIndexError => {
    if (!source.destroyed) source.destroy();
    if (err instanceof LayerIndexError) return err;
    if (signal.aborted) return new LayerIndexError('aborted', digest, 'aborted', { cause: signal.reason });
    if (err === sourceError) return new LayerIndexError('source', digest, 'reading the blob failed', { cause: err });
    const message = err instanceof Error ? err.message : String(err);
    return new LayerIndexError('corrupt', digest, `unreadable layer: ${message}`, { cause: err });
  };

  if (signal.aborted) throw fail(signal.reason);
  addAbortSignal(signal, source);

  try {
    const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head = await readHead(chunks);
    const compression = sniffCompression(Buffer.concat(head)) ?? declared;
    const input = Readable.from(replay(head, chunks), { objectMode: false });
    const collector = new Collector(digest, limits, new Set(options.files ?? CAPTURED_FILES));
    const meter = new ByteMeter(limits.maxUncompressedBytes, digest, (seen) => collector.checkHeaderRun(seen));
    const extract = tarExtract(EXTRACT_OPTIONS);
    extract.on('entry', (header, body, next) => collector.onEntry(header, body, next));
    const inflate = decompressor(compression);
    if (inflate === null) await pipeline(input, meter, extract, { signal });
    else await pipeline(input, inflate, meter, extract, { signal });
    return collector.result();
  } catch (err) {
    throw fail(err);
  }
}

/** Reads chunks until the magic bytes can be sniffed or the stream ends. */
async function readHead(chunks: AsyncIterator<Buffer>): Promise<Buffer[]> {
  const head: Buffer[] = [];
  let size = 0;
  while (size < SNIFF_BYTES) {
    const next = await chunks.next();
    if (next.done === true) break;
    head.push(next.value);
    size += next.value.length;
  }
  return head;
}

async function* replay(head: readonly Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  // Delegating through an iterable makes an early return (pipeline teardown) close `rest`, destroying the source.
  yield* { [Symbol.asyncIterator]: () => rest };
}

/** Counts decompressed bytes and fails as soon as the limit is passed, or when `check` finds the bytes suspicious. */
class ByteMeter extends Transform {
  private seen = 0;

  constructor(
    private readonly max: number,
    private readonly digest: string,
    /** Sees the running count; throws LayerIndexError to stop the scan. */
    private readonly check: (seen: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    forceMinorGcEvery4MiB(chunk.length);
    if (this.seen > this.max) {
      callback(new LayerIndexError('too-large', this.digest, `more than ${this.max} decompressed bytes`));
      return;
    }
    try {
      this.check(this.seen);
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    callback(null, chunk);
  }
}

/** Tar bytes between what the parser consumed and what the meter counted: its buffers, generously. */
const PARSER_SLACK_BYTES = 4 * 1024 * 1024;

/** tar-stream records where an entry's data starts in the tar stream (after its headers); not in its typings. */
type HeaderWithOffset = Header & { readonly byteOffset?: number };

/** Old (v7) tars have no ustar magic; the header checksum still rejects garbage. Not in tar-stream's typings. */
const EXTRACT_OPTIONS: Parameters<typeof tarExtract>[0] & { allowUnknownFormat: boolean } = {
  allowUnknownFormat: true,
};

type EntryBody = ExtractEvents['entry'][1];

class Collector {
  private readonly entries: LayerEntry[] = [];
  private readonly whiteouts = new Set<string>();
  private readonly opaqueDirs = new Set<string>();
  private readonly files = new Map<string, string>();
  private count = 0;
  /** Tar offset where the next header starts if no long headers come first: the end of the last entry's data. */
  private nextHeaderAt = 0;
  /** PAX / GNU long-name header bytes seen so far. */
  private headerBytes = 0;

  constructor(
    private readonly digest: string,
    private readonly limits: LayerIndexLimits,
    private readonly wanted: ReadonlySet<string>,
  ) {}

  onEntry(header: Header, body: EntryBody, next: (err?: Error | null) => void): void {
    // tar-stream destroys the body when the extract fails; the pipeline reports that error, not the body.
    body.on('error', () => {});
    let capture: string | null;
    try {
      this.countHeaders(header);
      capture = this.record(header);
    } catch (err) {
      next(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (capture === null) {
      body.on('end', () => next());
      body.resume();
      return;
    }
    const path = capture;
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (data: unknown) => {
      const chunk = data as Buffer;
      size += chunk.length;
      if (size <= this.limits.maxFileBytes) chunks.push(chunk);
    });
    body.on('end', () => {
      if (size <= this.limits.maxFileBytes) this.files.set(path, Buffer.concat(chunks).toString('utf8'));
      next();
    });
  }

  /** Accounts the long headers that came before this entry (its data starts 512 bytes after where they began). */
  private countHeaders(header: HeaderWithOffset): void {
    const dataAt = header.byteOffset;
    if (dataAt === undefined) return;
    this.headerBytes += Math.max(0, dataAt - 512 - this.nextHeaderAt);
    this.assertHeaderBytes(this.headerBytes);
    // tar-stream reads no data for a directory, nor for an empty entry.
    const size = header.type === 'directory' ? 0 : (header.size ?? 0);
    this.nextHeaderAt = dataAt + Math.ceil(size / 512) * 512;
  }

  /** Between entries: a run of long headers with no entry after it yet also counts. */
  checkHeaderRun(seen: number): void {
    this.assertHeaderBytes(this.headerBytes + seen - this.nextHeaderAt - PARSER_SLACK_BYTES);
  }

  private assertHeaderBytes(bytes: number): void {
    if (bytes > this.limits.maxHeaderBytes) {
      throw new LayerIndexError('too-many-headers', this.digest, `more than ${this.limits.maxHeaderBytes} bytes of PAX / GNU long-name headers`);
    }
  }

  /** Records one header; returns the path whose body to capture, or null to drain it. */
  private record(header: Header): string | null {
    if (++this.count > this.limits.maxEntries) {
      throw new LayerIndexError('too-many-entries', this.digest, `more than ${this.limits.maxEntries} entries`);
    }
    this.checkName(header.name);
    if (header.linkname) this.checkName(header.linkname);

    const path = normalisePath(header.name);
    const marker = whiteoutOf(path);
    if (marker !== null) {
      if (marker.kind === 'whiteout') this.whiteouts.add(marker.path);
      else if (marker.kind === 'opaque') this.opaqueDirs.add(marker.dir);
      return null;
    }
    if (path === '/') return null;

    const kind = kindOf(header.type);
    const mode = (header.mode ?? 0) & 0o7777;
    const linkname = header.linkname ?? '';
    const entry: LayerEntry =
      kind === 'symlink'
        ? { path, kind, mode, target: linkname }
        : kind === 'hardlink'
          ? { path, kind, mode, target: normalisePath(linkname) }
          : { path, kind, mode };
    this.entries.push(entry);
    // A later entry for the same path wins; stale text of an earlier regular file must not survive it.
    if (this.files.size > 0) this.files.delete(path);
    return kind === 'file' && this.wanted.has(path) ? path : null;
  }

  private checkName(name: string): void {
    if (Buffer.byteLength(name) > this.limits.maxNameBytes) {
      const max = this.limits.maxNameBytes;
      throw new LayerIndexError('name-too-long', this.digest, `a name is longer than ${max} bytes`);
    }
  }

  result(): LayerIndex {
    return {
      digest: this.digest,
      entries: this.entries,
      whiteouts: [...this.whiteouts],
      opaqueDirs: [...this.opaqueDirs],
      files: Object.fromEntries(this.files),
    };
  }
}

function kindOf(type: Header['type']): EntryKind {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}
