import type {
  AppendStore,
  Engine,
  EngineCapabilities,
  EngineStats,
  RawChange,
  RawEntry,
  RawVersion,
} from '../engines/engine.js';
import { isExpired, mayExpire } from '../engines/expiry.js';
import { Coherence } from './coherence.js';
import { InvalidationGuard } from './guard.js';
import { MemoryUpperTier } from './memory-tier.js';
import { sweepScratch } from './scratch.js';
import { TierCounters, type TierStats } from './stats.js';
import type { UpperTier } from './upper-tier.js';

/**
 * A chain of tiers as one engine: the upper tiers (bounded, local, synchronous) hold copies of what the last tier
 * holds, and the last tier is the stash's storage.
 * - Reads try the upper tiers in order and then the last tier; what is found below the first tier is copied into it
 *   (a reload from a bounded tier, a promotion from the last).
 * - Writes (set, delete, compare-and-set, append, clear) land in the last tier before they resolve; the upper tiers
 *   drop their copy of the key first, and the first tier keeps the new value once the last tier has it. When the
 *   last tier fails, the upper tiers drop the key and the error is thrown: nothing is kept above that the last tier
 *   may not hold.
 * - What a bounded tier evicts for room goes to the next bounded tier (offload), when there is one.
 * - With coherence, the last tier's change feed drops the upper tiers' copy of every key any thread or process
 *   changes (`missed`: all of them); nothing is copied up until the feed is ready, and a copy up whose key was
 *   touched while it was read from below is not made (see InvalidationGuard).
 * Keys, entries, size, versions and the change feed are the last tier's.
 */
export class TieredEngine implements Engine {
  readonly name: string;
  readonly capabilities: EngineCapabilities;
  readonly sync = undefined;
  readonly append: AppendStore | undefined;
  readonly purgeExpired?: () => Promise<number>;
  readonly compareAndSet?: (
    key: Uint8Array,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
  ) => Promise<boolean>;
  readonly watch?: (options: { readonly signal?: AbortSignal | undefined }) => AsyncIterable<RawChange>;
  readonly #upper: readonly UpperTier[];
  readonly #first: UpperTier;
  readonly #last: Engine;
  readonly #lastCounters = new TierCounters();
  readonly #guard = new InvalidationGuard();
  readonly #coherence: Coherence | undefined;
  readonly #now: () => number;
  /** Entries evicted by upper tier i, waiting to be offloaded to tier i + 1. */
  readonly #offloads: [from: number, key: Uint8Array, blob: Uint8Array][] = [];
  /** Keys changed on the feed that the first tier held, to read again (see #changed). */
  readonly #stale: Uint8Array[] = [];
  readonly #refreshing = new Set<Promise<void>>();
  #opened = false;

