import type { EngineContext, EngineStats, RawEntry, RawVersion, SyncAppendStore, SyncStore } from '../engine.js';
import { carriesExpiry, isExpired, isExpiredAt, mayExpire } from '../expiry.js';
import { LocalEngine } from '../local-engine.js';
import { processArena } from './arena.js';
import { policyCode, type EvictionPolicy } from './eviction.js';
import { ARENA_MAX_BYTES, reserveArena } from './hand-over.js';
import { hashPath } from './hash.js';
import { KIND_COUNTER, KIND_VALUE, KIND_VERSION } from './layout.js';
import { parseByteSize } from './size.js';
import { Table } from './table.js';
import { versionKey } from './version-key.js';
import { versionTimestamp } from '../version-stamp.js';
import { compareAndSetInTable } from './compare-and-set.js';
import { Feeds } from '../change-feed.js';
import { ChangePoster, MEMORY_CHANGE, watchMemory } from './changes.js';

/**
 * The memory engine: entries live in the process's shared arena (see shared-memory/), so every worker thread that
 * opens the same root and name reads and writes the same table. Nothing outlives the process.
 */

/** Used when the engine is built without the facade's resolved options. */
const DEFAULT_MAX_BYTES = '25%';
const DEFAULT_EVICT: EvictionPolicy = 'lru';
/**
 * The largest budget: the arena (at most ARENA_MAX_BYTES, for all memory stashes of the process) also holds every
 * stash's index and control block. A table that finds the arena full still evicts within its own segments.
 */
const MAX_BUDGET = Math.floor(ARENA_MAX_BYTES * 0.875);

const TIMESTAMP_BYTES = 8;
/** A key's counter: [u32 LE its newest version number][f64 LE that version's timestamp], kept while a version is left. */
const COUNTER_BYTES = 4 + TIMESTAMP_BYTES;

/**
 * Append mode on the table: versions are entries of their own kind, under the key followed by the version number,
 * each [f64 LE timestamp][blob]. The counter holds the newest version's timestamp too, since that version may be
 * evicted while the counter stays.
 */
class MemoryVersions implements SyncAppendStore {
  readonly #store: MemoryStore;
  constructor(store: MemoryStore) {
    this.#store = store;
  }

  append(key: Uint8Array, value: Uint8Array): number {
    const table = this.#store.table;
    return table.locked(() => this.#appendLocked(table, key, value));
  }

  appendMany(entries: Iterable<RawEntry>): void {
    const table = this.#store.table;
    const batch = materialized(entries);
    table.locked(() => {
      for (const [key, value] of batch) this.#appendLocked(table, key, value);
    });
  }

  *versions(key: Uint8Array): Iterable<RawVersion> {
    const table = this.#store.table;
    const count = versionCount(table, key);
    for (let version = 1; version <= count; version++) {
      const stored = table.get(versionKey(key, version), KIND_VERSION);
      // An evicted version leaves a gap; the others are still returned, oldest first.
      if (!stored) continue;
      const timestamp = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).readDoubleLE(0);
      yield { version, timestamp, value: stored.subarray(TIMESTAMP_BYTES) };
    }
  }

  /**
   * The version, then the counter (rewritten in place when there is one), then the value. A write that throws (the
   * budget is full and evict is 'none') undoes the ones before it, so a failed append leaves no version behind and
   * the next append gets its number.
   */
  #appendLocked(table: Table, key: Uint8Array, value: Uint8Array): number {
    const before = table.get(key, KIND_COUNTER);
    const previous = before ? Buffer.from(before.buffer, before.byteOffset, before.byteLength) : undefined;
    const version = (previous?.readUInt32LE(0) ?? 0) + 1;
    const versioned = versionKey(key, version);
    const counter = Buffer.allocUnsafe(COUNTER_BYTES);
    counter.writeUInt32LE(version, 0);
    counter.writeDoubleLE(versionTimestamp(previous?.readDoubleLE(4)), 4);
    if (mayExpire(value) && carriesExpiry(value)) table.expiring = true;
    table.put(versioned, KIND_VERSION, counter.subarray(4), value);
    try {
      if (!table.overwrite(key, KIND_COUNTER, counter)) table.put(key, KIND_COUNTER, counter);
      table.put(key, KIND_VALUE, value);
      this.#store.changes.log(table, MEMORY_CHANGE.set, key);
    } catch (error) {
      table.remove(versioned, KIND_VERSION);
      if (!previous || !table.overwrite(key, KIND_COUNTER, previous)) table.remove(key, KIND_COUNTER);
      throw error;
    }
    return version;
  }
}

