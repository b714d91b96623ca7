import { allVersionsSync, appendEntriesSync, syncAppendStoreOf, type GetAllOptions, type VersionRecord } from './append-mode.js';
import type { RawEntry, SyncStore } from './engines/engine.js';
import { take, WRITE_BATCH } from './engines/local-engine.js';
import { KeyNotFoundError, ReadOnlyError } from './errors.js';
import type { BlobFormat } from './format/blob.js';
import { decodeKey, encodeKey } from './keys/encode.js';
import type { HashStash } from './stash.js';
import { countedRead, type ReadCounts } from './read-counts.js';
import { previewKey } from './keys/preview.js';
import { memoOrDecorator, type SyncStashedDecorator } from './memo/decorator.js';
import type { MemoOptions } from './memo/options.js';
import { syncMemoize, syncRunOn, type SyncMemoized } from './memo/sync-memoize.js';
import { toSyncEntries, type SyncUpdateSource } from './update-source.js';

/**
 * `stash.sync`: the dictionary of a local engine with synchronous methods and plain iterables.
 * It shares the owner's engine and settings; nothing here is cached apart from them. Each method does what the
 * {@link HashStash} method of its name does, and throws what it throws.
 *
 * @example
 * ```ts
 * stash.sync.set('n', 1);
 * stash.sync.get('n');                                  // 1
 * for (const [key, value] of stash.sync) console.log(key, value);
 * ```
 */
export class SyncHashStash<K = any, V = any> implements Iterable<[K, V]> {
  readonly #owner: HashStash<K, V>;
  readonly #store: SyncStore;
  readonly #format: BlobFormat;
  readonly #ready: () => void;
  readonly #reads: ReadCounts;

  /** @internal Made by `stash.sync`. */
  constructor(owner: HashStash<K, V>, store: SyncStore, format: BlobFormat, ready: () => void, reads: ReadCounts = { hits: 0, misses: 0 }) {
    this.#owner = owner;
    this.#store = store;
    this.#format = format;
    this.#ready = ready;
    this.#reads = reads;
  }

