import type { GetAllOptions, VersionRecord } from './append-mode.js';
import type { Engine, RawEntry } from './engines/engine.js';
// Loaded with the facade for its rules that run at import: a thread that starts a worker, or a worker that inherited
// no memory arena, listens for one (hand-over.ts).
import './engines/memory/hand-over.js';
import { lazy } from './lazy.js';
import type { MemoCache } from './memo/cache.js';
import type { MemoOptions } from './memo/options.js';
import type { HashStashOptions, ResolvedOptions } from './options.js';
import type { MapFunction } from './parallel/function-ref.js';
import type { StashMap } from './parallel/map.js';
import type { MapOptions } from './parallel/options.js';
import type { StashStats } from './read-counts.js';
import { StashCore, type WriteOptions } from './stash-core.js';
import type { SyncHashStash } from './sync-stash.js';
import type { FlatRecord } from './tables/flatten.js';
import type { RecordOptions } from './tables/records.js';
import type { Table } from './tables/table.js';
import type { TmpHandle, TmpLifetime } from './tmp/temporary.js';
import type { UpdateSource } from './update-source.js';
import type { SetIfAbsentOptions } from './set-if-absent.js';
import type { Lease } from './lease/lease.js';
import type { LeaseOptions } from './lease/options.js';
import type { LeaseStore } from './lease/store.js';
import type { StashWatch, WatchOptions } from './watch/change.js';
import type { PrefetchOptions } from './tiers/options.js';
import type { StashTarget } from './queue/job.js';
import { queueTargetOf } from './queue/target.js';
import type { Sequence } from './sequence/sequence.js';
import type { Sweep } from './sweep/sweep.js';
import type { SweepAxes, SweepSpec } from './sweep/options.js';
import type { SweepQuery } from './sweep/discover.js';
import type { SequenceOptions } from './sequence/options.js';
import type { IterableFactory } from './sequence/writer.js';
import type { LoadOptions, LoadResult } from './load/options.js';

// What a stash needs beyond its facade loads when first needed (see lazy.ts): importing hashstash loads none of it.
const from = import.meta.url;
const updates = lazy<typeof import('./update-source.js')>(from, './update-source.js');
const syncView = lazy<typeof import('./sync-stash.js')>(from, './sync-stash.js');
const memoCache = lazy<typeof import('./memo/cache.js')>(from, './memo/cache.js');
const watching = lazy<typeof import('./watch/watch.js')>(from, './watch/watch.js');
const memo = lazy<typeof import('./memo/memoize.js')>(from, './memo/memoize.js');
const decorator = lazy<typeof import('./memo/decorator.js')>(from, './memo/decorator.js');
const mapping = lazy<typeof import('./parallel/map.js')>(from, './parallel/map.js');
const records = lazy<typeof import('./tables/records.js')>(from, './tables/records.js');
const tables = lazy<typeof import('./tables/table.js')>(from, './tables/table.js');
const temporary = lazy<typeof import('./tmp/temporary.js')>(from, './tmp/temporary.js');
const coordination = lazy<typeof import('./set-if-absent.js')>(from, './set-if-absent.js');
const leases = lazy<typeof import('./lease/acquire.js')>(from, './lease/acquire.js');
const sequences = lazy<typeof import('./sequence/sequence.js')>(from, './sequence/sequence.js');
const sweeps = lazy<typeof import('./sweep/sweep.js')>(from, './sweep/sweep.js');
const sweepSearch = lazy<typeof import('./sweep/discover.js')>(from, './sweep/discover.js');
const loading = lazy<typeof import('./load/load.js')>(from, './load/load.js');

/** The sub-stash of one function: iterates as `[args, result]`, and reads a result by call syntax. */
export type FunctionStash<A extends unknown[], R> = HashStash<A, Awaited<R>> & {
  /** The stored result for these arguments, or undefined. With `keyThis`, pass the instance first. */
  getFunc(...args: A | [unknown, ...A]): Promise<Awaited<R> | undefined>;
};

/**
 * A memoized function (`stash.stashed(fn)`, `stashed(fn, options)`): called like `fn`, it returns a promise of the
 * result, computed on the first call with these arguments and read from `stash` after.
 *
 * @typeParam A - `fn`'s parameters.
 * @typeParam R - What `fn` returns (awaited in the result).
 * @typeParam This - `this` of a decorated method.
 */
