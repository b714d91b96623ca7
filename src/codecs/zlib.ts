import { deflateSync, inflateSync } from 'node:zlib';
import { DecodeError } from '../errors.js';
import { asBuffer } from './as-buffer.js';
import type { Codec } from './codec.js';
import { ZLIB_LEVEL } from './levels.js';

/** DEFLATE in a zlib wrapper (RFC 1950), whose adler32 checksum catches corruption. */
export const zlibCodec: Codec = {
  name: 'zlib',
  id: 0x7a, // 'z'
  encode(bytes) {
    return deflateSync(asBuffer(bytes), { level: ZLIB_LEVEL });
  },
  decode(bytes) {
    try {
      return inflateSync(asBuffer(bytes));
    } catch (cause) {
      throw new DecodeError(`zlib: cannot decompress ${bytes.byteLength} bytes: ${(cause as Error).message}`, { cause });
    }
  },
};
