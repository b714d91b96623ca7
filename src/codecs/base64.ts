import { DecodeError } from '../errors.js';
import { asBuffer } from './as-buffer.js';
import type { Codec } from './codec.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 0x3d; // '='
const INVALID = 0xff;

/** The 6-bit value of each byte of the standard alphabet; INVALID for every other byte. */
const SEXTET = new Uint8Array(256).fill(INVALID);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/**
 * Standard base64 (RFC 4648 §4) with padding, on top of another codec for stores that want text.
 * Node's own decoder skips characters it does not know and accepts the URL-safe alphabet, so a damaged
 * blob would decode to other bytes; decode validates every byte first.
 */
export const base64Codec: Codec = {
  name: 'base64',
  id: 0x36, // '6'
  encode(bytes) {
    return Buffer.from(asBuffer(bytes).toString('base64'), 'latin1');
  },
  decode(bytes) {
    // Re-encoding and comparing keeps validation at native speed; the byte-by-byte check only runs to explain a failure.
    const text = asBuffer(bytes).toString('latin1');
    const decoded = Buffer.from(text, 'base64');
    if (decoded.toString('base64') !== text) {
      assertCanonicalBase64(bytes);
      throw new DecodeError('base64: the text is not canonical base64');
    }
    return decoded;
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
    if (SEXTET[bytes[i]!] === INVALID) {
      throw new DecodeError(`base64: byte 0x${bytes[i]!.toString(16).padStart(2, '0')} at offset ${i} is not in the alphabet`);
    }
  }
  // The bits after the last whole byte must be zero, or two different texts would decode to the same bytes.
  const last = SEXTET[bytes[dataLength - 1]!]!;
  if ((padding === 1 && (last & 0b11) !== 0) || (padding === 2 && (last & 0b1111) !== 0)) {
    throw new DecodeError(`base64: non-zero bits after the last byte at offset ${dataLength - 1}`);
  }
}
