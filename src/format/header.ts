import { crc32 } from 'node:zlib';
import { DecodeError } from '../errors.js';

/**
 * Every stored blob starts with this header, so a blob describes itself and a reader with the wrong
 * settings, a newer format, or damaged bytes fails loudly instead of returning a wrong value.
 *
 *   0  'H' 'S'          magic
 *   2  version          1, or 2 for a blob that expires
 *   3  serializer id    printable ASCII, see src/serializers
 *   4  codec id         printable ASCII, see src/codecs
 *   5  flags            bit 0: body left uncompressed (too small to gain); bit 1: the blob was base64-encoded whole
 *   6  body length      uint32 little-endian
 *  10  crc32            uint32 little-endian; version 1: over the body as stored; version 2: over bytes 14 to the end
 *  14  body             (version 1)
 *  14  expires at       (version 2) float64 little-endian, milliseconds since the epoch by the writer's clock
 *  22  body             (version 2)
 *
 * A blob without an expiry is written as version 1, byte for byte what hashstash wrote before expiry existed, so
 * older readers read it and its golden files stay. The expiry sits at a fixed place before the body, so an engine
 * can tell an expired blob without decoding it (see {@link expiresAtOf}); the crc covers it.
 */
export const FORMAT_VERSION = 2;
/** The header of a version 1 blob, the one written for values without an expiry. */
export const HEADER_SIZE = 14;
/** The header of a version 2 blob: version 1's and the expiry. */
export const EXPIRING_HEADER_SIZE = 22;
const MAGIC_0 = 0x48; // 'H'
const MAGIC_1 = 0x53; // 'S'

export const FLAG_UNCOMPRESSED = 0b01;
export const FLAG_B64 = 0b10;

export interface Header {
  readonly version: number;
  readonly serializerId: number;
  readonly codecId: number;
  readonly flags: number;
  /** Version 2: when the blob expires, ms since the epoch. */
  readonly expiresAt?: number;
}

/**
 * Writes header and body into one new buffer: version 1, or version 2 when `expiresAt` (ms since the epoch) is given.
 */
export function withHeader(
  body: Uint8Array,
  serializerId: number,
  codecId: number,
  flags: number,
  expiresAt?: number,
): Buffer {
  const start = expiresAt === undefined ? HEADER_SIZE : EXPIRING_HEADER_SIZE;
  const blob = Buffer.allocUnsafe(start + body.length);
  blob.set(body, start);
  writeHeader(blob, serializerId, codecId, flags, expiresAt);
  return blob;
}

/** Writes UTF-8 text as the body of a new blob, without an intermediate buffer; the expiry as in {@link withHeader}. */
export function textWithHeader(
  text: string,
  serializerId: number,
  codecId: number,
  flags: number,
  expiresAt?: number,
): Buffer {
  const start = expiresAt === undefined ? HEADER_SIZE : EXPIRING_HEADER_SIZE;
  const blob = Buffer.allocUnsafe(start + Buffer.byteLength(text));
  blob.write(text, start, 'utf8');
  writeHeader(blob, serializerId, codecId, flags, expiresAt);
  return blob;
}

/** Fills in the header of a blob whose body is already in place after it. */
function writeHeader(
  blob: Buffer,
  serializerId: number,
  codecId: number,
  flags: number,
  expiresAt: number | undefined,
): void {
  const start = expiresAt === undefined ? HEADER_SIZE : EXPIRING_HEADER_SIZE;
  blob[0] = MAGIC_0;
  blob[1] = MAGIC_1;
  blob[2] = expiresAt === undefined ? 1 : 2;
  blob[3] = serializerId;
  blob[4] = codecId;
  blob[5] = flags;
  blob.writeUInt32LE(blob.length - start, 6);
  if (expiresAt !== undefined) blob.writeDoubleLE(expiresAt, HEADER_SIZE);
  blob.writeUInt32LE(crc32Of(blob, HEADER_SIZE, blob.length), 10);
}

