import { gunzipSync, gzipSync } from 'node:zlib';
import { DecodeError } from '../errors.js';
import { asBuffer } from './as-buffer.js';
import { MAX_DECODED_BYTES, type Codec } from './codec.js';
import { decompressAtMost } from './decompress-at-most.js';
import { GZIP_LEVEL } from './levels.js';

/** A gzip member ends with crc32 and ISIZE, the decoded length modulo 2^32, each four bytes little-endian. */
const ISIZE_BYTES = 4;

/** DEFLATE in a gzip wrapper (RFC 1952) with a crc32; Node writes a zero mtime, so equal input gives equal output. */
export const gzipCodec: Codec = {
  name: 'gzip',
  id: 0x67, // 'g'
  encode(bytes) {
    return gzipSync(asBuffer(bytes), { level: GZIP_LEVEL });
  },
  decode(bytes, maxBytes = MAX_DECODED_BYTES) {
    // The stream declares its decoded length: decode no more than that. zlib checks the length itself, but only at the
    // end. A zero is an empty output (or a multiple of 4 GiB): then only the caller's limit applies.
    const declared = bytes.byteLength >= ISIZE_BYTES ? asBuffer(bytes).readUInt32LE(bytes.byteLength - ISIZE_BYTES) : 0;
    if (declared > maxBytes) {
      throw new DecodeError(`gzip: the stream declares ${declared} decoded bytes, more than the limit of ${maxBytes}`);
    }
    if (declared === 0) return decompressAtMost('gzip', gunzipSync, bytes, maxBytes, 'the limit');
    return decompressAtMost('gzip', gunzipSync, bytes, declared, 'the length the stream declares');
  },
};
