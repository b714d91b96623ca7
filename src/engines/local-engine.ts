import type { AppendStore, Engine, EngineCapabilities, EngineStats, RawChange, RawEntry, SyncStore } from './engine.js';
import { asyncAppendStore } from './local-append.js';

/**
 * Entries per batch that setMany hands to a synchronous store: large enough that a commit (an fsync) is shared by
 * many writes, small enough to bound memory (10,000 small entries is a few MB).
 */
export const WRITE_BATCH = 10_000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Up to `count` entries from an iterator. */
export function take<T>(iterator: Iterator<T>, count: number): T[] {
  const taken: T[] = [];
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    taken.push(next.value);
    if (taken.length >= count) break;
  }
  return taken;
}

/**
 * The asynchronous face of a local engine whose operations are synchronous and fast:
 * each call runs the synchronous one, so `await stash.get` costs one promise and no thread hop.
 */
export class LocalEngine implements Engine {
  readonly name: string;
  readonly capabilities: EngineCapabilities;
  readonly sync: SyncStore;
  readonly append: AppendStore | undefined;
  /** The store's `purgeExpired`, where it has one. */
  readonly purgeExpired?: () => Promise<number>;
  readonly #onClose: () => void;
  /** See {@link Engine.compareAndSet}: the store's own, run synchronously, where the store has one. */
  readonly compareAndSet?: (
    key: Uint8Array,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
  ) => Promise<boolean>;
  /** The engine's change feed, set by the engines that have one (see {@link Engine.watch}). */
  watch?: (options: { readonly signal?: AbortSignal | undefined }) => AsyncIterable<RawChange>;

  constructor(name: string, capabilities: EngineCapabilities, store: SyncStore, onClose: () => void = () => {}) {
    this.name = name;
    this.capabilities = capabilities;
    this.sync = store;
    this.append = store.append ? asyncAppendStore(store.append) : undefined;
    if (store.purgeExpired) this.purgeExpired = async () => store.purgeExpired!();
    this.#onClose = onClose;
    if (store.compareAndSet)
      this.compareAndSet = async (key, expected, next) => store.compareAndSet!(key, expected, next);
  }

  async get(key: Uint8Array) {
    return this.sync.get(key);
  }
  async set(key: Uint8Array, value: Uint8Array) {
    this.sync.set(key, value);
  }
  async has(key: Uint8Array) {
    return this.sync.has(key);
  }
  async delete(key: Uint8Array) {
    return this.sync.delete(key);
  }
  async size() {
    return this.sync.size();
  }
  async clear() {
    this.sync.clear();
  }
  async getMany(keys: readonly Uint8Array[]) {
    return this.sync.getMany(keys);
  }

  /**
   * Hands the store bounded batches, each one transaction on engines that have them, so memory stays bounded.
   * A synchronous source is read synchronously, yielding to the event loop between batches.
   */
  async setMany(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>): Promise<void> {
    if (Symbol.iterator in entries) {
      const iterator = entries[Symbol.iterator]();
      for (let batch = take(iterator, WRITE_BATCH); batch.length; batch = take(iterator, WRITE_BATCH)) {
        this.sync.setMany(batch);
        if (batch.length === WRITE_BATCH) await yieldToEventLoop();
      }
      return;
    }
    let batch: RawEntry[] = [];
    for await (const entry of entries) {
      batch.push(entry);
      if (batch.length >= WRITE_BATCH) {
        this.sync.setMany(batch);
        batch = [];
      }
    }
    if (batch.length) this.sync.setMany(batch);
  }

  /** The store's own counters (its `stats()`, where it has one: see each engine's stats.ts). */
  async stats(): Promise<Partial<EngineStats>> {
    return (this.sync as { stats?(): Partial<EngineStats> }).stats?.() ?? {};
  }

  async *keys(): AsyncIterableIterator<Uint8Array> {
    yield* this.sync.keys();
  }
  async *entries(): AsyncIterableIterator<RawEntry> {
    yield* this.sync.entries();
  }

  async close(): Promise<void> {
    this.#onClose();
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
