import { gunzipSync, gzipSync } from 'node:zlib';
import { DecodeError } from '../errors.js';
import { asBuffer } from './as-buffer.js';
import type { Codec } from './codec.js';
import { GZIP_LEVEL } from './levels.js';

/** DEFLATE in a gzip wrapper (RFC 1952) with a crc32; Node writes a zero mtime, so equal input gives equal output. */
export const gzipCodec: Codec = {
  name: 'gzip',
  id: 0x67, // 'g'
  encode(bytes) {
    return gzipSync(asBuffer(bytes), { level: GZIP_LEVEL });
  },
  decode(bytes) {
    try {
      return gunzipSync(asBuffer(bytes));
    } catch (cause) {
      throw new DecodeError(`gzip: cannot decompress ${bytes.byteLength} bytes: ${(cause as Error).message}`, { cause });
    }
  },
};
