/** A reversible byte transform: compression, or base64 on top. */
export interface Codec {
  /** The name users pass as the `compress` option. */
  readonly name: string;
  /** One printable ASCII byte recorded in every blob header. */
  readonly id: number;
  encode(bytes: Uint8Array): Uint8Array;
  /** Throws DecodeError when the bytes are not valid output of this codec. */
  decode(bytes: Uint8Array): Uint8Array;
}
