import { allVersionsSync, appendEntriesSync, type GetAllOptions, type VersionRecord } from './append-mode.js';
import type { RawEntry, SyncStore } from './engines/engine.js';
import { take, WRITE_BATCH } from './engines/local-engine.js';
import type { MemoHost } from './memo/cache.js';
import { memoOrDecorator } from './memo/decorator.js';
import { syncMemoize, syncRunOn } from './memo/memoize.js';
import type { MemoOptions } from './memo/options.js';
import { HashStashError } from './errors.js';
import { isPromise, type Maybe, type StashCore, type WriteOptions } from './stash-core.js';
import { toSyncEntries, type SyncUpdateSource } from './update-source.js';
import { setIfAbsent, type SetIfAbsentOptions } from './set-if-absent.js';

/** The synchronous view of a function's sub-stash: iterates as `[args, result]`; `getFunc` reads one result. */
export type SyncFunctionStash<A extends unknown[], R> = SyncHashStash<A, R> & {
  /** The stored result for these arguments, or undefined. With `keyThis`, pass the instance first. */
  getFunc(...args: A | [unknown, ...A]): R | undefined;
};

/**
 * A memoized synchronous function (`stash.sync.stashed(fn)`): called like `fn`, it returns the result, computed on
 * the first call with these arguments and read from `stash` after.
 *
 * @typeParam A - `fn`'s parameters.
 * @typeParam R - What `fn` returns.
 * @typeParam This - `this` of a decorated method.
 */
export type SyncMemoized<A extends unknown[], R, This = unknown> = ((this: This, ...args: A) => R) & {
  /** The function's own sub-stash (the one `stash.stashed(fn)` uses), synchronously. */
  readonly stash: SyncFunctionStash<A, R>;
};

/** What `@stash.sync.stashed(options)` returns: a method decorator for synchronous methods. */
export type SyncStashedDecorator = <This, A extends unknown[], R>(
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R> &
    (R extends PromiseLike<unknown> ? { 'stash.sync.stashed needs a synchronous method': never } : unknown),
) => SyncMemoized<A, R, This>;

/**
 * A step of the shared core (a write, a clear, the clear-on-open gate) run against the engine's SyncStore, whose
 * methods return values: it has completed when this returns. A promise would come from a sync store that breaks its
 * contract; it is refused with an error rather than left floating, its rejection unhandled.
 */
function completed(step: Maybe<void>): void {
  if (isPromise(step)) {
    step.catch(() => {}); // reported by the error below
    throw new HashStashError("stash.sync: the engine's synchronous store returned a promise");
  }
}

/** What the sync view needs of its stash, beyond the shared core: its path and name, and its memo cache. */
export interface SyncViewHost {
  readonly path: string;
  toString(): string;
}

