/**
 * Hostile layer blobs, generated as streams of gzip members (Node's gunzip reads concatenated members as one
 * stream, as every registry client does): one small member is compressed once and repeated, so a layer of millions
 * of entries or gigabytes of zeros costs the test a few megabytes of upload and almost no CPU to build.
 */
import { gzipSync } from 'node:zlib';

/**
 * A 512-byte ustar header written by hand, for what tar-stream's pack cannot write (GNU long names: `gnu`) or
 * would refuse or fix (bad sizes, global PAX headers).
 */
export function rawHeader(name: string, typeflag: string, size: number, options: { linkname?: string; gnu?: boolean } = {}): Buffer {
  const block = Buffer.alloc(512);
  block.write(name.slice(0, 100), 0);
  block.write('0000755\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(size.toString(8).padStart(11, '0') + '\0', 124);
  block.write('14552031200\0', 136);
  block.write(typeflag, 156);
  block.write((options.linkname ?? '').slice(0, 100), 157);
  block.write(options.gnu === true ? 'ustar  \0' : 'ustar\u000000', 257);
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return block;
}

/** `data` padded with zeros to whole 512-byte tar blocks. */
export const padded = (data: Buffer): Buffer => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
/** The end-of-archive marker, as its own member. */
const END = gzipSync(Buffer.alloc(1024));

function* repeat(member: Buffer, times: number, head?: Buffer): Generator<Buffer> {
  if (head !== undefined) yield head;
  for (let i = 0; i < times; i++) yield member;
  yield END;
}

/** `entries` empty regular files (names cycling over 2048), in ~2.3 bytes of gzip per entry. */
export function tarBomb(entries: number): Iterable<Buffer> {
  const perMember = 2048;
  const block = Buffer.concat(Array.from({ length: perMember }, (_, i) => rawHeader(`bomb/${String(i).padStart(6, '0')}`, '0', 0)));
  return repeat(gzipSync(block, { level: 9 }), Math.ceil(entries / perMember));
}

/** `bytes` of PAX global headers made of the smallest records ("6 a=b\n"), the costliest to parse, then one file. */
export function paxHeaderBomb(bytes: number): Iterable<Buffer> {
  const records = Buffer.from('6 a=b\n'.repeat(Math.floor((4 * 1024 * 1024 - 1024) / 6)));
  const unit = Buffer.concat([rawHeader('pax_global_header', 'g', records.length), padded(records)]);
  const member = gzipSync(unit, { level: 9 });
  return (function* () {
    for (let i = 0; i < Math.ceil(bytes / unit.length); i++) yield member;
    yield gzipSync(Buffer.concat([rawHeader('after-the-headers', '0', 0), Buffer.alloc(1024)]));
  })();
}

/** One GNU long-name record (`././@LongLink`, type L) of `bytes`, then the entry it names. */
export function gnuLongNameLayer(bytes: number): Iterable<Buffer> {
  const name = Buffer.alloc(bytes, 'n');
  return [gzipSync(Buffer.concat([rawHeader('././@LongLink', 'L', name.length), padded(name), rawHeader('short', '0', 0), Buffer.alloc(1024)]))];
}

/** One regular file of `bytes` zeros: a decompression bomb (~1000:1). */
export function gzipBomb(bytes: number): Iterable<Buffer> {
  const chunk = 64 * 1024 * 1024;
  const times = Math.ceil(bytes / chunk);
  return repeat(gzipSync(Buffer.alloc(chunk), { level: 9 }), times, gzipSync(rawHeader('zeros.img', '0', times * chunk)));
}
