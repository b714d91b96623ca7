import { ConfigError, DecodeError, HashStashError, SerializationError } from '../errors.js';
import type { Serializer } from './serializer.js';

/**
 * A serializer of your own, for the `serializer` option: `{ name, serialize, deserialize }`. Its name is written
 * with every blob and must match on read; it names the stash's settings folder too, so stashes written with other
 * serializers never mix.
 */
export interface CustomSerializer {
  /** Letters, digits, `_` and `-` (at most 64), not the name of a built-in serializer. */
  readonly name: string;
  /** The value as bytes; throwing fails the write with a SerializationError carrying the error as cause. */
  serialize(value: unknown): Uint8Array;
  /** The value back from what `serialize` returned; throwing fails the read with a DecodeError. */
  deserialize(bytes: Uint8Array): unknown;
}

/** A blob written by a custom serializer, whatever its name: the name follows in the body. */
export const CUSTOM_SERIALIZER_ID = 0x55; // 'U'
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The most a custom serializer is handed to read (the codecs decompress no more): V8's largest typed array. */
const MAX_BYTES = 2 ** 32 - 1;

/** A blob written by a serializer this process does not have (or not under this stash). */
export class UnknownSerializerError extends DecodeError {
  /** The name of the serializer that wrote the blob. */
  readonly serializer: string;
  /**
   * An UnknownSerializerError naming the serializer.
   *
   * @param message - What could not be read, and what to do.
   * @param serializer - The name of the serializer that wrote it.
   */
  constructor(message: string, serializer: string) {
    super(message);
    this.serializer = serializer;
  }
}

const registered = new Map<string, Serializer>();

/** Whether `value` looks like a serializer object (as opposed to a serializer's name). */
export function isCustomSerializer(value: unknown): value is CustomSerializer {
  return typeof value === 'object' && value !== null && 'serialize' in value;
}

/**
 * Checks `custom` and makes it this process's serializer of its name (the last one given wins), so every stash and
 * reader in this thread that names it finds it. Returns the serializer the blob format uses.
 */
export function registerCustomSerializer(custom: CustomSerializer, builtIn: readonly string[]): Serializer {
  const { name } = custom;
  if (typeof name !== 'string' || !NAME.test(name) || builtIn.includes(name)) {
    throw new ConfigError(
      `a serializer object's 'name' must be letters, digits, _ and - (at most 64), other than ${builtIn.join(', ')}; ` +
        `got ${JSON.stringify(name)}`,
    );
  }
  if (typeof custom.serialize !== 'function' || typeof custom.deserialize !== 'function')
    throw new ConfigError(`serializer '${name}' needs serialize(value) and deserialize(bytes) functions`);
  const prefix = Buffer.concat([Buffer.from([name.length]), Buffer.from(name, 'latin1')]);
  const serializer: Serializer = {
    name,
    id: CUSTOM_SERIALIZER_ID,
    maxBytes: MAX_BYTES,
    serialize(value) {
      let bytes: unknown;
      try {
        bytes = custom.serialize(value);
      } catch (error) {
        if (error instanceof HashStashError) throw error;
        throw new SerializationError(`serializer '${name}' failed: ${(error as Error)?.message}`, '$', {
          cause: error,
        });
      }
      if (!(bytes instanceof Uint8Array))
        throw new SerializationError(`serializer '${name}' returned ${typeof bytes}, not a Uint8Array`, '$');
      return Buffer.concat([prefix, bytes]);
    },
    deserialize(bytes) {
      const writer = customNameOf(bytes);
      if (writer !== name) {
        throw new UnknownSerializerError(
          `stored data was written with serializer '${writer}', but this stash reads with '${name}'`,
          writer,
        );
      }
      try {
        return custom.deserialize(bytes.subarray(prefix.length));
      } catch (error) {
        if (error instanceof HashStashError) throw error;
        throw new DecodeError(`serializer '${name}' could not read stored data: ${(error as Error)?.message}`, {
          cause: error,
        });
      }
    },
  };
  registered.set(name, serializer);
  return serializer;
}

/** This process's serializer registered under `name`, if any. */
export const customSerializerNamed = (name: string): Serializer | undefined => registered.get(name);

/** The name a custom serializer's bytes start with; DecodeError when they start with no name. */
export function customNameOf(bytes: Uint8Array): string {
  const length = bytes[0];
  if (length === undefined || length === 0 || bytes.length < 1 + length)
    throw new DecodeError('stored data of a custom serializer does not start with its name');
  const name = Buffer.from(bytes.buffer, bytes.byteOffset + 1, length).toString('latin1');
  if (!NAME.test(name)) throw new DecodeError('stored data of a custom serializer does not start with its name');
  return name;
}

/** Reads bytes of any custom serializer: the one registered under the name they start with. */
export const anyCustomSerializer: Serializer = {
  name: 'custom',
  id: CUSTOM_SERIALIZER_ID,
  maxBytes: MAX_BYTES,
  serialize() {
    throw new ConfigError('name the custom serializer to write with');
  },
  deserialize(bytes, options) {
    const name = customNameOf(bytes);
    const serializer = registered.get(name);
    if (!serializer) {
      throw new UnknownSerializerError(
        `stored data was written with serializer '${name}', which this process does not have: open the stash with ` +
          `its serializer object, { serializer: { name: '${name}', serialize, deserialize } }`,
        name,
      );
    }
    return serializer.deserialize(bytes, options);
  },
};