  /** The owner's {@link HashStash.path}. */
  get path(): string { return this.#owner.path; }

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
    this.#ready();
    const encoded = encodeKey(key);
    const store = this.#store;
    // Decoding at once, before anything else can run, is what makes the engine's transient read safe here.
    return countedRead(this.#reads, this.#format, store.getTransient ? store.getTransient(encoded) : store.get(encoded), fallback);
  }

  /**
   * Stores `value` under `key`, replacing what was there (in append mode: adding a version); stored when it returns.
   *
   * @throws {@link ReadOnlyError} on a readonly stash.
   * @throws {@link SerializationError} for a value (or key) the serializer cannot carry, naming the path inside it.
   */
  set(key: K, value: V): void {
    this.setRaw(encodeKey(key), value);
  }

  /** `set` under a key already encoded with {@link encodeKey} (see {@link HashStash.setRaw}). */
  setRaw(rawKey: Uint8Array, value: V): void {
    this.#writable('set');
    this.#ready();
    if (this.#owner.options.appendMode) this.#versions().append(rawKey, this.#format.pack(value));
    else this.#store.set(rawKey, this.#format.pack(value));
  }

  /** True when something is stored under `key`. */
  has(key: K): boolean {
    this.#ready();
    return this.#store.has(encodeKey(key));
  }

  /**
   * Removes `key` (in append mode: every version of it).
   *
   * @returns True when something was removed.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  delete(key: K): boolean {
    this.#writable('delete');
    this.#ready();
    return this.#store.delete(encodeKey(key));
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
    this.#writable('pop');
    this.#ready();
    const encoded = encodeKey(key);
    const blob = this.#store.get(encoded);
    if (blob === undefined) {
      if (fallback.length) return fallback[0];
      throw new KeyNotFoundError(`key not found: ${previewKey(key)}`);
    }
    const value = this.#format.unpack(blob);
    this.#store.delete(encoded);
    return value;
  }

  /**
   * The stored value; when absent, stores `value` first and returns it.
   *
   * @throws {@link ReadOnlyError} on a readonly stash when `key` is absent.
   */
  setDefault(key: K, value: V): V {
    this.#ready();
    const encoded = encodeKey(key);
    const blob = this.#store.get(encoded);
    if (blob !== undefined) return this.#format.unpack(blob) as V;
    this.#writable('setDefault');
    if (this.#owner.options.appendMode) this.#versions().append(encoded, this.#format.pack(value));
    else this.#store.set(encoded, this.#format.pack(value));
    return value;
  }

  /**
   * Stores every entry of a Map, an iterable of [key, value] or a plain object, in batches as {@link setMany} does.
   *
   * @throws {@link ConfigError} for a source of another kind, or an item that is not a [key, value] pair.
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  update(source: SyncUpdateSource<K, V>): void {
    this.#writable('update');
    this.setMany(toSyncEntries(source));
  }

  /** Values for many keys at once, in the order asked (undefined where absent). */
  getMany(keys: Iterable<K>): (V | undefined)[] {
    this.#ready();
    return this.#store.getMany(Array.from(keys, (key) => encodeKey(key)))
      .map((blob) => countedRead(this.#reads, this.#format, blob, undefined) as V | undefined);
  }

  /**
   * Stores many [key, value] entries in batches (a commit per 10,000), so a large source never sits in memory whole.
   * In append mode each entry adds a version.
   *
   * @throws {@link ReadOnlyError} on a readonly stash.
   * @throws {@link SerializationError} for a key or value the serializer cannot carry; batches before it are stored.
   */
  setMany(entries: Iterable<readonly [K, V]>): void {
    this.#writable('setMany');
    this.#ready();
    if (this.#owner.options.appendMode) return appendEntriesSync(this.#versions(), this.#format, entries);
    const format = this.#format;
    const iterator = (function* () {
      for (const [key, value] of entries) yield [encodeKey(key), format.pack(value)] as RawEntry;
    })();
    for (let batch = take(iterator, WRITE_BATCH); batch.length; batch = take(iterator, WRITE_BATCH)) {
      this.#store.setMany(batch);
    }
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
    this.#ready();
    return allVersionsSync<V>(this.#versions(), this.#format, key, options);
  }

  #versions() { return syncAppendStoreOf(this.#owner.engine); }

  /**
   * Removes every entry of this stash (not its sub-stashes).
   *
   * @throws {@link ReadOnlyError} on a readonly stash.
   */
  clear(): void {
    this.#writable('clear');
    this.#ready();
    this.#store.clear();
  }

  /** How many keys (in append mode: keys, not versions). */
  size(): number {
    this.#ready();
    return this.#store.size();
  }

  /** `for (const [key, value] of stash.sync)`: the same as {@link entries}. */
  [Symbol.iterator](): Iterator<[K, V]> { return this.entries(); }

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
    this.#ready();
    yield* this.#store.entries();
  }

  /** Keys as stored: the bytes of {@link encodeKey}. */
  *rawKeys(): Generator<Uint8Array> {
    this.#ready();
    yield* this.#store.keys();
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
  decodeKey(rawKey: Uint8Array): K { return decodeKey(rawKey, { trustCode: this.#owner.options.trustCode }) as K; }
  /**
   * The value a stored blob holds.
   *
   * @throws {@link DecodeError} for a corrupt or truncated blob, or one written with another serializer or codec.
   */
  decodeValue(rawValue: Uint8Array): V { return this.#format.unpack(rawValue) as V; }

  // ---- memoized functions, kept synchronous ----

  /** `fn(...args)` for a synchronous `fn`, computed once and read from the stash after. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R { return syncRunOn(this.#owner, fn, args); }

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
    return memoOrDecorator(first, second, (fn, options) => syncMemoize(this.#owner, fn as () => unknown, options));
  }

  /** The owner's `String(stash)` followed by `.sync`. */
  toString(): string { return `${this.#owner}.sync`; }

  #writable(operation: string): void {
    if (this.#owner.options.readonly) {
      throw new ReadOnlyError(`cannot ${operation}: ${this.#owner} was opened with readonly: true`);
    }
  }
}
