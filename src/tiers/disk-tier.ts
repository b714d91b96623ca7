import { keyText } from './key-text.js';
import type { Engine, SyncStore } from '../engines/engine.js';
import type { TierEvictionPolicy } from './options.js';
import { removeScratch } from './scratch.js';
import { TierCounters, type TierStats } from './stats.js';
import type { DropCause, EvictedListener, UpperTier } from './upper-tier.js';

/**
 * A tier on a local engine (lmdb, sqlite, pairtree) in a scratch folder of this stash object's own: LitData's offload
 * folder, where what the tier above evicts is kept until this tier's budget is full. Being private, its budget is
 * kept exactly: a ledger of every key's bytes (key plus blob) in eviction order, oldest first; `'lru'` moves a key
 * to the end when read, `'fifo'` only when written.
 */
export class DiskUpperTier implements UpperTier {
  readonly engine: string;
  readonly maxBytes: number;
  readonly counters = new TierCounters();
  evicted: EvictedListener | undefined;
  readonly #storage: Engine;
  readonly #folder: string;
  readonly #lru: boolean;
  /** Bytes of each key held, by the key's latin1 text, in eviction order. */
  readonly #ledger = new Map<string, number>();
  #used = 0;

  constructor(storage: Engine, folder: string, maxBytes: number, evict: TierEvictionPolicy) {
    this.engine = storage.name;
    this.#storage = storage;
    this.#folder = folder;
    this.maxBytes = maxBytes;
    this.#lru = evict === 'lru';
  }

  get #store(): SyncStore {
    return this.#storage.sync!;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const text = keyText(key);
    const bytes = this.#ledger.get(text);
    if (bytes === undefined) return undefined;
    const blob = this.#store.get(key);
    if (blob === undefined) {
      // The store is this tier's alone: a key it had that reads as nothing has expired (the engine hides it).
      this.drop(key, 'expired');
      return undefined;
    }
    if (this.#lru) {
      this.#ledger.delete(text);
      this.#ledger.set(text, bytes);
    }
    return blob;
  }

  holds(key: Uint8Array): boolean {
    return this.#ledger.has(keyText(key));
  }

  put(key: Uint8Array, blob: Uint8Array): void {
    const bytes = key.length + blob.length;
    if (bytes > this.maxBytes) {
      this.drop(key);
      return;
    }
    const text = keyText(key);
    this.#store.set(key, blob);
    this.#forget(text);
    this.#ledger.set(text, bytes);
    this.#used += bytes;
    while (this.#used > this.maxBytes) this.#evictOldest();
    if (this.#used > this.counters.peakBytes) this.counters.peakBytes = this.#used;
  }

  #evictOldest(): void {
    const [text] = this.#ledger.keys();
    const key = Buffer.from(text, 'latin1');
    const blob = this.#store.get(key);
    this.#store.delete(key);
    this.#forget(text);
    this.counters.budget++;
    if (blob !== undefined) this.evicted?.(key, blob);
  }

  #forget(text: string): void {
    const bytes = this.#ledger.get(text);
    if (bytes === undefined) return;
    this.#ledger.delete(text);
    this.#used -= bytes;
  }

  drop(key: Uint8Array, cause: DropCause = 'explicit'): boolean {
    const text = keyText(key);
    if (!this.#ledger.has(text)) return false;
    this.#store.delete(key);
    this.#forget(text);
    this.counters[cause]++;
    return true;
  }

  clear(): void {
    if (this.#ledger.size === 0) return;
    this.#store.clear();
    this.#ledger.clear();
    this.#used = 0;
  }

  purgeExpired(): number {
    const purged = this.#store.purgeExpired?.() ?? 0;
    if (purged > 0) {
      // Which keys went is the engine's to know: the ledger is brought in line with what is left.
      for (const text of [...this.#ledger.keys()]) {
        if (!this.#store.has(Buffer.from(text, 'latin1'))) this.#forget(text);
      }
    }
    this.counters.expired += purged;
    return purged;
  }

  stats(): TierStats {
    return this.counters.snapshot(this.engine, this.maxBytes, this.#used, this.counters.budget);
  }

  async close(): Promise<void> {
    await this.#storage.close();
    await removeScratch(this.#folder);
  }
}
