/** Options every serializer understands when reading. */
export interface DeserializeOptions {
  /** Revive stored functions as callable functions. Off by default: loading never evaluates code. */
  trustCode?: boolean;
}

/** Turns values into bytes and back. A serializer never touches storage. */
export interface Serializer {
  /** The name users pass as the `serializer` option. */
  readonly name: string;
  /** One printable ASCII byte recorded in every blob header; never reused for another format. */
  readonly id: number;
  /**
   * The most bytes `deserialize` can read; more is corrupt or crafted data. The format layer decompresses no more than
   * this, so a small stored blob cannot make a read produce more.
   */
  readonly maxBytes: number;
  /** Throws SerializationError naming the path inside the value (`$.a.b[3]`) when it cannot carry something. */
  serialize(value: unknown): Uint8Array;
  /**
   * For serializers whose bytes are UTF-8 text: the text itself, so the format layer can write it straight into the
   * stored blob without an intermediate buffer. Must equal the UTF-8 decoding of `serialize(value)`.
   */
  serializeToText?(value: unknown): string;
  /** Throws DecodeError when the bytes are not valid output of this serializer. */
  deserialize(bytes: Uint8Array, options?: DeserializeOptions): unknown;
}
