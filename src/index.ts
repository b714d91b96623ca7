export { HashStash } from './stash.js';
export type { SyncHashStash } from './sync-stash.js';
export type { UpdateSource, SyncUpdateSource } from './update-source.js';
export {
  cacheHome, DEFAULTS, ENGINE_NAMES, SERIALIZER_NAMES, COMPRESS_NAMES,
  type HashStashOptions, type ResolvedOptions, type EngineName, type SerializerName, type CompressName,
} from './options.js';
export {
  HashStashError, ConfigError, SerializationError, DecodeError, KeyNotFoundError, EngineUnavailableError,
  ReadOnlyError, UnsupportedError,
} from './errors.js';
export { serialize, deserialize, serializerNames } from './serializers/index.js';
export { encode, decode, codecNames } from './codecs/index.js';
export { registerClass, unregisterClass } from './serializers/classes.js';
export { StoredFunction } from './serializers/stored-function.js';
export type { Serializer, DeserializeOptions } from './serializers/serializer.js';
export type { Codec } from './codecs/codec.js';
export type { Engine, EngineCapabilities, EngineContext, SyncStore, RawEntry } from './engines/engine.js';
export { encodeKey, decodeKey } from './keys/encode.js';
export { hashKey } from './keys/hash.js';
export { stashed } from './memo/stashed.js';
export type { MemoOptions, Memoized, FunctionStash } from './memo/memoize.js';
