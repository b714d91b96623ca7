import { Buffer, isAscii, isUtf8 } from 'node:buffer';
import { DecodeError } from '../errors.js';
import { MAX_TEXT_BYTES } from './text-limit.js';

const REPLACEMENT = '\uFFFD';

/**
 * Up to this many bytes, text is decoded as UTF-8 straight away: for short ASCII that is cheaper than asking
 * isAscii first (which wants a view of its own), and the check for U+FFFD costs next to nothing on the one-byte string
 * ASCII decodes to. Longer text asks isAscii, whose SIMD scan is cheaper than UTF-8 decoding's.
 */
const SHORT_TEXT = 1024;

/**
 * Buffer's own decoders, which `toString(encoding, start, end)` calls after normalizing its arguments and looking up
 * the encoding: undocumented, but on every Buffer since Node's first versions (lmdb-js and msgpackr call them too).
 */
interface SlicingBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

const asBuffer = (bytes: Uint8Array): SlicingBuffer =>
  (bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as SlicingBuffer;

/**
 * The text of the UTF-8 bytes `bytes[start, end)`; DecodeError when they are not valid UTF-8 or too long for a string.
 * ASCII (most JSON) is copied as it is; other text is decoded leniently and checked strictly only when it contains
 * U+FFFD, which is where invalid bytes would have gone, so valid text pays next to nothing for the check.
 */
export function utf8Text(bytes: Uint8Array, start: number, end: number, what: string): string {
  const length = end - start;
  if (length > MAX_TEXT_BYTES) {
    throw new DecodeError(
      `${what}: ${length} bytes of text, more than the ${MAX_TEXT_BYTES} Node can read into a string`,
    );
  }
  const buffer = asBuffer(bytes);
  let text: string;
  if (length <= SHORT_TEXT) {
    text = buffer.utf8Slice(start, end);
  } else {
    if (isAscii(start === 0 && end === buffer.length ? buffer : buffer.subarray(start, end))) {
      return buffer.latin1Slice(start, end); // ASCII is valid UTF-8, and latin1 decoding of it is a plain copy
    }
    text = buffer.utf8Slice(start, end);
  }
  if (text.includes(REPLACEMENT) && !isUtf8(buffer.subarray(start, end))) {
    throw new DecodeError(`${what}: the bytes are not valid UTF-8`);
  }
  return text;
}

/** JSON.parse, with DecodeError for text that is not JSON. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`${what}: the bytes are not valid JSON (corrupt or truncated)`, { cause: error });
  }
}

/** The JSON value in UTF-8 bytes; DecodeError when they are not valid UTF-8 or not JSON (corrupt or truncated). */
export function parseUtf8Json(bytes: Uint8Array, what: string): unknown {
  return parseJsonText(utf8Text(bytes, 0, bytes.length, what), what);
}
