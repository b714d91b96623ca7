import { DecodeError } from '../errors.js';

// fatal: invalid UTF-8 throws rather than turning into U+FFFD; ignoreBOM: a leading U+FEFF is text, not a marker.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The JSON value in UTF-8 bytes; DecodeError when they are not valid UTF-8 or not JSON (corrupt or truncated). */
export function parseUtf8Json(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (error) {
    throw new DecodeError(`${what}: the bytes are not valid UTF-8`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`${what}: the bytes are not valid JSON (corrupt or truncated)`, { cause: error });
  }
}
