import { constants } from 'node:buffer';
import { DecodeError } from '../errors.js';
import { asBuffer } from './as-buffer.js';

/** One of node:zlib's synchronous decompressors (inflateSync, gunzipSync, brotliDecompressSync). */
type Decompress = (buffer: Buffer, options: { maxOutputLength: number }) => Buffer;

/**
 * Runs a node:zlib decompressor with its output capped at `maxBytes` (at least 1): zlib throws as soon as the output
 * passes the cap, having held only what it produced, instead of allocating whatever the stream expands to.
 * `limitName` says in the error what set the limit. Every failure is a DecodeError naming the codec.
 */
export function decompressAtMost(
  codec: string,
  decompress: Decompress,
  bytes: Uint8Array,
  maxBytes: number,
  limitName: string,
): Buffer {
  const maxOutputLength = Math.min(Math.max(1, maxBytes), constants.MAX_LENGTH);
  try {
    return decompress(asBuffer(bytes), { maxOutputLength });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecodeError(
        `${codec}: ${bytes.byteLength} bytes decode to more than ${limitName} (${maxOutputLength} bytes): corrupt or crafted data`,
        { cause },
      );
    }
    throw new DecodeError(`${codec}: cannot decompress ${bytes.byteLength} bytes: ${(cause as Error).message}`, {
      cause,
    });
  }
}
