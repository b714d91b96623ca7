import { ConfigError, DecodeError } from '../errors.js';
import type { SerializerName } from '../options.js';
import { devalueSerializer } from './devalue.js';
import { hashstashSerializer } from './hashstash.js';
import type { DeserializeOptions, Serializer } from './serializer.js';
import { v8Serializer } from './v8.js';
import { anyCustomSerializer, customSerializerNamed } from './custom.js';

export type { DeserializeOptions, Serializer } from './serializer.js';

const serializers: readonly Serializer[] = [hashstashSerializer, devalueSerializer, v8Serializer];

/** The names the `serializer` option accepts. */
export const serializerNames: readonly SerializerName[] = Object.freeze(
  serializers.map((serializer) => serializer.name as SerializerName),
);

const byName = new Map<string, Serializer>(serializers.map((serializer) => [serializer.name, serializer]));
const byId = new Map<number, Serializer>(
  [...serializers, anyCustomSerializer].map((serializer) => [serializer.id, serializer]),
);

/** Whether `name` is one of hashstash's own serializers (the ones every thread and process has). */
export const isBuiltInSerializer = (name: string): boolean => byName.has(name);

/**
 * The serializer called `name`: a built-in one, or a serializer object a stash of this thread was given; ConfigError
 * for any other name.
 */
export function getSerializer(name: string): Serializer {
  const serializer = byName.get(name) ?? customSerializerNamed(name);
  if (serializer === undefined) {
    throw new ConfigError(
      `Unknown serializer ${JSON.stringify(name)}; valid serializers are ${serializerNames.join(', ')}, or a ` +
        `serializer object { name, serialize, deserialize } given to a stash in this thread`,
    );
  }
  return serializer;
}

/** The serializer a blob header names by its id byte; DecodeError for an id no serializer has. */
export function serializerById(id: number): Serializer {
  const serializer = byId.get(id);
  if (serializer === undefined) {
    throw new DecodeError(`Unknown serializer id 0x${id.toString(16).padStart(2, '0')} in stored data`);
  }
  return serializer;
}

/** `value` as bytes, written by the named serializer. SerializationError names the path of anything it cannot carry. */
export function serialize(value: unknown, serializer: SerializerName = 'hashstash'): Uint8Array {
  return (serializer === 'hashstash' ? hashstashSerializer : getSerializer(serializer)).serialize(value);
}

/** The value `bytes` hold, read by the serializer that wrote them. Stored code stays text unless `trustCode`. */
export function deserialize(
  bytes: Uint8Array,
  serializer: SerializerName = 'hashstash',
  options?: DeserializeOptions,
): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw new ConfigError(`deserialize() takes a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  return (serializer === 'hashstash' ? hashstashSerializer : getSerializer(serializer)).deserialize(bytes, options);
}