const EXPIRY_VIEW = new Float64Array(1);
const EXPIRY_BYTES = new Uint8Array(EXPIRY_VIEW.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const B64_PREFIX = Buffer.from('HS').toString('base64').slice(0, 2); // 'SF'

/**
 * When a stored blob expires, in ms since the epoch, read from its header without checking or decoding anything;
 * null when it never expires (a version 1 blob, or bytes that are no blob, which the read path then rejects). Takes
 * a blob base64-encoded whole too (`b64: true`), decoding only its first 32 characters. For engines that index or
 * skip expired entries: `expiresAtOf(blob) <= now` means expired.
 */
export function expiresAtOf(stored: Uint8Array): number | null {
  let blob = stored;
  if (stored[0] !== MAGIC_0 && stored.length >= 32 && String.fromCharCode(stored[0], stored[1]) === B64_PREFIX) {
    blob = Buffer.from(Buffer.from(stored.buffer, stored.byteOffset, 32).toString('latin1'), 'base64');
  }
  if (blob.length < EXPIRING_HEADER_SIZE || blob[0] !== MAGIC_0 || blob[1] !== MAGIC_1 || blob[2] !== 2) return null;
  if (LITTLE_ENDIAN) {
    for (let i = 0; i < 8; i++) EXPIRY_BYTES[i] = blob[HEADER_SIZE + i]!;
  } else {
    for (let i = 0; i < 8; i++) EXPIRY_BYTES[7 - i] = blob[HEADER_SIZE + i]!;
  }
  return EXPIRY_VIEW[0];
}

/**
 * True when `stored` is a whole version 2 blob (raw or base64-encoded whole) whose body length and crc32 are as
 * written. An expiry is believed only from such a blob: damaged bytes whose header happens to read as an expiry in the
 * past must fail as damage (the read path's DecodeError), not pass for an entry that expired and is absent.
 */
export function isIntactExpiringBlob(stored: Uint8Array): boolean {
  let blob = stored;
  if (stored[0] !== MAGIC_0) {
    if (stored.length < 32 || String.fromCharCode(stored[0], stored[1]) !== B64_PREFIX) return false;
    blob = Buffer.from(Buffer.from(stored.buffer, stored.byteOffset, stored.length).toString('latin1'), 'base64');
  }
  if (blob.length < EXPIRING_HEADER_SIZE || blob[0] !== MAGIC_0 || blob[1] !== MAGIC_1 || blob[2] !== 2) return false;
  if (readUInt32LE(blob, 6) !== blob.length - EXPIRING_HEADER_SIZE) return false;
  return readUInt32LE(blob, 10) === crc32Of(blob, HEADER_SIZE, blob.length);
}

function readUInt32LE(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
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
      const previous = tables[(t - 1) * 256 + n];
      tables[t * 256 + n] = (previous >>> 8) ^ tables[previous & 0xff];
    }
  }
  return tables;
})();

/**
 * Below this many bytes the table loop beats zlib.crc32, whose call (a subarray for it, the binding) costs about as
 * much as the loop over a few hundred bytes; above it zlib's wide loop wins.
 */
const JS_CRC_MAX = 256;

/** zlib's crc32 of `bytes[start, end)`; with `initial`, continuing the crc32 of the bytes before them. */
export function crc32Of(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  if (end - start > JS_CRC_MAX) return crc32(bytes.subarray(start, end), initial);
  const t = CRC_TABLES;
  let c = initial ^ -1;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = t[768 + (c & 0xff)] ^ t[512 + ((c >>> 8) & 0xff)] ^ t[256 + ((c >>> 16) & 0xff)] ^ t[c >>> 24];
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * Checks magic, version, length and checksum, and throws DecodeError when one is wrong; returns where the body starts
 * (it runs to the end), and the ids and flags are bytes 3, 4 and 5. The read path's form of readHeader: it allocates nothing.
 */
export function checkBlob(blob: Uint8Array): number {
  const size = blob.length;
  if (size < HEADER_SIZE || blob[0] !== MAGIC_0 || blob[1] !== MAGIC_1) {
    throw new DecodeError(
      size < HEADER_SIZE && blob[0] === MAGIC_0
        ? `stored blob is truncated: ${size} bytes is shorter than the ${HEADER_SIZE}-byte header`
        : 'stored bytes are not a hashstash blob (bad magic); were they written by another program, or with other b64 settings?',
    );
  }
  const version = blob[2];
  if (version > FORMAT_VERSION) {
    throw new DecodeError(
      `stored blob uses format version ${version}, newer than this hashstash reads (${FORMAT_VERSION}); upgrade hashstash`,
    );
  }
  if (version < 1) throw new DecodeError(`stored blob has an invalid format version ${version}`);
  const start = version === 2 ? EXPIRING_HEADER_SIZE : HEADER_SIZE;
  if (size < start)
    throw new DecodeError(`stored blob is truncated: ${size} bytes is shorter than the ${start}-byte header`);
  const length = readUInt32LE(blob, 6);
  const found = size - start;
  if (found !== length) {
    throw new DecodeError(
      `stored blob is ${found < length ? 'truncated' : 'too long'}: header says ${length} body bytes, found ${found}`,
    );
  }
  if (crc32Of(blob, HEADER_SIZE, size) !== readUInt32LE(blob, 10)) {
    throw new DecodeError('stored blob is corrupt: its checksum does not match its contents');
  }
  return start;
}

/** Checks magic, version, length and checksum; returns the header and a view of the body. */
export function readHeader(blob: Uint8Array): { header: Header; body: Uint8Array } {
  const start = checkBlob(blob);
  const header: Header = { version: blob[2], serializerId: blob[3], codecId: blob[4], flags: blob[5] };
  return {
    header: start === EXPIRING_HEADER_SIZE ? { ...header, expiresAt: expiresAtOf(blob)! } : header,
    body: blob.subarray(start),
  };
}
