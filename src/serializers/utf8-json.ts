import { Buffer, isUtf8 } from 'node:buffer';
import { DecodeError } from '../errors.js';

const REPLACEMENT = '\uFFFD';

/**
 * The JSON value in UTF-8 bytes; DecodeError when they are not valid UTF-8 or not JSON (corrupt or truncated).
 * Decoding is lenient and fast; only text that contains U+FFFD, which is where invalid bytes would have gone, is
 * checked strictly, so valid text pays nothing for the check.
 */
export function parseUtf8Json(bytes: Uint8Array, what: string): unknown {
  const buffer = bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString();
  if (text.includes(REPLACEMENT) && !isUtf8(buffer)) {
    throw new DecodeError(`${what}: the bytes are not valid UTF-8`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`${what}: the bytes are not valid JSON (corrupt or truncated)`, { cause: error });
  }
}
