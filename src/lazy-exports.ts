/**
 * The functions of the public API whose modules are not part of the facade: each loads its module on its first call
 * (see lazy.ts), so `import 'hashstash'` loads no serializer, codec, key encoder or memo code. Same signatures and
 * behavior as the functions they call.
 */
import type { EncodeOptions } from './codecs/index.js';
import { lazy } from './lazy.js';
import { COMPRESS_NAMES, SERIALIZER_NAMES, type CompressName, type SerializerName } from './options.js';
import type { DeserializeOptions } from './serializers/serializer.js';

type Stashed = typeof import('./stashed.js');

const from = import.meta.url;
const serializers = lazy<typeof import('./serializers/index.js')>(from, './serializers/index.js');
const codecs = lazy<typeof import('./codecs/index.js')>(from, './codecs/index.js');
const keys = lazy<typeof import('./keys/encode.js')>(from, './keys/encode.js');
const keyHash = lazy<typeof import('./keys/hash.js')>(from, './keys/hash.js');
const memo = lazy<Stashed>(from, './stashed.js');

/** The names the `serializer` option accepts (a test checks they are the serializers'). */
export const serializerNames: readonly SerializerName[] = Object.freeze([...SERIALIZER_NAMES]);
/** The names the `compress` option accepts (a test checks they are the codecs'). */
export const codecNames: readonly CompressName[] = Object.freeze([...COMPRESS_NAMES]);

/**
 * `value` as bytes, written by the named serializer. SerializationError names the path of anything it cannot carry.
 *
 * @param serializer - Default `'hashstash'`.
 * @throws {@link SerializationError} for a value (or a part of it) the serializer cannot carry.
 * @throws {@link ConfigError} for an unknown serializer name.
 * @example
 * ```ts
 * const bytes = serialize(new Map([['a', 1n]]));
 * deserialize(bytes);   // Map { 'a' => 1n }
 * ```
 */
export function serialize(value: unknown, serializer?: SerializerName): Uint8Array {
  return serializers().serialize(value, serializer);
}

/**
 * The value `bytes` hold, read by the serializer that wrote them. Stored code stays text unless `trustCode`.
 *
 * @param serializer - The serializer that wrote them; default `'hashstash'`.
 * @param options - `trustCode: true` revives stored functions as functions (evaluating their source); otherwise they
 *   come back as {@link StoredFunction}.
 * @throws {@link DecodeError} when the bytes are not valid output of that serializer.
 * @throws {@link ConfigError} for an unknown serializer name, or `bytes` that are not a Uint8Array.
 */
export function deserialize(bytes: Uint8Array, serializer?: SerializerName, options?: DeserializeOptions): unknown {
  return serializers().deserialize(bytes, serializer, options);
}

/**
 * Compress `bytes`, then base64 them when `b64` is on.
 *
 * @param options - The codec (default `'lz4'`) and `b64` (default false).
 * @throws {@link ConfigError} for an unknown codec, or `bytes` that are not a Uint8Array.
 * @example
 * ```ts
 * const stored = encode(serialize(value), { compress: 'zlib', b64: true });
 * deserialize(decode(stored, { compress: 'zlib', b64: true }));
 * ```
 */
export function encode(bytes: Uint8Array, options?: EncodeOptions): Uint8Array {
  return codecs().encode(bytes, options);
}

/**
 * The inverse of `encode` with the same options; DecodeError when `stored` is not such output.
 *
 * @throws {@link DecodeError} when `stored` is not output of `encode` with these options.
 * @throws {@link ConfigError} for an unknown codec, or `stored` that is not a Uint8Array.
 */
export function decode(stored: Uint8Array, options?: EncodeOptions): Uint8Array {
  return codecs().decode(stored, options);
}

/**
 * The canonical key bytes: structurally equal keys give equal bytes. This is what engines store as the key.
 *
 * @throws {@link SerializationError} for a key that cannot be encoded (a cycle, a value the encoding cannot carry).
 */
export function encodeKey(key: unknown): Buffer {
  return keys().encodeKey(key);
}

/** The key that encodeKey wrote. A function key reads back as a StoredFunction unless `trustCode`. Throws DecodeError. */
export function decodeKey(bytes: Uint8Array, options?: DeserializeOptions): unknown {
  return keys().decodeKey(bytes, options);
}

/** A fixed-length name for a key (sha256 of its bytes, hex), for engines that need one. */
export function hashKey(keyBytes: Uint8Array): string {
  return keyHash().hashKey(keyBytes);
}

/**
 * `stashed(fn, options)`: a memoized `fn` on a stash opened from `options`; as a method decorator, `@stashed(options)`
 * or `@stashed`.
 *
 * @function
 */
export const stashed = ((...args: unknown[]) =>
  (memo().stashed as (...all: unknown[]) => unknown)(...args)) as Stashed['stashed'];

const queues = lazy<typeof import('./queue/serve.js')>(from, './queue/serve.js');

/**
 * Serves the queue that `stash.map(fn, items, { queue: { name } })` fills: what `hashstash worker` runs. Resolves once
 * connected and taking jobs (see {@link StashQueueWorker}).
 *
 * @throws {@link ConfigError} for a bad option; {@link EngineUnavailableError} when the queue's Redis cannot be reached.
 * @example
 * ```ts
 * await using worker = await serveStashQueue({ url: 'redis://queue-host:6379', name: 'work', concurrency: 2 });
 * ```
 */
export async function serveStashQueue(
  options: import('./queue/options.js').ServeQueueOptions,
): Promise<import('./queue/serve.js').StashQueueWorker> {
  return queues().serveStashQueue(options);
}
