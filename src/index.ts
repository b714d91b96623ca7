export { HashStash } from './stash.js';
export type { SyncHashStash } from './sync-stash.js';
export type { UpdateSource, SyncUpdateSource } from './update-source.js';
export type { VersionRecord, GetAllOptions } from './append-mode.js';
export { Table, type WritableTarget } from './tables/table.js';
export type { FlatRecord } from './tables/flatten.js';
export type { RecordOptions } from './tables/records.js';
export type { PrintOptions } from './tables/print.js';
export type { ArqueroTable } from './tables/arquero.js';
export type { TemporaryHashStash } from './tmp/temporary.js';
export {
  cacheHome, DEFAULTS, ENGINE_NAMES, SERIALIZER_NAMES, COMPRESS_NAMES,
  type HashStashOptions, type ResolvedOptions, type EngineName, type SerializerName, type CompressName,
} from './options.js';
export {
  HashStashError, ConfigError, SerializationError, DecodeError, KeyNotFoundError, EngineUnavailableError,
  ReadOnlyError, UnsupportedError,
} from './errors.js';
export { DriverMissingError } from './errors.js';
export { MemoryBudgetError } from './engines/shared-memory/errors.js';
export type { EvictionPolicy } from './engines/shared-memory/eviction.js';
export type { StashStats } from './read-counts.js';
// Functions whose modules load on first call: see lazy-exports.ts.
export {
  serialize, deserialize, serializerNames, encode, decode, codecNames, encodeKey, decodeKey, hashKey, stashed,
} from './lazy-exports.js';
export { registerClass, unregisterClass } from './serializers/classes.js';
export { StoredFunction } from './serializers/stored-function.js';
export type { Serializer, DeserializeOptions } from './serializers/serializer.js';
export type { Codec } from './codecs/codec.js';
export type { Engine, EngineCapabilities, EngineContext, SyncStore, RawEntry } from './engines/engine.js';
export type { StashedOptions } from './memo/stashed.js';
export type { MemoOptions, Memoized, FunctionStash } from './memo/memoize.js';
export type { SyncMemoized, SyncFunctionStash } from './memo/sync-memoize.js';
export type { StashedDecorator, SyncStashedDecorator } from './memo/decorator.js';
export { stashOf, type StashOf } from './memo/stash-of.js';
export { StashMap } from './parallel/map.js';
export { stashMapped, type StashMapped } from './parallel/stash-mapped.js';
export { MapItemError, WorkerCrashError, ClosureError, type WorkerCrashReason } from './parallel/errors.js';
export type { MapOptions } from './parallel/options.js';
export type { MapFunction, ModuleFunction } from './parallel/function-ref.js';
export type { MapProgress } from './parallel/progress.js';
