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
 * It shares the owner's engine and settings; nothing here is cached apart from them.
 */
export class SyncHashStash<K = any, V = any> implements Iterable<[K, V]> {
  readonly #owner: HashStash<K, V>;
  readonly #store: SyncStore;
  readonly #format: BlobFormat;
  readonly #ready: () => void;
  readonly #reads: ReadCounts;

  constructor(owner: HashStash<K, V>, store: SyncStore, format: BlobFormat, ready: () => void, reads: ReadCounts = { hits: 0, misses: 0 }) {
    this.#owner = owner;
    this.#store = store;
    this.#format = format;
    this.#ready = ready;
    this.#reads = reads;
  }

  get path(): string { return this.#owner.path; }

  get(key: K): V | undefined;
  get<F>(key: K, fallback: F): V | F;
  get(key: K, fallback?: unknown): unknown {
    this.#ready();
    const encoded = encodeKey(key);
    const store = this.#store;
    // Decoding at once, before anything else can run, is what makes the engine's transient read safe here.
    return countedRead(this.#reads, this.#format, store.getTransient ? store.getTransient(encoded) : store.get(encoded), fallback);
  }

  set(key: K, value: V): void {
    this.setRaw(encodeKey(key), value);
  }

  /** `set` under a key already encoded with `encodeKey` (see `HashStash.setRaw`). */
  setRaw(rawKey: Uint8Array, value: V): void {
    this.#writable('set');
    this.#ready();
    if (this.#owner.options.appendMode) this.#versions().append(rawKey, this.#format.pack(value));
    else this.#store.set(rawKey, this.#format.pack(value));
  }

  has(key: K): boolean {
    this.#ready();
    return this.#store.has(encodeKey(key));
  }

  delete(key: K): boolean {
    this.#writable('delete');
    this.#ready();
    return this.#store.delete(encodeKey(key));
  }

  pop(key: K): V;
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

  update(source: SyncUpdateSource<K, V>): void {
    this.#writable('update');
    this.setMany(toSyncEntries(source));
  }

  getMany(keys: Iterable<K>): (V | undefined)[] {
    this.#ready();
    return this.#store.getMany(Array.from(keys, (key) => encodeKey(key)))
      .map((blob) => countedRead(this.#reads, this.#format, blob, undefined) as V | undefined);
  }

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

  /** Every version of `key` kept in append mode, oldest first; `withMetadata` gives `{ version, timestamp, value }`. */
  getAll(key: K): V[];
  getAll(key: K, options: GetAllOptions & { withMetadata: true }): VersionRecord<V>[];
  getAll(key: K, options?: GetAllOptions): V[] | VersionRecord<V>[];
  getAll(key: K, options: GetAllOptions = {}): V[] | VersionRecord<V>[] {
    this.#ready();
    return allVersionsSync<V>(this.#versions(), this.#format, key, options);
  }

  #versions() { return syncAppendStoreOf(this.#owner.engine); }

  clear(): void {
    this.#writable('clear');
    this.#ready();
    this.#store.clear();
  }

  size(): number {
    this.#ready();
    return this.#store.size();
  }

  [Symbol.iterator](): Iterator<[K, V]> { return this.entries(); }

  *entries(): Generator<[K, V]> {
    for (const [key, value] of this.rawEntries()) yield [this.decodeKey(key), this.decodeValue(value)];
  }

  *keys(): Generator<K> {
    for (const key of this.rawKeys()) yield this.decodeKey(key);
  }

  *values(): Generator<V> {
    for (const [, value] of this.rawEntries()) yield this.decodeValue(value);
  }

  *rawEntries(): Generator<RawEntry> {
    this.#ready();
    yield* this.#store.entries();
  }

  *rawKeys(): Generator<Uint8Array> {
    this.#ready();
    yield* this.#store.keys();
  }

  *rawValues(): Generator<Uint8Array> {
    for (const [, value] of this.rawEntries()) yield value;
  }

  decodeKey(rawKey: Uint8Array): K { return decodeKey(rawKey, { trustCode: this.#owner.options.trustCode }) as K; }
  decodeValue(rawValue: Uint8Array): V { return this.#format.unpack(rawValue) as V; }

  // ---- memoized functions, kept synchronous ----

  /** `fn(...args)` for a synchronous `fn`, computed once and read from the stash after. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R { return syncRunOn(this.#owner, fn, args); }

  /** A synchronous wrapper of `fn` whose results are kept in its own sub-stash; or, without `fn`, a method decorator. */
  stashed<A extends unknown[], R>(fn: (...args: A) => R, options?: MemoOptions): SyncMemoized<A, R>;
  stashed(options?: MemoOptions): SyncStashedDecorator;
  stashed(first?: unknown, second?: unknown): unknown {
    return memoOrDecorator(first, second, (fn, options) => syncMemoize(this.#owner, fn as () => unknown, options));
  }

  toString(): string { return `${this.#owner}.sync`; }

  #writable(operation: string): void {
    if (this.#owner.options.readonly) {
      throw new ReadOnlyError(`cannot ${operation}: ${this.#owner} was opened with readonly: true`);
    }
  }
}
