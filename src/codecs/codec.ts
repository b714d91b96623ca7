import { constants } from 'node:buffer';

/** What `Codec.decode` may produce when the caller sets no limit: the largest Buffer Node can make. */
export const MAX_DECODED_BYTES = constants.MAX_LENGTH;

/** A reversible byte transform: compression, or base64 on top. */
export interface Codec {
  /** The name users pass as the `compress` option. */
  readonly name: string;
  /** One printable ASCII byte recorded in every blob header. */
  readonly id: number;
  /** The transformed bytes, which `decode` turns back into `bytes`. */
  encode(bytes: Uint8Array): Uint8Array;
  /**
   * Throws DecodeError when the bytes are not valid output of this codec, or when they would decode to more than
   * `maxBytes` (default MAX_DECODED_BYTES). Decoding stops at the limit: output never grows past it, so a small
   * crafted input (a decompression bomb) costs at most the limit.
   */
  decode(bytes: Uint8Array, maxBytes?: number): Uint8Array;
}
