import { DecodeError } from '../errors.js';
import type { Codec } from '../codecs/codec.js';
import type { Serializer } from '../serializers/serializer.js';
import { FLAG_B64, FLAG_UNCOMPRESSED, readHeader, textWithHeader, withHeader } from './header.js';

/** Below this many serialized bytes no codec wins: every one grows the value or barely shrinks it, and zlib costs ~40 µs. */
export const MIN_COMPRESS_BYTES = 256;

export interface BlobSettings {
  readonly serializer: Serializer;
  readonly codec: Codec;
  /** base64 of the whole blob, for stores that want text; null when off. */
  readonly base64: Codec | null;
  readonly trustCode: boolean;
}

const idName = (id: number) => `'${String.fromCharCode(id)}'`;

/** Value → stored blob and back: serializer, then codec, then header, then optional base64. */
export class BlobFormat {
  readonly #serializer: Serializer;
  readonly #codec: Codec;
  readonly #base64: Codec | null;
  readonly #deserializeOptions: { trustCode: boolean };
  readonly #compresses: boolean;

  constructor(settings: BlobSettings) {
    this.#serializer = settings.serializer;
    this.#codec = settings.codec;
    this.#base64 = settings.base64;
    this.#deserializeOptions = { trustCode: settings.trustCode };
    this.#compresses = settings.codec.name !== 'raw';
  }

  pack(value: unknown): Uint8Array {
    const serializer = this.#serializer;
    if (serializer.serializeToText) {
      const text = serializer.serializeToText(value);
      // A UTF-16 unit is at most 3 UTF-8 bytes, so short text needs no measuring to know it is below the threshold.
      const small = text.length * 3 < MIN_COMPRESS_BYTES || Buffer.byteLength(text) < MIN_COMPRESS_BYTES;
      if (!this.#compresses || small) {
        const flags = (this.#compresses ? FLAG_UNCOMPRESSED : 0) | (this.#base64 ? FLAG_B64 : 0);
        const blob = textWithHeader(text, serializer.id, this.#codec.id, flags);
        return this.#base64 ? this.#base64.encode(blob) : blob;
      }
      return this.#packBytes(Buffer.from(text));
    }
    return this.#packBytes(serializer.serialize(value));
  }

  #packBytes(serialized: Uint8Array): Uint8Array {
    let body = serialized;
    let flags = this.#base64 ? FLAG_B64 : 0;
    if (this.#compresses && serialized.length >= MIN_COMPRESS_BYTES) {
      const compressed = this.#codec.encode(serialized);
      if (compressed.length < serialized.length) body = compressed;
      else flags |= FLAG_UNCOMPRESSED;
    } else if (this.#compresses) {
      flags |= FLAG_UNCOMPRESSED;
    }
    const blob = withHeader(body, this.#serializer.id, this.#codec.id, flags);
    return this.#base64 ? this.#base64.encode(blob) : blob;
  }

  unpack(stored: Uint8Array): unknown {
    const blob = this.#base64 ? this.#base64.decode(stored) : stored;
    const { header, body } = readHeader(blob);
    if (header.serializerId !== this.#serializer.id) {
      throw new DecodeError(
        `stored blob was written with serializer ${idName(header.serializerId)}, but this stash uses '${this.#serializer.name}'`,
      );
    }
    if (header.codecId !== this.#codec.id) {
      throw new DecodeError(`stored blob was written with codec ${idName(header.codecId)}, but this stash uses '${this.#codec.name}'`);
    }
    if (((header.flags & FLAG_B64) !== 0) !== (this.#base64 !== null)) {
      throw new DecodeError(`stored blob was written ${header.flags & FLAG_B64 ? 'with' : 'without'} b64, but this stash is the other way`);
    }
    const serialized = header.flags & FLAG_UNCOMPRESSED ? body : this.#codec.decode(body, this.#serializer.maxBytes);
    return this.#serializer.deserialize(serialized, this.#deserializeOptions);
  }
}
