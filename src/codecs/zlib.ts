import { deflateSync, inflateSync } from 'node:zlib';
import { asBuffer } from './as-buffer.js';
import { MAX_DECODED_BYTES, type Codec } from './codec.js';
import { decompressAtMost } from './decompress-at-most.js';
import { ZLIB_LEVEL } from './levels.js';

/** DEFLATE in a zlib wrapper (RFC 1950), whose adler32 checksum catches corruption. */
export const zlibCodec: Codec = {
  name: 'zlib',
  id: 0x7a, // 'z'
  encode(bytes) {
    return deflateSync(asBuffer(bytes), { level: ZLIB_LEVEL });
  },
  decode(bytes, maxBytes = MAX_DECODED_BYTES) {
    return decompressAtMost('zlib', inflateSync, bytes, maxBytes, 'the limit');
  },
};
