import { Buffer, isAscii, isUtf8 } from 'node:buffer';
import { DecodeError } from '../errors.js';
import { MAX_TEXT_BYTES } from './text-limit.js';

const REPLACEMENT = '\uFFFD';

/**
 * The JSON value in UTF-8 bytes; DecodeError when they are not valid UTF-8 or not JSON (corrupt or truncated).
 * ASCII (most JSON) is copied as it is; other text is decoded leniently and checked strictly only when it contains
 * U+FFFD, which is where invalid bytes would have gone, so valid text pays next to nothing for the check.
 */
export function parseUtf8Json(bytes: Uint8Array, what: string): unknown {
  const buffer = bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length > MAX_TEXT_BYTES) {
    throw new DecodeError(`${what}: ${buffer.length} bytes of text, more than the ${MAX_TEXT_BYTES} Node can read into a string`);
  }
  let text: string;
  if (isAscii(buffer)) {
    text = buffer.toString('latin1'); // ASCII is valid UTF-8, and latin1 decoding of it is a plain copy
  } else {
    text = buffer.toString();
    if (text.includes(REPLACEMENT) && !isUtf8(buffer)) {
      throw new DecodeError(`${what}: the bytes are not valid UTF-8`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`${what}: the bytes are not valid JSON (corrupt or truncated)`, { cause: error });
  }
}
