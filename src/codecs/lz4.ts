import { loadDriver } from '../drivers.js';
import { DecodeError } from '../errors.js';
import { asBuffer } from './as-buffer.js';
import { MAX_DECODED_BYTES, type Codec } from './codec.js';
import { loadKernel, MAX_KERNEL_BYTES, SLACK, type SlicingBuffer } from '../format/kernel.js';

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
    const buffer = asBuffer(bytes);
    const declaredSize = checkedSize(buffer, 0, length, maxBytes);
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

/** The size prefix of the lz4 codec's bytes `buffer[start, end)`, checked against the input and `maxBytes`. */
function checkedSize(buffer: Uint8Array, start: number, end: number, maxBytes: number): number {
  const length = end - start;
  if (length <= SIZE_PREFIX_BYTES) {
    throw new DecodeError(`lz4: ${length} bytes is too short for a size prefix and a block`);
  }
  const declaredSize =
    (buffer[start] | (buffer[start + 1] << 8) | (buffer[start + 2] << 16)) + buffer[start + 3] * 0x1000000;
  if (declaredSize > (length - SIZE_PREFIX_BYTES) * MAX_LZ4_RATIO) {
    throw new DecodeError(`lz4: size prefix ${declaredSize} is impossible for ${length} bytes of input`);
  }
  if (declaredSize > maxBytes) {
    throw new DecodeError(`lz4: size prefix ${declaredSize} is more than the limit of ${maxBytes} bytes`);
  }
  return declaredSize;
}

/**
 * The lz4 codec's decode of `bytes[start, end)` into the read kernel's memory (format/kernel.ts), without a Buffer of
 * its own: the output is `memory[0, size)`, to be read before anything else uses the kernel. Undefined where the kernel
 * is not available or the value is larger than it takes; then `lz4Codec.decode` does it. Same checks and errors.
 */
export function decodeLz4InKernel(
  bytes: Uint8Array,
  start: number,
  end: number,
  maxBytes: number,
): { memory: SlicingBuffer; size: number } | undefined {
  const length = end - start;
  const declaredSize = checkedSize(bytes, start, end, maxBytes);
  if (declaredSize > MAX_KERNEL_BYTES || length > MAX_KERNEL_BYTES) return undefined;
  const kernel = loadKernel();
  if (kernel === null) return undefined;
  // [output | slack][input | slack]: the kernel's 16-byte copies may run up to 16 bytes past either end.
  const inputAt = declaredSize + SLACK;
  const inputEnd = inputAt + length - SIZE_PREFIX_BYTES;
  const memory = kernel.memory(inputEnd + SLACK);
  memory.set(bytes.subarray(start + SIZE_PREFIX_BYTES, end), inputAt);
  const outputEnd = kernel.lz4(inputAt, inputEnd, 0, declaredSize);
  if (outputEnd < 0) throw new DecodeError(`lz4: cannot decompress ${length} bytes: the block is malformed`);
  if (outputEnd !== declaredSize) {
    throw new DecodeError(`lz4: size prefix says ${declaredSize} bytes, the block holds ${outputEnd}`);
  }
  return { memory, size: declaredSize };
}
