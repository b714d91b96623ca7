import { DecodeError } from '../errors.js';
import { MAX_DECODED_BYTES, type Codec } from './codec.js';

/** No compression: the bytes pass through untouched (no copy). */
export const rawCodec: Codec = {
  name: 'raw',
  id: 0x72, // 'r'
  encode: (bytes) => bytes,
  decode(bytes, maxBytes = MAX_DECODED_BYTES) {
    if (bytes.byteLength > maxBytes)
      throw new DecodeError(`raw: ${bytes.byteLength} bytes are more than the limit of ${maxBytes}`);
    return bytes;
  },
};
