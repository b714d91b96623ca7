import { loadDriver } from '../drivers.js';
import { DecodeError } from '../errors.js';
import { asBuffer } from './as-buffer.js';
import { MAX_DECODED_BYTES, type Codec } from './codec.js';

/**
 * LZ4 can expand at most about 255:1: each byte of a match length adds at most 255 bytes of output.
 * A size prefix larger than that for the bytes that follow it is corrupt.
 */
const MAX_LZ4_RATIO = 255;
const SIZE_PREFIX_BYTES = 4;

type Lz4 = typeof import('lz4-napi');
let lz4: Lz4 | undefined;
/** The native addon loads on the first encode or decode, not when hashstash is imported. */
const loadLz4 = (): Lz4 => (lz4 ??= loadDriver<Lz4>('lz4-napi'));

/**
 * An LZ4 block behind a 4-byte little-endian uncompressed size (lz4_flex's `compress_prepend_size`).
 * lz4-napi allocates whatever the prefix claims before decompressing, and accepts a prefix larger than the
 * real output, so decode checks the prefix against the input first and against the output after. There is no checksum:
 * a damaged literal decodes to other bytes, which the blob header's crc32 catches.
 */
export const lz4Codec: Codec = {
  name: 'lz4',
  id: 0x6c, // 'l'
  encode(bytes) {
    return loadLz4().compressSync(asBuffer(bytes));
  },
  decode(bytes, maxBytes = MAX_DECODED_BYTES) {
    const length = bytes.byteLength;
    if (length <= SIZE_PREFIX_BYTES) {
      throw new DecodeError(`lz4: ${length} bytes is too short for a size prefix and a block`);
    }
    const buffer = asBuffer(bytes);
    const declaredSize = buffer.readUInt32LE(0);
    if (declaredSize > (length - SIZE_PREFIX_BYTES) * MAX_LZ4_RATIO) {
      throw new DecodeError(`lz4: size prefix ${declaredSize} is impossible for ${length} bytes of input`);
    }
    if (declaredSize > maxBytes) {
      throw new DecodeError(`lz4: size prefix ${declaredSize} is more than the limit of ${maxBytes} bytes`);
    }
    let output: Buffer;
    try {
      output = loadLz4().uncompressSync(buffer);
    } catch (cause) {
      throw new DecodeError(`lz4: cannot decompress ${length} bytes: ${(cause as Error).message}`, { cause });
    }
    if (output.byteLength !== declaredSize) {
      throw new DecodeError(`lz4: size prefix says ${declaredSize} bytes, the block holds ${output.byteLength}`);
    }
    return output;
  },
};
