import type { Codec } from './codec.js';

/** No compression: the bytes pass through untouched (no copy). */
export const rawCodec: Codec = {
  name: 'raw',
  id: 0x72, // 'r'
  encode: (bytes) => bytes,
  decode: (bytes) => bytes,
};
