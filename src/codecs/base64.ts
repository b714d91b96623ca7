import { DecodeError } from '../errors.js';
import { asBuffer } from './as-buffer.js';
import { MAX_DECODED_BYTES, type Codec } from './codec.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 0x3d; // '='
const INVALID = 0xff;

/** The 6-bit value of each byte of the standard alphabet; INVALID for every other byte. */
const SEXTET = new Uint8Array(256).fill(INVALID);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/**
 * Text goes through strings a slice at a time: one string for a whole blob would pass V8's string limit (about 512 MiB,
 * so blobs over about 400 MB). A slice is whole base64 quanta: 3 bytes of input, 4 characters of text.
 */
const SLICE_BYTES = 3 << 22;
const SLICE_CHARS = (SLICE_BYTES / 3) * 4;

/**
 * Standard base64 (RFC 4648 §4) with padding, on top of another codec for stores that want text.
 * Node's own decoder skips characters it does not know and accepts the URL-safe alphabet, so a damaged
 * blob would decode to other bytes; decode validates every byte first.
 */
export const base64Codec: Codec = {
  name: 'base64',
  id: 0x36, // '6'
  encode(bytes) {
    const input = asBuffer(bytes);
    const output = Buffer.allocUnsafe(Math.ceil(input.length / 3) * 4);
    for (let at = 0, written = 0; at < input.length; at += SLICE_BYTES) {
      written += output.write(
        input.toString('base64', at, Math.min(at + SLICE_BYTES, input.length)),
        written,
        'latin1',
      );
    }
    return output;
  },
  decode(bytes, maxBytes = MAX_DECODED_BYTES) {
    const input = asBuffer(bytes);
    const length = input.length;
    if (length % 4 !== 0) throw new DecodeError(`base64: length ${length} is not a multiple of 4`);
    const padding = length === 0 ? 0 : input[length - 1] !== PAD ? 0 : input[length - 2] !== PAD ? 1 : 2;
    const size = (length / 4) * 3 - padding;
    if (size > maxBytes)
      throw new DecodeError(
        `base64: ${length} bytes of text decode to ${size} bytes, more than the limit of ${maxBytes}`,
      );
    const output = Buffer.allocUnsafe(size);
    let written = 0;
    for (let at = 0; at < length; at += SLICE_CHARS) {
      const text = input.toString('latin1', at, Math.min(at + SLICE_CHARS, length));
      const count = output.write(text, written, 'base64');
      // Re-encoding and comparing keeps validation at native speed; the byte-by-byte check only runs to explain a failure.
      if (output.toString('base64', written, written + count) !== text) {
        assertCanonicalBase64(input);
        throw new DecodeError('base64: the text is not canonical base64');
      }
      written += count;
    }
    // Every slice but the last is whole quanta: padding inside the text leaves the output short.
    if (written !== size) throw new DecodeError('base64: padding inside the text');
    return output;
  },
};

function assertCanonicalBase64(bytes: Uint8Array): void {
  const length = bytes.byteLength;
  if (length % 4 !== 0) {
    throw new DecodeError(`base64: length ${length} is not a multiple of 4`);
  }
  if (length === 0) return;
  const padding = bytes[length - 1] !== PAD ? 0 : bytes[length - 2] !== PAD ? 1 : 2;
  const dataLength = length - padding;
  for (let i = 0; i < dataLength; i++) {
    if (SEXTET[bytes[i]] === INVALID) {
      throw new DecodeError(
        `base64: byte 0x${bytes[i].toString(16).padStart(2, '0')} at offset ${i} is not in the alphabet`,
      );
    }
  }
  // The bits after the last whole byte must be zero, or two different texts would decode to the same bytes.
  const last = SEXTET[bytes[dataLength - 1]];
  if ((padding === 1 && (last & 0b11) !== 0) || (padding === 2 && (last & 0b1111) !== 0)) {
    throw new DecodeError(`base64: non-zero bits after the last byte at offset ${dataLength - 1}`);
  }
}
