import { crc32 } from 'node:zlib';
import { DecodeError } from '../errors.js';

/**
 * Every stored blob starts with this header, so a blob describes itself and a reader with the wrong
 * settings, a newer format, or damaged bytes fails loudly instead of returning a wrong value.
 *
 *   0  'H' 'S'          magic
 *   2  version          FORMAT_VERSION
 *   3  serializer id    printable ASCII, see src/serializers
 *   4  codec id         printable ASCII, see src/codecs
 *   5  flags            bit 0: body left uncompressed (too small to gain); bit 1: the blob was base64-encoded whole
 *   6  body length      uint32 little-endian
 *  10  body crc32       uint32 little-endian, over the body as stored
 *  14  body
 */
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 14;
const MAGIC_0 = 0x48; // 'H'
const MAGIC_1 = 0x53; // 'S'

export const FLAG_UNCOMPRESSED = 0b01;
export const FLAG_B64 = 0b10;

export interface Header {
  readonly version: number;
  readonly serializerId: number;
  readonly codecId: number;
  readonly flags: number;
}

/** Writes header and body into one new buffer. */
export function withHeader(body: Uint8Array, serializerId: number, codecId: number, flags: number): Buffer {
  const blob = Buffer.allocUnsafe(HEADER_SIZE + body.length);
  blob.set(body, HEADER_SIZE);
  writeHeader(blob, serializerId, codecId, flags);
  return blob;
}

/** Writes UTF-8 text as the body of a new blob, without an intermediate buffer. */
export function textWithHeader(text: string, serializerId: number, codecId: number, flags: number): Buffer {
  const blob = Buffer.allocUnsafe(HEADER_SIZE + Buffer.byteLength(text));
  blob.write(text, HEADER_SIZE, 'utf8');
  writeHeader(blob, serializerId, codecId, flags);
  return blob;
}

/** Fills in the header of a blob whose body is already in place after it. */
function writeHeader(blob: Buffer, serializerId: number, codecId: number, flags: number): void {
  blob[0] = MAGIC_0;
  blob[1] = MAGIC_1;
  blob[2] = FORMAT_VERSION;
  blob[3] = serializerId;
  blob[4] = codecId;
  blob[5] = flags;
  blob.writeUInt32LE(blob.length - HEADER_SIZE, 6);
  blob.writeUInt32LE(crc32Of(blob, HEADER_SIZE, blob.length), 10);
}

function readUInt32LE(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) + bytes[at + 3]! * 0x1000000;
}

/** CRC-32 (IEEE, zlib's) by tables, four bytes a step (slicing-by-4), for bodies too short to be worth a call into zlib. */
const CRC_TABLES = (() => {
  const tables = new Int32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 4; t++) {
      const previous = tables[(t - 1) * 256 + n]!;
      tables[t * 256 + n] = (previous >>> 8) ^ tables[previous & 0xff]!;
    }
  }
  return tables;
})();

/**
 * Below this many bytes the table loop beats zlib.crc32, whose call (a subarray for it, the binding) costs about as
 * much as the loop over a few hundred bytes; above it zlib's wide loop wins.
 */
const JS_CRC_MAX = 256;

/** zlib's crc32 of `bytes[start, end)`. */
export function crc32Of(bytes: Uint8Array, start: number, end: number): number {
  if (end - start > JS_CRC_MAX) return crc32(bytes.subarray(start, end));
  const t = CRC_TABLES;
  let c = -1;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^ t[c >>> 24]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * Checks magic, version, length and checksum, and throws DecodeError when one is wrong; the body is `blob[HEADER_SIZE..]`
 * and the ids and flags are its bytes 3, 4 and 5. The read path's form of readHeader: it allocates nothing.
 */
export function checkBlob(blob: Uint8Array): void {
  const size = blob.length;
  if (size < HEADER_SIZE || blob[0] !== MAGIC_0 || blob[1] !== MAGIC_1) {
    throw new DecodeError(
      size < HEADER_SIZE && blob[0] === MAGIC_0
        ? `stored blob is truncated: ${size} bytes is shorter than the ${HEADER_SIZE}-byte header`
        : 'stored bytes are not a hashstash blob (bad magic); were they written by another program, or with other b64 settings?',
    );
  }
  const version = blob[2]!;
  if (version > FORMAT_VERSION) {
    throw new DecodeError(`stored blob uses format version ${version}, newer than this hashstash reads (${FORMAT_VERSION}); upgrade hashstash`);
  }
  if (version < 1) throw new DecodeError(`stored blob has an invalid format version ${version}`);
  const length = readUInt32LE(blob, 6);
  const found = size - HEADER_SIZE;
  if (found !== length) {
    throw new DecodeError(`stored blob is ${found < length ? 'truncated' : 'too long'}: header says ${length} body bytes, found ${found}`);
  }
  if (crc32Of(blob, HEADER_SIZE, size) !== readUInt32LE(blob, 10)) {
    throw new DecodeError('stored blob is corrupt: its checksum does not match its contents');
  }
}

/** Checks magic, version, length and checksum; returns the header and a view of the body. */
export function readHeader(blob: Uint8Array): { header: Header; body: Uint8Array } {
  checkBlob(blob);
  return { header: { version: blob[2]!, serializerId: blob[3]!, codecId: blob[4]!, flags: blob[5]! }, body: blob.subarray(HEADER_SIZE) };
}