/**
 * `stash.sync`: the dictionary of a local engine with synchronous methods and plain iterables.
 * It shares the owner's engine, settings and rules (stash-core.ts); nothing here is cached apart from them. Each
 * method does what the {@link HashStash} method of its name does, and throws what it throws.
 *
 * @example
 * ```ts
 * stash.sync.set('n', 1);
 * stash.sync.get('n');                                  // 1
 * for (const [key, value] of stash.sync) console.log(key, value);
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- public default, as HashStash: an untyped stash takes any key and value
export class SyncHashStash<K = any, V = any> implements Iterable<[K, V]> {
  readonly #owner: SyncViewHost;
  readonly #core: StashCore;
  readonly #store: SyncStore;
  readonly #memos: () => MemoHost;

  /** @internal Made by `stash.sync`. */
  constructor(owner: SyncViewHost, core: StashCore, store: SyncStore, memos: () => MemoHost) {
    this.#owner = owner;
    this.#core = core;
    this.#store = store;
    this.#memos = memos;
  }

  /** The owner's {@link HashStash.path}. */
  get path(): string {
    return this.#owner.path;
  }

  /**
   * The value stored under `key`, or undefined when there is none.
   *
   * @throws {@link DecodeError} when the stored blob is corrupt, truncated or written with other settings.
   */
  get(key: K): V | undefined;
  /**
   * The value stored under `key`, or `fallback` when there is none.
   *
   * @throws {@link DecodeError} when the stored blob is corrupt, truncated or written with other settings.
   */
  get<F>(key: K, fallback: F): V | F;
  get(key: K, fallback?: unknown): unknown {
    return this.#core.get(this.#store, key, fallback);
  }

  /**
   * Stores `value` under `key`, replacing what was there (in append mode: adding a version); stored when it returns.
   *
   * @param options - `{ ttl }`: when the entry expires, counted from now (overrides the stash's `ttl` option).
   * @throws {@link ReadOnlyError} on a readonly stash.
   * @throws {@link SerializationError} for a value (or key) the serializer cannot carry, naming the path inside it.
   * @throws {@link ConfigError} for a ttl that is not a positive duration, or an unknown option.
   */
  set(key: K, value: V, options?: WriteOptions): void {
    completed(this.#core.set(this.#store, this.#core.encode(key), value, options));
  }

  /**
   * Stores `value` under `key` only when nothing live is stored there (nothing, or an expired entry); true when this
   * call stored it. Atomic across threads and processes, as `stash.setIfAbsent`.
   *
   * @param options - `ttl`: the value expires this long after it is written (ms or `'30s'`, `'15m'`, `'1h'`, `'7d'`).
   * @throws {@link ReadOnlyError} on a readonly stash.
   * @throws {@link ConfigError} for a bad `ttl`.
   * @throws {@link UnsupportedError} in append mode, and on an engine without `compareAndSet`.
   */
  setIfAbsent(key: K, value: V, options?: SetIfAbsentOptions): boolean {
    return setIfAbsent(this.#core, this.#store, key, value, options) as boolean;
  }

  /** `set` under a key already encoded with {@link encodeKey} (see {@link HashStash.setByEncodedKey}). */
  setByEncodedKey(rawKey: Uint8Array, value: V, options?: WriteOptions): void {
    completed(this.#core.set(this.#store, rawKey, value, options));
  }

  /**
   * The same as {@link setByEncodedKey}.
   *
   * @deprecated The key is encoded, the value is not: use {@link setByEncodedKey}.
   */
  setRaw(rawKey: Uint8Array, value: V): void {
    this.setByEncodedKey(rawKey, value);
  }

  /** True when something is stored under `key` (and has not expired). */
  has(key: K): boolean {
    return this.#core.has(this.#store, key) as boolean;
  }

  /** When the entry under `key` expires: ms since the epoch, null for never, undefined when absent or expired. */
  expiresAt(key: K): number | null | undefined {
    return this.#core.expiresAt(this.#store, key) as number | null | undefined;
  }

  /**
   * Removes every entry that has expired by now; an entry set again meanwhile stays.
   *
   * @returns How many entries it removed.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  purgeExpired(): number {
    return this.#core.purgeExpired(this.#store) as number;
  }

  /**
   * Removes `key` (in append mode: every version of it).
   *
   * @returns True when something was removed.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  delete(key: K): boolean {
    return this.#core.delete(this.#store, key) as boolean;
  }

  /**
   * The value stored under `key`, removed.
   *
   * @throws {@link KeyNotFoundError} when `key` is absent.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  pop(key: K): V;
  /**
   * The value stored under `key`, removed; `fallback` when `key` is absent.
   *
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  pop<F>(key: K, fallback: F): V | F;
  pop(key: K, ...fallback: unknown[]): unknown {
    return this.#core.pop(this.#store, key, fallback);
  }

  /**
   * The stored value; when absent, stores `value` first and returns it.
   *
   * @throws {@link ReadOnlyError} on a readonly stash when `key` is absent.
   */
  setDefault(key: K, value: V): V {
    return this.#core.setDefault(this.#store, key, value) as V;
  }

  /**
   * Stores every entry of a Map, an iterable of [key, value] or a plain object, in batches as {@link setMany} does.
   *
   * @param options - `{ ttl }`: when each entry expires, counted from its write.
   * @throws {@link ConfigError} for a source of another kind, or an item that is not a [key, value] pair.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  update(source: SyncUpdateSource<K, V>, options?: WriteOptions): void {
    this.#core.writable('update');
    this.#setMany(toSyncEntries(source), options, 'update');
  }

  /** Values for many keys at once, in the order asked (undefined where absent). */
  getMany(keys: Iterable<K>): (V | undefined)[] {
    return this.#core.getMany(this.#store, keys) as (V | undefined)[];
  }

  /**
   * Stores many [key, value] entries in batches (a commit per 10,000), so a large source never sits in memory whole.
   * In append mode each entry adds a version.
   *
   * @param options - `{ ttl }`: when each entry expires, counted from its write (overrides the stash's `ttl` option).
   * @throws {@link ReadOnlyError} on a readonly stash.
   * @throws {@link SerializationError} for a key or value the serializer cannot carry; batches before it are stored.
   */
  setMany(entries: Iterable<readonly [K, V]>, options?: WriteOptions): void {
    this.#setMany(entries, options, 'setMany');
  }

  #setMany(entries: Iterable<readonly [unknown, unknown]>, options: WriteOptions | undefined, operation: string): void {
    const core = this.#core;
    core.writable(operation);
    const ttl = core.ttlFor(options, operation);
    completed(core.ready(this.#store));
    if (core.options.appendMode) return appendEntriesSync(core, this.#store, entries, ttl);
    const packed = core.packed(entries, false, ttl);
    for (let batch = take(packed, WRITE_BATCH); batch.length; batch = take(packed, WRITE_BATCH))
      this.#store.setMany(batch);
  }

  /**
   * Every version of `key` kept in append mode, oldest first; empty when it has none.
   *
   * @throws {@link UnsupportedError} on an engine that keeps no versions.
   */
  getAll(key: K): V[];
  /** Every version of `key` as `{ version, timestamp, value }`, oldest first. */
  getAll(key: K, options: GetAllOptions & { withMetadata: true }): VersionRecord<V>[];
  /** Every version of `key`, oldest first: values, or with `withMetadata` `{ version, timestamp, value }` records. */
  getAll(key: K, options?: GetAllOptions): V[] | VersionRecord<V>[];
  getAll(key: K, options: GetAllOptions = {}): V[] | VersionRecord<V>[] {
    completed(this.#core.ready(this.#store));
    return allVersionsSync(this.#core, this.#store, key, options) as V[] | VersionRecord<V>[];
  }

  /**
   * Removes every entry of this stash (not its sub-stashes).
   *
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  clear(): void {
    completed(this.#core.clear(this.#store));
  }

  /** How many keys (in append mode: keys, not versions), expired ones left out. */
  size(): number {
    return this.#core.size(this.#store) as number;
  }

  /** `for (const [key, value] of stash.sync)`: the same as {@link entries}. */
  [Symbol.iterator](): Iterator<[K, V]> {
    return this.entries();
  }

  /** Every `[key, value]`, keys decoded; streamed, holding a bounded amount in memory whatever the stash's size. */
  *entries(): Generator<[K, V]> {
    for (const [key, value] of this.rawEntries()) yield [this.decodeKey(key), this.decodeValue(value)];
  }

  /** Every key, decoded; streamed like {@link entries}. */
  *keys(): Generator<K> {
    for (const key of this.rawKeys()) yield this.decodeKey(key);
  }

  /** Every value; streamed like {@link entries}. */
  *values(): Generator<V> {
    for (const [, value] of this.rawEntries()) yield this.decodeValue(value);
  }

  /** Keys and values as stored: key bytes and blobs; {@link decodeKey} and {@link decodeValue} read them. */
  *rawEntries(): Generator<RawEntry> {
    completed(this.#core.ready(this.#store));
    yield* this.#core.liveEntries(this.#store.entries());
  }

  /** Keys as stored: the bytes of {@link encodeKey}. */
  *rawKeys(): Generator<Uint8Array> {
    completed(this.#core.ready(this.#store));
    yield* this.#core.liveKeys(this.#store);
  }

  /** Values as stored: blobs with their header, serialized and compressed. */
  *rawValues(): Generator<Uint8Array> {
    for (const [, value] of this.rawEntries()) yield value;
  }

  /**
   * The key that stored key bytes stand for (a function key as a {@link StoredFunction} unless `trustCode`).
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

  // ---- memoized functions, kept synchronous ----

  /** `fn(...args)` for a synchronous `fn`, computed once and read from the stash after. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    return syncRunOn(this.#memos(), fn, args) as R;
  }

  /**
   * A synchronous wrapper of `fn` whose results are kept in its own sub-stash, the one `stash.stashed(fn)` uses.
   *
   * @throws {@link ConfigError} when `fn` is not a function or is an async function, or for an unknown or ill-typed
   *   memo option; {@link UnsupportedError} when a call returns a promise, which cannot be stored.
   */
  stashed<A extends unknown[], R>(fn: (...args: A) => R, options?: MemoOptions): SyncMemoized<A, R>;
  /**
   * A standard method decorator that memoizes a synchronous method: `@stash.sync.stashed()`.
   *
   * @throws {@link ConfigError} for an unknown or ill-typed memo option, and (when applied) on a getter, field or class.
   */
  stashed(options?: MemoOptions): SyncStashedDecorator;
  stashed(first?: unknown, second?: unknown): unknown {
    return memoOrDecorator(first, second, (fn, options) => syncMemoize(this.#memos(), fn, options));
  }

  /** The owner's `String(stash)` followed by `.sync`. */
  toString(): string {
    return `${String(this.#owner)}.sync`;
  }
}