  constructor(upper: readonly UpperTier[], last: Engine, options: { coherence: boolean; now: () => number }) {
    this.#upper = upper;
    this.#first = upper[0]!;
    this.#last = last;
    this.#now = options.now;
    this.name = last.name;
    this.capabilities = { ...last.capabilities, sync: false };
    this.#coherence = options.coherence ? new Coherence(last, (change) => this.#changed(change)) : undefined;
    upper.forEach((tier, i) => {
      if (i + 1 < upper.length) tier.evicted = (key, blob) => this.#offloads.push([i, key, blob]);
    });
    if (last.append) {
      const { append: lastAppend } = last;
      this.append = {
        append: (key, value) => this.#writing(key, () => lastAppend.append(key, value), undefined),
        versions: (key): AsyncIterable<RawVersion> => lastAppend.versions(key),
      };
    }
    if (last.purgeExpired) {
      const purge = last.purgeExpired.bind(last);
      this.purgeExpired = async () => {
        this.#open();
        const purged = await purge();
        for (const tier of this.#upper) tier.purgeExpired();
        return purged;
      };
    }
    if (last.compareAndSet) {
      const cas = last.compareAndSet.bind(last);
      this.compareAndSet = (key, expected, next) => this.#writing(key, () => cas(key, expected, next), undefined);
    }
    if (last.watch) this.watch = last.watch.bind(last);
  }

  /** First use: counts this object as a holder of its memory tiers, sweeps dead scratch folders, starts coherence. */
  #open(): void {
    if (this.#opened) return;
    this.#opened = true;
    let first = false;
    for (const tier of this.#upper) {
      if (tier instanceof MemoryUpperTier && tier.hold()) first = true;
      else if (!(tier instanceof MemoryUpperTier)) void sweepScratch();
    }
    if (this.#coherence) {
      // The first holder cannot know what changed while nobody followed the feed: it starts from nothing.
      if (first) for (const tier of this.#upper) tier.clear();
      void this.#coherence.start();
    }
  }

  /** Copies may go up: always without coherence, else once the feed is ready. */
  get #copying(): boolean {
    return this.#coherence === undefined || this.#coherence.ready;
  }

  /** Resolves when copies may go up (for prefetch). */
  async ready(): Promise<void> {
    this.#open();
    if (this.#coherence) await this.#coherence.start();
  }

  /**
   * A change from the feed: the upper tiers drop the key at once; a key the first tier held and that was set is read
   * again from the last tier and kept (a refresh), so that writes, this object's own included (they come back on the
   * feed too), do not leave hot keys out of the first tier.
   */
  #changed(change: RawChange): void {
    if (change.type !== 'set' && change.type !== 'delete') {
      this.#dropAll();
      return;
    }
    const held = change.type === 'set' && this.#first.holds(change.key);
    this.#dropAbove(change.key);
    if (held) this.#refreshLater(change.key);
  }

  #refreshLater(key: Uint8Array): void {
    this.#stale.push(key);
    if (this.#stale.length > 1) return;
    setImmediate(() => {
      const refreshed = this.#refresh(this.#stale.splice(0));
      this.#refreshing.add(refreshed);
      void refreshed.finally(() => this.#refreshing.delete(refreshed));
    });
  }

  /** Reads `keys` from the last tier in one batch and keeps those no change has touched since the read began. */
  async #refresh(keys: Uint8Array[]): Promise<void> {
    const token = this.#guard.begin();
    try {
      const blobs = await this.#last.getMany(keys);
      blobs.forEach((blob, i) => {
        if (blob !== undefined && this.#copying && this.#guard.untouched(keys[i], token)) this.#keep(keys[i], blob);
      });
    } catch {
      // The last tier failed: the keys stay dropped, and a read fetches them again.
    } finally {
      this.#guard.end();
    }
  }

  #dropAbove(key: Uint8Array): void {
    this.#guard.touch(key);
    for (const tier of this.#upper) tier.drop(key);
  }

  #dropAll(): void {
    this.#guard.touchAll();
    for (const tier of this.#upper) tier.clear();
  }

  /** The blob from the upper tiers, counting a hit in the tier that had it and a miss in each above; copies a reload up. */
  #fromUpper(key: Uint8Array): Uint8Array | undefined {
    for (let i = 0; i < this.#upper.length; i++) {
      const tier = this.#upper[i];
      let blob = tier.get(key);
      if (blob !== undefined && mayExpire(blob) && isExpired(blob, this.#now)) {
        tier.drop(key, 'expired');
        blob = undefined;
      }
      if (blob === undefined) {
        tier.counters.misses++;
        continue;
      }
      tier.counters.hits++;
      if (i > 0) {
        tier.counters.reloads++;
        this.#keep(key, blob);
      }
      return blob;
    }
    return undefined;
  }

  /** Copies `blob` into the first tier, then offloads what that evicted down the bounded tiers. */
  #keep(key: Uint8Array, blob: Uint8Array): void {
    this.#first.put(key, blob);
    this.#offload();
  }

  #offload(): void {
    for (let entry = this.#offloads.shift(); entry; entry = this.#offloads.shift()) {
      const [from, key, blob] = entry;
      if (mayExpire(blob) && isExpired(blob, this.#now)) continue;
      const tier = this.#upper[from + 1];
      tier.counters.offloads++;
      tier.put(key, blob);
    }
  }

  #countLast(blob: Uint8Array | undefined): void {
    if (blob === undefined) this.#lastCounters.misses++;
    else this.#lastCounters.hits++;
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#open();
    const found = this.#fromUpper(key);
    if (found !== undefined) return Promise.resolve(found);
    return this.#fromLast(key);
  }

  async #fromLast(key: Uint8Array): Promise<Uint8Array | undefined> {
    const token = this.#guard.begin();
    try {
      const blob = await this.#last.get(key);
      this.#countLast(blob);
      if (blob !== undefined && this.#copying && this.#guard.untouched(key, token)) this.#keep(key, blob);
      return blob;
    } finally {
      this.#guard.end();
    }
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    this.#open();
    const blobs = keys.map((key) => this.#fromUpper(key));
    const missing: number[] = [];
    blobs.forEach((blob, i) => {
      if (blob === undefined) missing.push(i);
    });
    if (missing.length === 0) return blobs;
    const token = this.#guard.begin();
    try {
      const below = await this.#last.getMany(missing.map((i) => keys[i]));
      missing.forEach((i, j) => {
        const blob = below[j];
        this.#countLast(blob);
        blobs[i] = blob;
        if (blob !== undefined && this.#copying && this.#guard.untouched(keys[i], token)) this.#keep(keys[i], blob);
      });
      return blobs;
    } finally {
      this.#guard.end();
    }
  }

  /**
   * A write of `key` to the last tier: the upper tiers drop their copies before and again after it (and if it fails,
   * in case it landed anyway); `kept`, when given, is what the first tier keeps once the last tier has it, unless a
   * change to the key came in meanwhile.
   */
  async #writing<T>(key: Uint8Array, write: () => Promise<T>, kept: Uint8Array | undefined): Promise<T> {
    this.#open();
    this.#dropAbove(key);
    const token = this.#guard.begin();
    try {
      const result = await write();
      const keep = kept !== undefined && this.#copying && this.#guard.untouched(key, token);
      // Reads of the key that began while the write was in flight may have read the old value: void their copies.
      this.#dropAbove(key);
      if (keep) this.#keep(key, kept);
      return result;
    } catch (error) {
      this.#dropAbove(key);
      throw error;
    } finally {
      this.#guard.end();
    }
  }

  set(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.#writing(key, () => this.#last.set(key, value), value);
  }

  delete(key: Uint8Array): Promise<boolean> {
    return this.#writing(key, () => this.#last.delete(key), undefined);
  }

  has(key: Uint8Array): Promise<boolean> {
    this.#open();
    const blob = this.#first.get(key);
    if (blob !== undefined && !(mayExpire(blob) && isExpired(blob, this.#now))) return Promise.resolve(true);
    return this.#last.has(key);
  }

  size(): Promise<number> {
    this.#open();
    return this.#last.size();
  }

  async clear(): Promise<void> {
    this.#open();
    this.#dropAll();
    try {
      await this.#last.clear();
    } finally {
      this.#dropAll();
    }
  }

  keys(): AsyncIterable<Uint8Array> {
    this.#open();
    return this.#last.keys();
  }

  entries(): AsyncIterable<RawEntry> {
    this.#open();
    return this.#last.entries();
  }

  /** Written to the last tier; the upper tiers drop the keys written (a bulk load does not push out what is hot). */
  async setMany(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>): Promise<void> {
    this.#open();
    const written: Uint8Array[] = [];
    const drop = (key: Uint8Array) => {
      written.push(key);
      this.#dropAbove(key);
    };
    const tapped =
      Symbol.asyncIterator in entries
        ? (async function* () {
            for await (const entry of entries) {
              drop(entry[0]);
              yield entry;
            }
          })()
        : (function* () {
            for (const entry of entries) {
              drop(entry[0]);
              yield entry;
            }
          })();
    try {
      await this.#last.setMany(tapped);
    } finally {
      for (const key of written) this.#dropAbove(key);
    }
  }

  /**
   * Loads `keys` into the first tier from below, where they are stored; how many it loaded. Waits for the change feed
   * to be ready first (a copy made before could miss a change).
   */
  async prefetch(keys: readonly Uint8Array[], signal: AbortSignal | undefined): Promise<number> {
    await this.ready();
    let loaded = 0;
    const BATCH = 1_000;
    for (let start = 0; start < keys.length; start += BATCH) {
      signal?.throwIfAborted();
      const batch = keys.slice(start, start + BATCH).filter((key) => this.#first.get(key) === undefined);
      if (batch.length === 0) continue;
      const token = this.#guard.begin();
      try {
        const blobs = await this.#last.getMany(batch);
        blobs.forEach((blob, i) => {
          if (blob === undefined || !this.#guard.untouched(batch[i], token)) return;
          if (mayExpire(blob) && isExpired(blob, this.#now)) return;
          this.#keep(batch[i], blob);
          loaded++;
        });
      } finally {
        this.#guard.end();
      }
    }
    return loaded;
  }

  async stats(): Promise<Partial<EngineStats>> {
    this.#open();
    const own = (await this.#last.stats?.()) ?? {};
    const tiers: TierStats[] = this.#upper.map((tier) => tier.stats());
    tiers.push(this.#lastCounters.snapshot(this.#last.name, undefined, own.bytesUsed ?? 0, own.evictions ?? 0));
    return { ...own, tiers };
  }

  async close(): Promise<void> {
    await this.#coherence?.close();
    await Promise.all(this.#refreshing);
    for (const tier of this.#upper) await tier.close();
    await this.#last.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