/** The lock is never held while the caller's code runs, so a lazy iterable is drained before it is taken. */
const materialized = (entries: Iterable<RawEntry>): readonly RawEntry[] =>
  Array.isArray(entries) ? (entries as readonly RawEntry[]) : [...entries];

function versionCount(table: Table, key: Uint8Array): number {
  const counter = table.get(key, KIND_COUNTER, true);
  return counter ? Buffer.from(counter.buffer, counter.byteOffset, counter.byteLength).readUInt32LE(0) : 0;
}

/** Removes every version of `key` and its counter. Lock held. */
function removeVersionsLocked(table: Table, key: Uint8Array): void {
  const versions = versionCount(table, key);
  if (versions > 0) {
    table.remove(key, KIND_COUNTER);
    for (let version = 1; version <= versions; version++) table.remove(versionKey(key, version), KIND_VERSION);
  }
}

class MemoryStore implements SyncStore {
  readonly append: MemoryVersions = new MemoryVersions(this);
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #policy: number;
  /** The clock expiry is judged by. */
  readonly #now: () => number;
  #table: Table | undefined;
  /** Posts changes to the table's watchers (changes.ts). */
  readonly changes: ChangePoster;

  constructor(path: string, maxBytes: number, policy: number, now: () => number) {
    this.changes = new ChangePoster(path);
    this.#path = path;
    this.#maxBytes = maxBytes;
    this.#policy = policy;
    this.#now = now;
  }

