import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { asBuffer } from './as-buffer.js';
import { MAX_DECODED_BYTES, type Codec } from './codec.js';
import { decompressAtMost } from './decompress-at-most.js';
import { BROTLI_QUALITY } from './levels.js';

/**
 * Brotli (RFC 7932) at a speed-minded quality; see levels.ts. Like lz4 it has no checksum: a damaged stream can decode
 * to other bytes, which the blob header's crc32 catches. Nor does it record its decoded size, and a few hundred bytes
 * can expand to gigabytes, so decoding stops at the caller's limit.
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
  decode(bytes, maxBytes = MAX_DECODED_BYTES) {
    return decompressAtMost('brotli', brotliDecompressSync, bytes, maxBytes, 'the limit');
  },
};
