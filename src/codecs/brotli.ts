import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { DecodeError } from '../errors.js';
import { asBuffer } from './as-buffer.js';
import type { Codec } from './codec.js';
import { BROTLI_QUALITY } from './levels.js';

/**
 * Brotli (RFC 7932) at a speed-minded quality; see levels.ts. Like lz4 it has no checksum: a damaged stream can decode
 * to other bytes, which the blob header's crc32 catches.
 */
export const brotliCodec: Codec = {
  name: 'brotli',
  id: 0x62, // 'b'
  encode(bytes) {
    return brotliCompressSync(asBuffer(bytes), {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        // Knowing the size lets brotli size its buffers to the input: small values compress faster.
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
      },
    });
  },
  decode(bytes) {
    try {
      return brotliDecompressSync(asBuffer(bytes));
    } catch (cause) {
      throw new DecodeError(`brotli: cannot decompress ${bytes.byteLength} bytes: ${(cause as Error).message}`, { cause });
    }
  },
};