  /** The shared table, found (or made) in the arena on first use. */
  get table(): Table {
    if (!this.#table) {
      const [a, b] = hashPath(this.#path);
      this.#table = new Table(processArena(), a, b, { maxBytes: this.#maxBytes, policy: this.#policy });
    }
    return this.#table;
  }

  // Reads test the header of what they copied out: a byte test first, so a value without expiry costs nothing more.
  get(key: Uint8Array) {
    const value = this.table.get(key, KIND_VALUE);
    return value !== undefined && mayExpire(value) && isExpired(value, this.#now) ? undefined : value;
  }

  getTransient(key: Uint8Array) {
    const value = this.table.get(key, KIND_VALUE, true);
    return value !== undefined && mayExpire(value) && isExpired(value, this.#now) ? undefined : value;
  }

  has(key: Uint8Array) {
    const table = this.table;
    return table.expiring ? this.getTransient(key) !== undefined : table.has(key, KIND_VALUE);
  }

  /** The table's count of keys; once an expiring entry was written, a count of the live ones by a scan. */
  size() {
    const table = this.table;
    if (!table.expiring) return table.size();
    let live = 0;
    for (const _ of this.entries()) live++;
    return live;
  }

  set(key: Uint8Array, value: Uint8Array) {
    const table = this.table;
    table.locked(() => {
      if (mayExpire(value) && carriesExpiry(value)) table.expiring = true;
      table.put(key, KIND_VALUE, value);
      this.changes.log(table, MEMORY_CHANGE.set, key);
    });
  }

  /** Removes the key and, in append mode, every version of it; true when it held a value that had not expired. */
  delete(key: Uint8Array): boolean {
    const table = this.table;
    return table.locked(() => {
      const old = table.expiring ? table.get(key, KIND_VALUE, true) : undefined;
      const existed = table.remove(key, KIND_VALUE);
      const removed = existed && !(old !== undefined && isExpired(old, this.#now));
      removeVersionsLocked(table, key);
      if (existed) this.changes.log(table, MEMORY_CHANGE.delete, key);
      return removed;
    });
  }

  clear() {
    const table = this.table;
    table.locked(() => {
      table.clear();
      table.expiring = false;
      this.changes.log(table, MEMORY_CHANGE.clear, undefined);
    });
  }

  *keys(): Iterable<Uint8Array> {
    if (this.table.expiring) {
      for (const [key] of this.entries()) yield key;
      return;
    }
    for (const [key] of this.table.entries(KIND_VALUE, false)) yield key;
  }

  *entries(): Iterable<RawEntry> {
    const now = this.#now();
    for (const entry of this.table.entries(KIND_VALUE, true)) if (!isExpiredAt(entry[1], now)) yield entry;
  }

  /**
   * Removes every entry expired by now, holding the table's lock (so none is set again meanwhile), and their versions;
   * when no entry that expires is left, the table reads as one without expiry again.
   */
  purgeExpired(): number {
    const table = this.table;
    if (!table.expiring) return 0;
    return table.locked(() => {
      const now = this.#now();
      const doomed: Uint8Array[] = [];
      let expiringLeft = false;
      for (const [key, value] of table.entries(KIND_VALUE, true)) {
        if (isExpiredAt(value, now)) doomed.push(key);
        else if (!expiringLeft && carriesExpiry(value)) expiringLeft = true;
      }
      for (const key of doomed) {
        table.remove(key, KIND_VALUE);
        removeVersionsLocked(table, key);
        this.changes.log(table, MEMORY_CHANGE.delete, key);
      }
      if (!expiringLeft) table.expiring = false;
      return doomed.length;
    });
  }
  getMany(keys: readonly Uint8Array[]) {
    return keys.map((key) => this.get(key));
  }

  /** One lock for the whole batch: other writers wait at most one batch (LocalEngine hands over 10,000 at a time). */
  setMany(entries: Iterable<RawEntry>) {
    const table = this.table;
    const batch = materialized(entries);
    table.locked(() => {
      for (const [key, value] of batch) {
        if (mayExpire(value) && carriesExpiry(value)) table.expiring = true;
        table.put(key, KIND_VALUE, value);
        this.changes.log(table, MEMORY_CHANGE.set, key);
      }
    });
  }

  stats(): Partial<EngineStats> {
    return this.table.stats();
  }

  compareAndSet(key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined): boolean {
    const table = this.table;
    return compareAndSetInTable(
      table,
      key,
      expected,
      next,
      this.#now,
      (value) => {
        if (mayExpire(value) && carriesExpiry(value)) table.expiring = true;
      },
      (type) => this.changes.log(table, MEMORY_CHANGE[type], key),
    );
  }
}

/**
 * What a tiered stash (src/tiers) needs of a memory engine beyond the Engine contract: the entries its budget evicts,
 * and a count of the stash objects, in every thread, that hold it as a tier.
 */
export interface MemoryTier {
  /** Called with a copy of each entry a write in this thread evicts; see Segments.evicted. */
  onEvict(listener: ((key: Uint8Array, value: Uint8Array) => void) | undefined): void;
  /** Counts one more holder; true when it is the only one (nobody held the tier before it). */
  hold(): boolean;
  /** Counts one holder less. */
  release(): void;
  /** The bytes the budget counts (segments) and the evictions so far, of every thread: read without the lock. */
  usage(): { readonly heldBytes: number; readonly evictions: number };
  /** `usage().heldBytes`, without making an object (on every write to a tier). */
  heldBytes(): number;
}

class MemoryEngine extends LocalEngine implements MemoryTier {
  readonly #store: MemoryStore;
  readonly #feeds = new Feeds();
  constructor(store: MemoryStore, path: string) {
    super(
      'memory',
      {
        persistent: false,
        sync: true,
        sharedAcrossProcesses: false,
        sharedAcrossThreads: true,
        nativeAppend: true,
        hidesExpired: true,
      },
      store,
    );
    this.#store = store;
    this.watch = (options) => watchMemory(path, this.#store.table, this.#feeds, options);
  }

  onEvict(listener: ((key: Uint8Array, value: Uint8Array) => void) | undefined): void {
    this.#store.table.evicted = listener;
  }

  hold(): boolean {
    return this.#store.table.addTierHolders(1) === 0;
  }

  release(): void {
    this.#store.table.addTierHolders(-1);
  }

  usage(): { readonly heldBytes: number; readonly evictions: number } {
    return this.#store.table.usage();
  }

  heldBytes(): number {
    return this.#store.table.heldBytes();
  }

  override async close(): Promise<void> {
    await this.#feeds.closeAll();
    this.#store.changes.close();
    await super.close();
  }

  override async stats(): Promise<Partial<EngineStats>> {
    return this.#store.stats();
  }
}

export function createMemoryEngine(context: EngineContext): LocalEngine & MemoryTier {
  const maxBytes = Math.min(MAX_BUDGET, parseByteSize(context.maxBytes ?? DEFAULT_MAX_BYTES));
  // Zero bytes, so that workers this thread starts before the stash is first opened share the arena (hand-over.ts).
  reserveArena();
  return new MemoryEngine(
    new MemoryStore(context.path, maxBytes, policyCode(context.evict ?? DEFAULT_EVICT), context.now),
    context.path,
  );
}
