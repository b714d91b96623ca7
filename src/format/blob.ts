import { DecodeError } from '../errors.js';
import type { Codec } from '../codecs/codec.js';
import type { Serializer } from '../serializers/serializer.js';
import { decodeLz4InKernel, lz4Codec } from '../codecs/lz4.js';
import { hashstashFromUtf8, hashstashSerializer } from '../serializers/hashstash.js';
import { CUSTOM_SERIALIZER_ID, customNameOf, UnknownSerializerError } from '../serializers/custom.js';
import { checkBlob, FLAG_B64, FLAG_UNCOMPRESSED, textWithHeader, withHeader } from './header.js';

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
  /** The hashstash serializer's read of a range of bytes: an uncompressed body is read in place, with no view of it. */
  readonly #fromUtf8: typeof hashstashFromUtf8 | undefined;

  constructor(settings: BlobSettings) {
    this.#serializer = settings.serializer;
    this.#codec = settings.codec;
    this.#base64 = settings.base64;
    this.#deserializeOptions = { trustCode: settings.trustCode };
    this.#compresses = settings.codec.name !== 'raw';
    this.#fromUtf8 = settings.serializer === hashstashSerializer ? hashstashFromUtf8 : undefined;
  }

  /** The stored blob of `value`; one that expires at `expiresAt` (ms since the epoch) when given. */
  pack(value: unknown, expiresAt?: number): Uint8Array {
    const serializer = this.#serializer;
    if (serializer.serializeToText) {
      const text = serializer.serializeToText(value);
      // A UTF-16 unit is at most 3 UTF-8 bytes, so short text needs no measuring to know it is below the threshold.
      const small = text.length * 3 < MIN_COMPRESS_BYTES || Buffer.byteLength(text) < MIN_COMPRESS_BYTES;
      if (!this.#compresses || small) {
        const flags = (this.#compresses ? FLAG_UNCOMPRESSED : 0) | (this.#base64 ? FLAG_B64 : 0);
        const blob = textWithHeader(text, serializer.id, this.#codec.id, flags, expiresAt);
        return this.#base64 ? this.#base64.encode(blob) : blob;
      }
      return this.#packBytes(Buffer.from(text), expiresAt);
    }
    return this.#packBytes(serializer.serialize(value), expiresAt);
  }

  #packBytes(serialized: Uint8Array, expiresAt: number | undefined): Uint8Array {
    let body = serialized;
    let flags = this.#base64 ? FLAG_B64 : 0;
    if (this.#compresses && serialized.length >= MIN_COMPRESS_BYTES) {
      const compressed = this.#codec.encode(serialized);
      if (compressed.length < serialized.length) body = compressed;
      else flags |= FLAG_UNCOMPRESSED;
    } else if (this.#compresses) {
      flags |= FLAG_UNCOMPRESSED;
    }
    const blob = withHeader(body, this.#serializer.id, this.#codec.id, flags, expiresAt);
    return this.#base64 ? this.#base64.encode(blob) : blob;
  }

  unpack(stored: Uint8Array): unknown {
    const blob = this.#base64 ? this.#base64.decode(stored) : stored;
    const start = this.#checked(blob);
    const flags = blob[5];
    const fromUtf8 = this.#fromUtf8;
    if (flags & FLAG_UNCOMPRESSED) {
      if (fromUtf8) return fromUtf8(blob, start, blob.length, this.#deserializeOptions);
      return this.#serializer.deserialize(blob.subarray(start), this.#deserializeOptions);
    }
    if (fromUtf8 && this.#codec === lz4Codec) {
      const decoded = decodeLz4InKernel(blob, start, blob.length, this.#serializer.maxBytes);
      if (decoded) return fromUtf8(decoded.memory, 0, decoded.size, this.#deserializeOptions, true);
    }
    const serialized = this.#codec.decode(blob.subarray(start), this.#serializer.maxBytes);
    return this.#serializer.deserialize(serialized, this.#deserializeOptions);
  }

  /**
   * The serializer's bytes a stored blob holds, checked and decompressed but not deserialized: for the hashstash
   * serializer, the value's text as UTF-8, which the command line's export copies into its lines as it is.
   */
  unpackSerialized(stored: Uint8Array): Uint8Array {
    const blob = this.#base64 ? this.#base64.decode(stored) : stored;
    const start = this.#checked(blob);
    if (blob[5] & FLAG_UNCOMPRESSED) return blob.subarray(start);
    return this.#codec.decode(blob.subarray(start), this.#serializer.maxBytes);
  }

  /** Checks a blob's header (base64 undone) against these settings; where its body starts. */
  #checked(blob: Uint8Array): number {
    const start = checkBlob(blob);
    const serializerId = blob[3];
    const codecId = blob[4];
    const flags = blob[5];
    if (serializerId !== this.#serializer.id) {
      if (serializerId === CUSTOM_SERIALIZER_ID) this.#failOnCustom(blob, start, flags);
      throw new DecodeError(
        `stored blob was written with serializer ${idName(serializerId)}, but this stash uses '${this.#serializer.name}'`,
      );
    }
    if (codecId !== this.#codec.id) {
      throw new DecodeError(
        `stored blob was written with codec ${idName(codecId)}, but this stash uses '${this.#codec.name}'`,
      );
    }
    if (((flags & FLAG_B64) !== 0) !== (this.#base64 !== null)) {
      throw new DecodeError(
        `stored blob was written ${flags & FLAG_B64 ? 'with' : 'without'} b64, but this stash is the other way`,
      );
    }
    return start;
  }

  /** A blob of a custom serializer read by a stash with another serializer: the error names the one that wrote it. */
  #failOnCustom(blob: Uint8Array, start: number, flags: number): never {
    let name: string | undefined;
    try {
      const body = blob.subarray(start);
      name = customNameOf(flags & FLAG_UNCOMPRESSED ? body : this.#codec.decode(body, 2 ** 26));
    } catch {
      // Another codec, or damaged: the message names no serializer.
    }
    throw new UnknownSerializerError(
      `stored blob was written with ${name ? `serializer '${name}'` : 'a custom serializer'}, but this stash uses ` +
        `'${this.#serializer.name}': open it with that serializer object`,
      name ?? 'unknown',
    );
  }
}
