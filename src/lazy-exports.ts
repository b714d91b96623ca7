/**
 * The functions of the public API whose modules are not part of the facade: each loads its module on its first call
 * (see lazy.ts), so `import 'hashstash'` loads no serializer, codec, key encoder or memo code. Same signatures and
 * behavior as the functions they call.
 */
import { lazy } from './lazy.js';
import { COMPRESS_NAMES, SERIALIZER_NAMES, type CompressName, type SerializerName } from './options.js';

type Serializers = typeof import('./serializers/index.js');
type Codecs = typeof import('./codecs/index.js');
type Keys = typeof import('./keys/encode.js');
type Stashed = typeof import('./memo/stashed.js');

const from = import.meta.url;
const serializers = lazy<Serializers>(from, './serializers/index.js');
const codecs = lazy<Codecs>(from, './codecs/index.js');
const keys = lazy<Keys>(from, './keys/encode.js');
const keyHash = lazy<typeof import('./keys/hash.js')>(from, './keys/hash.js');
const memo = lazy<Stashed>(from, './memo/stashed.js');

/** The names the `serializer` option accepts (a test checks they are the serializers'). */
export const serializerNames: readonly SerializerName[] = Object.freeze([...SERIALIZER_NAMES]);
/** The names the `compress` option accepts (a test checks they are the codecs'). */
export const codecNames: readonly CompressName[] = Object.freeze([...COMPRESS_NAMES]);

/** `value` as bytes, written by the named serializer. SerializationError names the path of anything it cannot carry. */
export function serialize(...args: Parameters<Serializers['serialize']>): Uint8Array {
  return serializers().serialize(...args);
}

/** The value `bytes` hold, read by the serializer that wrote them. Stored code stays text unless `trustCode`. */
export function deserialize(...args: Parameters<Serializers['deserialize']>): unknown {
  return serializers().deserialize(...args);
}

/** Compress `bytes`, then base64 them when `b64` is on. */
export function encode(...args: Parameters<Codecs['encode']>): Uint8Array {
  return codecs().encode(...args);
}

/** The inverse of `encode` with the same options; DecodeError when `stored` is not such output. */
export function decode(...args: Parameters<Codecs['decode']>): Uint8Array {
  return codecs().decode(...args);
}

/** The canonical key bytes: structurally equal keys give equal bytes. */
export function encodeKey(key: unknown): Buffer {
  return keys().encodeKey(key);
}

/** The key that encodeKey wrote. A function key reads back as a StoredFunction unless `trustCode`. Throws DecodeError. */
export function decodeKey(...args: Parameters<Keys['decodeKey']>): unknown {
  return keys().decodeKey(...args);
}

/** A fixed-length name for a key (sha256 of its bytes, hex), for engines that need one. */
export function hashKey(keyBytes: Uint8Array): string {
  return keyHash().hashKey(keyBytes);
}

/**
 * `stashed(fn, options)`: a memoized `fn` on a stash opened from `options`; as a method decorator, `@stashed(options)`
 * or `@stashed`.
 */
export const stashed = ((...args: unknown[]) => (memo().stashed as (...all: unknown[]) => unknown)(...args)) as Stashed['stashed'];
