/**
 * Cache anything under any key, on the storage you already have. Everything here is exported by
 * `import { … } from 'hashstash'`.
 *
 * Where to start:
 * - {@link HashStash}: a dictionary whose keys can be anything, on lmdb, sqlite, plain files, shared memory, redis or
 *   mongo; its options are {@link HashStashOptions} (defaults in {@link DEFAULTS}), and `stash.sync` is a
 *   {@link SyncHashStash}.
 * - Memoized functions: {@link HashStash.run}, {@link HashStash.stashed}, the standalone {@link stashed} (also a method
 *   decorator), and {@link stashOf} for a decorated method's results.
 * - Parallel map with cached results: {@link HashStash.map}, which returns a {@link StashMap}; {@link stashMapped}.
 * - Append mode: the `appendMode` option and {@link HashStash.getAll}.
 * - Records and tables: {@link HashStash.records}, {@link HashStash.table} and {@link Table}.
 * - Temporary stashes: {@link HashStash.tmp} and {@link HashStash.withTmp}.
 * - Errors: every one thrown on purpose is a {@link HashStashError} with a stable `code`.
 * - Utilities: {@link serialize}, {@link encode}, {@link encodeKey}, {@link registerClass}, {@link StoredFunction}.
 * - Storage of your own: an {@link Engine} object as the `engine` option, or a factory given to {@link registerEngine}
 *   and its name as the option; `hashstash/test-suite` tests an engine against the contract every built-in one passes.
 *
 * @packageDocumentation
 * @module hashstash
 */
export { HashStash, type TemporaryHashStash } from './stash.js';
export type { WriteOptions } from './stash-core.js';
export type { Ttl } from './ttl.js';
export type { SyncHashStash } from './sync-stash.js';
export type { UpdateSource, SyncUpdateSource, EntriesSource } from './update-source.js';
export type { VersionRecord, GetAllOptions } from './append-mode.js';
export { Table, type WritableTarget } from './tables/table.js';
export type { FlatRecord } from './tables/flatten.js';
export type { RecordOptions } from './tables/records.js';
export type { PrintOptions } from './tables/print.js';
export type { ArqueroTable } from './tables/arquero.js';
export {
  cacheHome,
  DEFAULTS,
  ENGINE_NAMES,
  SERIALIZER_NAMES,
  COMPRESS_NAMES,
  type HashStashOptions,
  type ResolvedOptions,
  type EngineName,
  type SerializerName,
  type CompressName,
} from './options.js';
export {
  HashStashError,
  ConfigError,
  SerializationError,
  DecodeError,
  KeyNotFoundError,
  EngineUnavailableError,
  ReadOnlyError,
  UnsupportedError,
} from './errors.js';
export { DriverMissingError } from './errors.js';
export { IndexOutOfRangeError, NondeterministicIterableError, SequenceIncompleteError } from './errors.js';
export type { Sequence } from './sequence/sequence.js';
export type { SequenceStats, SyncSequence } from './sequence/types.js';
export type { SequenceView, IndexSource } from './sequence/views.js';
export type { SequenceOptions } from './sequence/options.js';
export type { Sweep, SweepFunction } from './sweep/sweep.js';
export type { SweepAxes, SweepPoint, SweepRunOptions, SweepSelect, SweepSpec } from './sweep/options.js';
export type {
  SweepChunkCounts,
  SweepDiagnostics,
  SweepPointCounts,
  SweepResult,
  SweepRun,
  SweepStatus,
} from './sweep/types.js';
export type { SweepQuery } from './sweep/discover.js';
export type { IterableFactory } from './sequence/writer.js';
export { MemoryBudgetError } from './engines/memory/errors.js';
export type { EvictionPolicy } from './engines/memory/eviction.js';
export type {
  MemoryTierOptions,
  PrefetchOptions,
  ResolvedTier,
  TierCoherence,
  TierEvictionPolicy,
  TierOptions,
} from './tiers/options.js';
export type { TierStats } from './tiers/stats.js';
export type { StashStats } from './read-counts.js';
export type { StashChange, StashWatch, WatchOptions } from './watch/change.js';
// Functions whose modules load on first call: see lazy-exports.ts.
export {
  serialize,
  deserialize,
  serializerNames,
  encode,
  decode,
  codecNames,
  encodeKey,
  decodeKey,
  hashKey,
  stashed,
  serveStashQueue,
} from './lazy-exports.js';
export type { StashQueueWorker } from './queue/serve.js';
export type {
  QueueMapOptions,
  QueueBackoff,
  QueueResults,
  QueueWorkerCounts,
  ServeQueueOptions,
} from './queue/options.js';
export { registerClass, unregisterClass, type RegisterClassOptions } from './serializers/classes.js';
export { StoredFunction } from './serializers/stored-function.js';
export { UnknownSerializerError, type CustomSerializer } from './serializers/custom.js';
export type { KeyEncoding } from './keys/encoding.js';
export type { AnyFunction, AnyConstructor, UncheckedFunction } from './any-function.js';
export type { Serializer, DeserializeOptions } from './serializers/serializer.js';
export type { Codec } from './codecs/codec.js';
export type { EncodeOptions } from './codecs/index.js';
export type {
  Engine,
  EngineCapabilities,
  EngineContext,
  EngineFactory,
  SyncStore,
  RawEntry,
  RawChange,
  EngineStats,
  AppendStore,
  SyncAppendStore,
  RawVersion,
} from './engines/engine.js';
export { registerEngine } from './engines/index.js';
export { expiresAtOf } from './format/header.js';
export type { SetIfAbsentOptions } from './set-if-absent.js';
export type { Lease } from './lease/lease.js';
export type { LeaseOptions } from './lease/options.js';
export { LeaseLostError } from './lease/errors.js';
export type { StashedOptions } from './stashed.js';
export type { MemoOptions } from './memo/options.js';
export type { Memoized, FunctionStash, StashedDecorator } from './stash.js';
export type { SyncMemoized, SyncFunctionStash, SyncStashedDecorator } from './sync-stash.js';
export { stashOf, type StashOf } from './memoized.js';
export { StashMap, type MapSettled, type MapFulfilled, type MapRejected } from './parallel/map.js';
export { stashMapped, type StashMapped } from './stash-mapped.js';
export {
  MapItemError,
  WorkerCrashError,
  UntrustedCodeError,
  ClosureError,
  type WorkerCrashReason,
} from './parallel/errors.js';
export type { MapBackend, MapOptions } from './parallel/options.js';
export type { MapFunction, ModuleFunction } from './parallel/function-ref.js';
export type { MapProgress } from './parallel/progress.js';
export type { LoadOptions, LoadResult, LoadProgress, RecordField } from './load/options.js';
export type { LoadFormat } from './load/formats.js';
export { LoadDecodeError, LoadWorkerError } from './load/errors.js';