export type Memoized<A extends unknown[], R, This = unknown> = ((this: This, ...args: A) => Promise<Awaited<R>>) & {
  /** The function's own sub-stash, keyed by the arguments. */
  readonly stash: FunctionStash<A, R>;
};

/**
 * What `@stashed(options)` and `@stash.stashed(options)` return: a standard (TC39, TypeScript 5+) method decorator
 * for async methods. The method's own `this` is passed on; it is part of the key only with `keyThis`.
 */
export type StashedDecorator = <This, A extends unknown[], R>(
  method: (this: This, ...args: A) => Promise<R>,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
) => Memoized<A, R, This>;

/** A stash that is removed, data and all, when disposed (`stash.tmp()`); `close()` alone keeps the data. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- public default, as HashStash
export interface TemporaryHashStash<K = any, V = any> extends HashStash<K, V>, TmpHandle {}

/**
 * A dictionary whose keys and values can be anything, kept on the storage named by `engine`.
 * The constructor only validates; storage is opened on first use, and so is the sweep of abandoned temporary stashes.
 *
 * Keys are equal when they are structurally equal: `{ a: 1, b: 2 }` and `{ b: 2, a: 1 }` are one key, a Set or Map is
 * the same key in any insertion order, and `1`, `1n`, `'1'` and `[1]` are four keys. Iteration gives back the original
 * keys, decoded.
 *
 * @typeParam K - The keys' type. Nothing checks it: it types what `get` takes and iteration yields.
 * @typeParam V - The values' type, likewise.
 *
 * @example
 * ```ts
 * await using stash = new HashStash({ root: 'project_stash' });
 * await stash.set({ animal: 'dog', size: 'big' }, { goodness: 'good' });
 * await stash.get({ size: 'big', animal: 'dog' });   // { goodness: 'good' }: the same key
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- public default: an untyped stash takes any key and value
export class HashStash<K = any, V = any> implements AsyncDisposable, AsyncIterable<[K, V]> {
  /** Where the data lives: `<root>/<name>/<engine>.<serializer>.<compress>[+b64]`. */
  readonly path: string;
  /** The rules and state shared with the sync view (stash-core.ts). */
  readonly #core: StashCore;
  #syncView: SyncHashStash<K, V> | undefined;
  #memos: MemoCache | undefined;
  /** Set on a temporary stash (`tmp()`): its registry entry and removal. */
  #lifetime: TmpLifetime | undefined;
  /** The lease sub-stash, opened by the first `lease()`. */
  #leases: LeaseStore | undefined;
  /** Sub-stashes opened from this one and not closed yet (those of sequences, sweeps and maps too): closed with it. */
  readonly #children = new Set<HashStash>();
  /** The stash this one is a sub-stash of, until this one closes. */
  #parent: HashStash | undefined;

  /**
   * Validates `options` and builds the engine without touching storage: files are opened and servers connected on
   * first use.
   *
   * @param options - Where and how to keep the data; every field is optional (defaults in {@link DEFAULTS}).
   * @throws {@link ConfigError} for an unknown option, a value of the wrong type or an unknown engine, serializer, codec
   *   or eviction policy, naming it; also for a root or name no file system can hold, `readonly` with `clear`, and a
   *   MongoDB database name MongoDB refuses.
   * @throws {@link UnsupportedError} for `appendMode` on an engine object that keeps no versions.
   */
  constructor(options: HashStashOptions = {}) {
    this.#core = new StashCore(options, this, (o) => new HashStash(o));
    this.path = this.#core.path;
  }

  /** The storage engine this stash runs on. */
  get engine(): Engine {
    return this.#core.engine;
  }
  /** The stash's name inside its root, as given (`'main'` by default; `'<parent>/<sub>'` for a sub-stash). */
  get name(): string {
    return this.#core.options.name;
  }
  /** The root folder, absolute: a relative `root` option resolved inside the cache home ({@link cacheHome}). */
  get root(): string {
    return this.#core.options.root;
  }
  /** The options this stash runs with, after defaults and validation; a server URL's password shows as `***`. */
  get options(): ResolvedOptions {
    return this.#core.shownOptions;
  }

  /**
   * The same stash, synchronously, for local engines (memory, pairtree, lmdb, sqlite): the same data and settings
   * with synchronous methods and plain iterables.
   *
   * @throws {@link UnsupportedError} on an engine that is only asynchronous (redis, mongo).
   */
  get sync(): SyncHashStash<K, V> {
    this.#syncView ??= new (syncView().SyncHashStash)<K, V>(this, this.#core, this.#core.syncStore, () =>
      this.#memoHost(),
    );
    return this.#syncView;
  }

  /**
   * A stash inside this one, with the same settings, at `<root>/<name>/<subName>/…`.
   *
   * @param subName - Its name below this stash's: one or more folder names joined with `/`.
   * @param overrides - Settings to change for the sub-stash; `name` is always `<name>/<subName>`.
   * @throws {@link ConfigError} for a `subName` or override the constructor refuses.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- public default, as HashStash: an untyped sub-stash
  sub<SK = any, SV = any>(subName: string, overrides: Partial<HashStashOptions> = {}): HashStash<SK, SV> {
    const sub = new HashStash<SK, SV>(this.#core.subOptions(subName, overrides));
    this.#lifetime?.adopt(sub);
    this.#children.add(sub);
    sub.#parent = this;
    return sub;
  }

  /**
   * A stash with these settings in a fresh location in the root, removed (files and server keys) when disposed:
   * `await using tmp = stash.tmp()`, or `await tmp.remove()` by hand (`close()` alone keeps the data).
   *
   * @throws {@link ReadOnlyError} on a readonly stash, which writes nothing in its root.
   * @throws {@link UnsupportedError} on a stash whose engine is an engine object rather than a name.
   */
  tmp<TK = K, TV = V>(): TemporaryHashStash<TK, TV> {
    const { options, lifetime } = temporary().planTmp(this, this.#core.options.url, (o) => new HashStash(o));
    const tmp = new HashStash<TK, TV>(options);
    tmp.#lifetime = lifetime;
    return lifetime.attach(tmp);
  }

  /**
   * `fn(tmp)` with a temporary stash (see {@link tmp}) that is removed when `fn` settles, also when it throws.
   *
   * @returns What `fn` returned, awaited.
   * @throws What `fn` throws; {@link ReadOnlyError} on a readonly stash.
   */
  withTmp<R, TK = K, TV = V>(fn: (tmp: TemporaryHashStash<TK, TV>) => R | Promise<R>): Promise<Awaited<R>> {
    return temporary().withTmp(() => this.tmp<TK, TV>(), fn);
  }

  // ---- the dictionary: each rule is the core's (stash-core.ts), shared with the sync view ----
  /**
   * The value stored under `key`, or undefined when there is none (a stored `null` is a value, not an absent key).
   *
   * @throws {@link DecodeError} when the stored blob is corrupt, truncated or written with other settings.
   * @throws {@link SerializationError} for a key that cannot be encoded (a cycle, a value the key encoding cannot
   *   carry).
   */
  get(key: K): Promise<V | undefined>;
  /**
   * The value stored under `key`, or `fallback` when there is none.
   *
   * @throws {@link DecodeError} when the stored blob is corrupt, truncated or written with other settings.
   */
  get<F>(key: K, fallback: F): Promise<V | F>;
  get(key: K, fallback?: unknown): Promise<unknown> {
    return this.#core.getAsync(key, fallback);
  }

  /**
   * Stores `value` under `key`, replacing what was there (in append mode: adding a version). Resolves once it is
   * stored.
   *
   * @param options - `{ ttl }`: when the entry expires, counted from now (overrides the stash's `ttl` option).
   * @throws {@link ReadOnlyError} on a readonly stash.
   * @throws {@link SerializationError} for a value (or key) the serializer cannot carry, naming the path inside it.
   * @throws {@link ConfigError} for a ttl that is not a positive duration, or an unknown option.
   * @example
   * ```ts
   * await stash.set('session', token, { ttl: '15m' });   // gone from every read 15 minutes from now
   * ```
   */
  set(key: K, value: V, options?: WriteOptions): Promise<void> {
    return this.#core.setAsync(key, value, undefined, options);
  }

  /**
   * Stores `value` under `key` only when nothing live is stored there (nothing, or an expired entry); true when this
   * call stored it. Atomic across threads, processes and machines on every built-in engine: of any number of racing
   * callers exactly one gets true.
   *
   * @param options - `ttl`: the value expires this long after it is written (ms or `'30s'`, `'15m'`, `'1h'`, `'7d'`).
   * @throws {@link ReadOnlyError} on a readonly stash.
   * @throws {@link ConfigError} for a bad `ttl`.
   * @throws {@link UnsupportedError} in append mode, and on an engine without `compareAndSet`.
   */
  async setIfAbsent(key: K, value: V, options?: SetIfAbsentOptions): Promise<boolean> {
    return coordination().setIfAbsent(this.#core, this.#core.storage, key, value, options);
  }

  /**
   * Takes the lease `name`: mutual exclusion among every thread, process and machine that opens this stash, until the
   * lease is released (`await using` releases it at the end of the block). Held by another, it waits (polling) until
   * it is free, or resolves to null at once with `wait: false`; a holder that died is taken over after its ttl, never
   * earlier. Leases live in the sub-stash `<name>/.hashstash-leases` (a reserved name), apart from the keys.
   *
   * @param name - The lease's name: holders of the same name exclude each other.
   * @param options - `ttl` (default 30 s), `wait` (default true), `signal` (stops waiting: rejects with its reason),
   *   `autoRenew` (default true: renewed every third of the ttl while held).
   * @throws {@link ReadOnlyError} on a readonly stash.
   * @throws {@link ConfigError} for a bad name, `ttl` or option.
   * @throws {@link UnsupportedError} on an engine without `compareAndSet`.
   */
  lease(name: string, options?: LeaseOptions & { readonly wait?: true | undefined }): Promise<Lease>;
  lease(name: string, options: LeaseOptions): Promise<Lease | null>;
  async lease(name: string, options?: LeaseOptions): Promise<Lease | null> {
    this.#core.writable('lease');
    const lease = leases();
    return lease.acquireLease((this.#leases ??= lease.openLeaseStore(this, this.#core.now)), name, options);
  }

  /**
   * `set` under a key already encoded with {@link encodeKey}, for callers that must fix the key before the value exists:
   * a memo whose function changes its own arguments still stores under the arguments it was called with.
   *
   * @param rawKey - `encodeKey(key)`.
   * @param options - `{ ttl }`, as {@link set} takes it.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  setByEncodedKey(rawKey: Uint8Array, value: V, options?: WriteOptions): Promise<void> {
    return this.#core.setAsync(undefined, value, rawKey, options);
  }

  /** True when something is stored under `key` (and has not expired). */
  async has(key: K): Promise<boolean> {
    return this.#core.has(this.#core.storage, key);
  }

  /**
   * When the entry under `key` expires.
   *
   * @returns Milliseconds since the epoch; null when it never expires; undefined when `key` is absent or has expired.
   */
  async expiresAt(key: K): Promise<number | null | undefined> {
    return this.#core.expiresAt(this.#core.storage, key);
  }

  /**
   * Removes every entry that has expired by now (expired entries are hidden from every read already; this frees their
   * space). Each is removed only if it is still the expired one: an entry set again meanwhile stays.
   *
   * @returns How many entries it removed.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  async purgeExpired(): Promise<number> {
    return this.#core.purgeExpired(this.#core.storage);
  }

  /**
   * Removes `key` (in append mode: every version of it).
   *
   * @returns True when something was removed.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  async delete(key: K): Promise<boolean> {
    return this.#core.delete(this.#core.storage, key);
  }

  /**
   * The value stored under `key`, removed.
   *
   * @throws {@link KeyNotFoundError} when `key` is absent.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  async pop(key: K): Promise<V>;
  /**
   * The value stored under `key`, removed; `fallback` when `key` is absent.
   *
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  async pop<F>(key: K, fallback: F): Promise<V | F>;
  async pop(key: K, ...fallback: unknown[]): Promise<unknown> {
    return this.#core.pop(this.#core.storage, key, fallback);
  }

  /**
   * The stored value; when absent, stores `value` first and returns it.
   *
   * @throws {@link ReadOnlyError} on a readonly stash when `key` is absent.
   */
  async setDefault(key: K, value: V): Promise<V> {
    return this.#core.setDefault(this.#core.storage, key, value) as Promise<V>;
  }

  /**
   * Stores every entry of a Map, an iterable or async iterable of [key, value], a plain object, or another stash,
   * streamed to the engine in batches as {@link setMany} does.
   *
   * @param options - `{ ttl }`: when each entry expires, counted from its write (overrides the stash's `ttl` option).
   * @throws {@link ConfigError} for a source of another kind, or an item that is not a [key, value] pair.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  async update(source: UpdateSource<K, V>, options?: WriteOptions): Promise<void> {
    this.#core.writable('update');
    await this.#core.setMany(updates().toEntries(source), false, options, 'update');
  }

  /**
   * Values for many keys at once, in the order asked (undefined where absent); cheaper than one `get` per key.
   *
   * @throws {@link DecodeError} when a stored blob is corrupt, truncated or written with other settings.
   */
  async getMany(wanted: Iterable<K>): Promise<(V | undefined)[]> {
    return this.#core.getMany(this.#core.storage, wanted) as Promise<V[]>;
  }

  /**
   * `setMany` under keys already encoded with {@link encodeKey} (as {@link setByEncodedKey}): stash.map fixes each key
   * when it sends the call.
   *
   * @param options - `{ ttl }`, as {@link setMany} takes it.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  async setManyByEncodedKey(entries: Iterable<readonly [Uint8Array, V]>, options?: WriteOptions): Promise<void> {
    await this.#core.setMany(entries, true, options, 'setManyByEncodedKey');
  }

  /**
   * Stores many entries, streaming them to the engine in batches (on local engines, a commit per 10,000), so a large
   * source never sits in memory whole. In append mode each entry adds a version.
   *
   * @param entries - [key, value] pairs, synchronous or asynchronous.
   * @param options - `{ ttl }`: when each entry expires, counted from its write (overrides the stash's `ttl` option).
   * @throws {@link ReadOnlyError} on a readonly stash.
   * @throws {@link SerializationError} for a key or value the serializer cannot carry; batches before it are stored.
   * @throws {@link ConfigError} for a ttl that is not a positive duration, or an unknown option.
   */
  async setMany(
    entries: Iterable<readonly [K, V]> | AsyncIterable<readonly [K, V]>,
    options?: WriteOptions,
  ): Promise<void> {
    await this.#core.setMany(entries, false, options);
  }

  /**
   * Every version of `key` kept in append mode, oldest first; empty when it has none (absent, or only written outside
   * append mode).
   *
   * @throws {@link UnsupportedError} on an engine that keeps no versions.
   */
  getAll(key: K): Promise<V[]>;
  /** Every version of `key` as `{ version, timestamp, value }`, oldest first. */
  getAll(key: K, options: GetAllOptions & { withMetadata: true }): Promise<VersionRecord<V>[]>;
  /** Every version of `key`, oldest first: values, or with `withMetadata` `{ version, timestamp, value }` records. */
  getAll(key: K, options?: GetAllOptions): Promise<V[] | VersionRecord<V>[]>;
  getAll(key: K, options: GetAllOptions = {}): Promise<V[] | VersionRecord<V>[]> {
    return this.#core.getAll(key, options) as Promise<V[] | VersionRecord<V>[]>;
  }

  /**
   * Removes every entry of this stash (and no other: not its sub-stashes, not other stashes on the same server).
   *
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  async clear(): Promise<void> {
    await this.#core.clear(this.#core.storage);
  }

  /**
   * Changes to this stash made from now on by any thread or process (machine, on redis and mongo), until `signal`
   * aborts or the stash closes: `{ type: 'set' | 'delete', key }`, `{ type: 'clear' }`, and `{ type: 'missed', count? }`
   * when the watcher fell behind (a loop that stops reading for long, a lost connection): never a silent gap.
   * `ready` resolves once every later change is sure to be seen.
   *
   * @example
   * ```ts
   * const controller = new AbortController();
   * for await (const change of stash.watch({ signal: controller.signal })) {
   *   if (change.type === 'set') console.log('set', change.key);
   * }
   * ```
   * @throws {@link UnsupportedError} on an engine without a change feed.
   * @throws {@link ReadOnlyError} on a readonly stash on lmdb, sqlite, pairtree, redis or mongo: a watcher registers
   * itself in the stash's storage.
   */
  watch(options?: WatchOptions): StashWatch<K> {
    return watching().watchStash<K>(this.#core, options);
  }

  /**
   * Loads `keys` into the stash's upper tiers (the `memory` and `tiers` options) ahead of use, from the tier below
   * that holds them, so that the reads that follow are hits. Keys stored nowhere are skipped. On a stash with
   * coherence it first waits for the change feed to be ready (on redis well under a second after first use).
   *
   * @returns How many keys were loaded (0 on a stash without tiers, which has nowhere to load them).
   * @throws The signal's reason when it aborts; what was loaded stays.
   *
   * @example
   * ```ts
   * const stash = new HashStash({ engine: 'redis', memory: { maxBytes: '256mb' } });
   * await stash.prefetch(tomorrowsKeys);
   * ```
   */
  async prefetch(keys: Iterable<K>, options: PrefetchOptions = {}): Promise<number> {
    return this.#core.prefetch(keys, options);
  }

  /**
   * Hits and misses of reads through this stash object, with the engine's entries, evictions and bytes where it
   * counts them; on a stash with tiers, `tiers` holds each tier's (see {@link TierStats}).
   */
  async stats(): Promise<StashStats> {
    return this.#core.stats();
  }

  /**
   * How many keys (in append mode: keys, not versions), expired ones left out (see the README's Expiry section for
   * what each engine counts).
   */
  async size(): Promise<number> {
    return this.#core.size(this.#core.storage);
  }

  // ---- iteration: streams, holding a bounded amount whatever the size ----

  /** `for await (const [key, value] of stash)`: the same as {@link entries}. */
  [Symbol.asyncIterator](): AsyncIterator<[K, V]> {
    return this.entries();
  }

  /**
   * Every `[key, value]`, keys decoded back to the values they were; streamed, holding a bounded amount in memory
   * whatever the stash's size. In append mode, each key's latest version.
   */
  async *entries(): AsyncGenerator<[K, V]> {
    for await (const [key, value] of this.rawEntries()) yield [this.decodeKey(key), this.decodeValue(value)];
  }

  /** Every key, decoded; streamed like {@link entries}. */
  async *keys(): AsyncGenerator<K> {
    for await (const key of this.rawKeys()) yield this.decodeKey(key);
  }

  /** Every value; streamed like {@link entries}. */
  async *values(): AsyncGenerator<V> {
    for await (const [, value] of this.rawEntries()) yield this.decodeValue(value);
  }

  /** Keys and values as stored: key bytes and blobs; {@link decodeKey} and {@link decodeValue} read them. */
  rawEntries(): AsyncGenerator<RawEntry> {
    return this.#core.rawEntries();
  }

  /** Keys as stored: the bytes of {@link encodeKey}. */
  rawKeys(): AsyncGenerator<Uint8Array> {
    return this.#core.rawKeys();
  }

  /** Values as stored: blobs with their header, serialized and compressed. */
  async *rawValues(): AsyncGenerator<Uint8Array> {
    for await (const [, value] of this.rawEntries()) yield value;
  }

  /**
   * The key that stored key bytes stand for. A function key reads back as a {@link StoredFunction} unless the stash
   * was opened with `trustCode: true`.
   *
   * @throws {@link DecodeError} for bytes that are not a key encoding.
   */
  decodeKey(rawKey: Uint8Array): K {
    return this.#core.decodeKey(rawKey) as K;
  }
  /**
   * The value a stored blob holds.
   *
   * @throws {@link DecodeError} for a corrupt or truncated blob, or one written with another serializer or codec.
   */
  decodeValue(rawValue: Uint8Array): V {
    return this.#core.format.unpack(rawValue) as V;
  }

  // ---- records and tables (src/tables) ----

  /**
   * One flat object per entry (per version in append mode): nested fields joined with '.', the key in `_key`, a value
   * that is not a plain object in `_value`. All in memory: {@link iterRecords} streams them.
   *
   * @throws {@link ConfigError} for an unknown option.
   */
  records(options: RecordOptions = {}): Promise<FlatRecord[]> {
    return records().collectRecords(this, options);
  }

  /** The same records, streamed in bounded memory. */
  iterRecords(options: RecordOptions = {}): AsyncGenerator<FlatRecord> {
    return records().iterRecords(this, options);
  }

  /** The records as a table: columns in first-seen order, a readable printout, CSV, `toArquero()`. */
  table(options: RecordOptions = {}): Promise<Table> {
    return tables().Table.fromAsync(records().iterRecords(this, options));
  }

  // ---- memoized functions (src/memo, on this stash's memo cache) ----

  /**
   * `fn(...args)`, computed once and read from the stash after: the result is stored in `fn`'s sub-stash (as
   * {@link stashed} keeps it) under the arguments.
   *
   * @throws What `fn` throws (nothing is stored then); {@link ConfigError} when `fn` is not a function.
   * @example
   * ```ts
   * const result = await stash.run(expensive, 'a', { n: 3 });   // computed once, then read from the stash
   * ```
   */
  run<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<Awaited<R>> {
    return memo().runOn(this.#memoHost(), fn, args) as Promise<Awaited<R>>;
  }

  /**
   * A wrapper of `fn` whose results are kept in its own sub-stash (`wrapper.stash`): each distinct argument list is
   * computed once, then read. The sub-stash is named after `fn`'s name and a hash of its source, so editing the body
   * starts afresh; concurrent calls with equal arguments compute once.
   *
   * @throws {@link ConfigError} when `fn` is not a function, or for an unknown or ill-typed memo option.
   * @example
   * ```ts
   * const cached = stash.stashed(expensive);
   * await cached('a', { n: 3 });
   * await cached.stash.getFunc('a', { n: 3 });   // the stored result, or undefined
   * ```
   */
  stashed<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, options?: MemoOptions): Memoized<A, R>;
  /**
   * A standard method decorator that memoizes an async method on this stash, as the other form does a function:
   * `@stash.stashed()` or `@stash.stashed({ keyThis: (self: Model) => self.id })`.
   *
   * @throws {@link ConfigError} for an unknown or ill-typed memo option, and (when applied) on a getter, field or class.
   */
  stashed(options?: MemoOptions): StashedDecorator;
  stashed(first?: unknown, second?: unknown): unknown {
    return decorator().memoOrDecorator(first, second, (fn, options) => memo().memoize(this.#memoHost(), fn, options));
  }

  #memoHost(): MemoCache {
    return (this.#memos ??= new (memoCache().MemoCache)((name) => this.sub(name)));
  }

  /**
   * `fn` over `items` on worker threads; stored results are read, only missing items are computed (see
   * {@link StashMap}). Each call is `fn(item, ...args[, options[i]])`, stored where `stash.run(fn, item, ...args)`
   * would store it.
   *
   * @param fn - A self-contained function (shipped to the workers by its source), or `{ module, export }` for one that
   *   needs imports.
   * @throws {@link ClosureError} when `fn` reads variables from outside itself; {@link ConfigError} for items that are
   *   not an iterable, or an unknown or ill-typed option. Failures of single items come through the results instead.
   * @example
   * ```ts
   * const results = stash.map((word: string) => word.length, ['cat', 'dog', 'zebra'], { numProc: 2 });
   * await results.all();   // [3, 3, 5]
   * ```
   */
  map<T, R = unknown>(
    fn: MapFunction<T, R>,
    items: Iterable<T> & object,
    options?: MapOptions,
  ): StashMap<T, Awaited<R>> {
    return new (mapping().StashMap)<T, Awaited<R>>(this, fn as MapFunction<T, Awaited<R>>, items, options);
  }

  /**
   * Loads big files of records into this stash: worker threads parse and encode batches of lines, and this thread
   * commits them in input order, each batch whole (one transaction on lmdb and sqlite). `.gz` and `.br` files are
   * decompressed as they stream; memory stays bounded whatever the sizes. A later line with the same key wins.
   *
   * @param files - One file name or several, loaded in order.
   * @param options - Format, key and value, workers, batch size, error handling, `signal`, progress (see
   *   {@link LoadOptions}).
   * @returns How many files, records, input bytes and skipped lines, and how long it took.
   * @throws {@link LoadDecodeError} for a bad line (naming file and line) unless `onError: 'skip'`, with `loaded`
   *   saying what was committed; {@link ConfigError} for a bad option, an unknown format or an unreadable file;
   *   {@link ReadOnlyError} on a readonly stash; `signal.reason` when aborted.
   * @example
   * ```ts
   * await stash.load(['part-1.ndjson.gz', 'part-2.ndjson.br'], { key: 'id', value: (rec) => rec.label, workers: 2 });
   * // -> { files: 2, records: 1000000, bytes: 31457280, skipped: 0, ms: 2400 }
   * ```
   */
  async load(files: string | readonly string[], options?: LoadOptions): Promise<LoadResult> {
    const core = this.#core;
    core.writable('load');
    return loading().loadFiles(
      {
        options: core.options,
        ttl: () => core.ttlFor(undefined, 'load'),
        now: core.now,
        engine: async () => {
          await core.ready(core.storage);
          return core.storage;
        },
      },
      files,
      options,
    );
  }

  /**
   * How a `hashstash worker` on another machine opens this stash to store a map's results: undefined unless it is a
   * writable stash on redis or mongo.
   *
   * @internal Used by `stash.map` with `queue`.
   */
  queueTarget(): StashTarget | undefined {
    return queueTargetOf(this.#core.options, this.#core.rootAsGiven);
  }

  /**
   * Random access to the items of an iterable, cached in shards in the sub-stash `options.name`: `await seq.at(i)`,
   * `await seq.length()`, `for await (const item of seq)`, `seq.slice(…)`, `seq.pick(…)`. Each shard is generated once
   * across every thread and process that opens the same sequence, and its items are readable while it is generated.
   * `iterable` must give the same items in the same order every time; pass null to read what is stored.
   *
   * @param iterable - A function returning a fresh iterable or async iterable of the items; null to read what is stored.
   * @param options - `name` (required), `shardLength`, `memoryShards`, `maxDiskBytes`, `prefetch`, `leaseTtl`.
   * @throws {@link ConfigError} for a missing name or a bad option.
   * @example
   * ```ts
   * await using seq = stash.sequence(() => readRecords(files), { name: 'records', shardLength: 512 });
   * await seq.at(1234); await seq.at(-1);
   * for await (const record of seq.slice(10, 2_000, 5)) {}
   * ```
   */
  sequence<T>(iterable: IterableFactory<T> | null, options: SequenceOptions): Sequence<T> {
    return new (sequences().Sequence)<T>(this, iterable, options);
  }

  /**
   * A function memoized over a grid of points (`axes`), stored in chunks of the grid in the sub-stash
   * `.hashstash-sweeps`: `await sweep.run(fn, { select })` computes only the selected points not stored yet, and reads
   * one point of a chunk without decoding the rest. Its identity is `params` with the axis names and `chunk` sizes;
   * more axis values (here or through `sweep.extend`) keep what is stored. See {@link Sweep}.
   *
   * @throws {@link ConfigError} for an empty axis, a value listed twice or that cannot be a key, a chunk size below 1
   *   or above its axis's length, a chunk for an axis that does not exist, or params that cannot be a key.
   * @example
   * ```ts
   * await using sweep = stash.sweep({ params: { model: 'small' }, axes: { lr: [0.1, 0.01], seed: [1, 2, 3, 4] }, chunk: { seed: 2 } });
   * const { output, diagnostics } = await sweep.run((point, params) => train(params.model, point.lr, point.seed));
   * ```
   */
  sweep<A extends SweepAxes, P = Record<string, never>>(spec: SweepSpec<A, P>): Sweep<A, P> {
    return new (sweeps().Sweep)<A, P>(this, spec);
  }

  /**
   * The stored sweeps with these `params` (compared as keys) that cover `axes`: with the same values, or with
   * `allowSuperset` at least those (a superset then serves the sub-grid asked for), whatever their chunking. Each is
   * returned as a {@link Sweep} over the axes asked for (its whole grid when `axes` is left out).
   */
  sweeps<A extends SweepAxes = SweepAxes, P = unknown>(query: SweepQuery<A, P>): Promise<Sweep<A, P>[]> {
    return sweepSearch().findSweeps(this, query);
  }

  /** The engine and {@link HashStash.path}: `LmdbHashStash(~/.cache/hashstash/project_stash/main/lmdb.hashstash.lz4)`. */
  toString(): string {
    return this.#core.describe();
  }

  /**
   * The resolved options (without `clear`, `maxBytes` and `evict`) and {@link HashStash.path}: for logs and
   * `JSON.stringify`.
   */
  toJSON(): Omit<ResolvedOptions, 'clear' | 'maxBytes' | 'evict'> & {
    /** {@link HashStash.path}. */
    readonly path: string;
  } {
    return this.#core.toJSON();
  }

  /**
   * Closes the engine (files, connections) and every sub-stash opened from this one and not closed yet (`sub`, and
   * those of memos, leases, sequences, sweeps and maps), so nothing this stash opened keeps a connection, or the
   * process, alive. Nothing is lost by not closing: writes are stored when they resolve.
   */
  async close(): Promise<void> {
    if (this.#parent) this.#parent.#children.delete(this);
    this.#parent = undefined;
    const children = [...this.#children];
    this.#children.clear();
    await Promise.all(children.map((child) => child.close()));
    await this.#memos?.close();
    await this.#leases?.close();
    await this.#core.engine.close();
  }

  /** {@link close}, for `await using stash = new HashStash(…)`; a temporary stash is removed instead ({@link tmp}). */
  async [Symbol.asyncDispose](): Promise<void> {
    await (this.#lifetime ? this.#lifetime.remove() : this.close());
  }

  /** The same as {@link setByEncodedKey}. @deprecated The key is encoded, the value is not: use {@link setByEncodedKey}. */
  setRaw(rawKey: Uint8Array, value: V): Promise<void> {
    return this.setByEncodedKey(rawKey, value);
  }

  /** The same as {@link setManyByEncodedKey}. @deprecated The keys are encoded: use {@link setManyByEncodedKey}. */
  setManyRaw(entries: Iterable<readonly [Uint8Array, V]>): Promise<void> {
    return this.setManyByEncodedKey(entries);
  }
}
