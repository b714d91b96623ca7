import { Arena } from './arena.js';
import { MemoryBudgetError } from './errors.js';
import { initialMeta, markRead } from './eviction.js';
import { EMPTY, hashBytes, TOMBSTONE } from './hash.js';
import {
  CONTROL as C, CONTROL_BYTES, ENTRY_HEADER, entrySize, HASH, INITIAL_CAPACITY, KIND_VALUE, LARGEST_SEGMENT, META,
  MIN_SEGMENT, REF, SLOT_INTS, valueOffset,
} from './layout.js';
import { lock, unlock } from './lock.js';
import { Segments } from './segments.js';

const MISS = -1;
const RETRY = -2;
/** Values up to this size are read into a reusable buffer by `getTransient`. */
const SCRATCH_BYTES = 64 * 1024;
/** Views of the scratch buffer are kept for lengths up to this, so a transient read of a small value allocates nothing. */
const CACHED_VIEWS = 4096;

const copyOut = (bytes: Uint8Array, start: number, length: number): Uint8Array => {
  const out = Buffer.allocUnsafe(length);
  out.set(bytes.subarray(start, start + length));
  return out;
};

export interface TableSettings {
  readonly maxBytes: number;
  readonly policy: number;
}

/**
 * One stash's hash table in the shared arena, as seen by one thread. Writers take the table's lock; readers never
 * do: they read the slot's version (odd while a writer changes the slot or moves its entry), copy the bytes, and
 * accept the copy only if the version and the table's SEQ are unchanged, else retry (a seqlock per slot). So a
 * reader never sees a half-written entry, and waits only while the one slot it wants is being written.
 * The pattern relies on the version re-check being ordered after the plain reads of the copy: so it is on x86, where
 * V8 runs this; Atomics.load is sequentially consistent, and data copied before a changed version is thrown away.
 */
export class Table {
  readonly #arena: Arena;
  /** Int32 index of the control block. */
  readonly #c: number;
  readonly #segments: Segments;
  readonly #scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  readonly #scratchWords = new Int32Array(this.#scratch.buffer, this.#scratch.byteOffset, SCRATCH_BYTES / 4);
  readonly #views: (Buffer | undefined)[] = new Array(CACHED_VIEWS + 1).fill(undefined);
  #foundVersion = 0;
  #insertAt = 0;

  constructor(arena: Arena, a: number, b: number, settings: TableSettings) {
    this.#arena = arena;
    const offset = arena.table(a, b, CONTROL_BYTES, (control, allocate) => {
      const c = control / 4;
      const ints = arena.ints;
      ints[c + C.POLICY] = settings.policy;
      ints[c + C.HEAD] = -1;
      ints[c + C.MAX_SEGMENT] = Math.min(LARGEST_SEGMENT, Math.max(MIN_SEGMENT, Arena.blockSize(settings.maxBytes / 64)));
      arena.floats[control / 8 + C.F_MAX_BYTES] = settings.maxBytes;
      const index = allocate(INITIAL_CAPACITY * SLOT_INTS * 4);
      arena.bytes.fill(0, index, index + INITIAL_CAPACITY * SLOT_INTS * 4);
      ints[c + C.INDEX_REF] = index / 8;
      ints[c + C.CAPACITY] = INITIAL_CAPACITY;
    });
    this.#c = offset / 4;
    this.#segments = new Segments(arena, offset, (entry, hash) => this.#slotOf(entry, hash));
  }

  get policy(): number { return this.#arena.ints[this.#c + C.POLICY]!; }
  get maxBytes(): number { return this.#arena.floats[this.#c / 2 + C.F_MAX_BYTES]!; }

  // ---- readers (lock-free) ----

  /** A copy of the value, or undefined. `transient`: the copy may live in a buffer reused by the next transient read. */
  get(key: Uint8Array, kind: number, transient = false): Uint8Array | undefined {
    const arena = this.#arena;
    const c = this.#c;
    const hash = hashBytes(key, kind);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.#backOff(attempt);
      const ints = arena.ints;
      const bytes = arena.bytes;
      const seq = Atomics.load(ints, c + C.SEQ);
      if (seq & 1) continue;
      const slot = this.#probe(key, kind, hash);
      if (slot === RETRY) continue;
      if (slot === MISS) {
        if (Atomics.load(ints, c + C.SEQ) === seq) return undefined;
        continue;
      }
      const version = this.#foundVersion;
      const entry = ints[slot + REF]! * 8;
      const valueLength = ints[(entry >>> 2) + 1]!;
      const start = entry + valueOffset(key.length);
      if (!(valueLength >= 0 && start + valueLength <= bytes.length)) continue;
      let out: Uint8Array;
      if (transient && valueLength <= CACHED_VIEWS) {
        // Word by word into the scratch buffer (both aligned); the last word may carry up to 3 bytes of padding.
        out = this.#views[valueLength] ??= this.#scratch.subarray(0, valueLength);
        const words = this.#scratchWords;
        for (let i = 0, from = start >>> 2, count = (valueLength + 3) >>> 2; i < count; i++) words[i] = ints[from + i]!;
      } else {
        out = transient && valueLength <= SCRATCH_BYTES ? this.#scratch.subarray(0, valueLength) : Buffer.allocUnsafe(valueLength);
        out.set(bytes.subarray(start, start + valueLength));
      }
      if (Atomics.load(ints, slot) !== version || Atomics.load(ints, c + C.SEQ) !== seq) continue;
      markRead(ints, slot + META, ints[c + C.POLICY]!);
      return out;
    }
  }

  has(key: Uint8Array, kind: number): boolean {
    const hash = hashBytes(key, kind);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.#backOff(attempt);
      const ints = this.#arena.ints;
      const seq = Atomics.load(ints, this.#c + C.SEQ);
      if (seq & 1) continue;
      const slot = this.#probe(key, kind, hash);
      if (slot === RETRY) continue;
      if (Atomics.load(ints, this.#c + C.SEQ) !== seq) continue;
      if (slot === MISS) return false;
      if (Atomics.load(ints, slot) === this.#foundVersion) return true;
    }
  }

  size(): number { return Atomics.load(this.#arena.ints, this.#c + C.KEYS); }

  /**
   * Live entries of `kind` as [key, value] copies, slot by slot. Weakly consistent, like a concurrent map's iterator:
   * an entry written or deleted meanwhile by another thread may or may not be seen, and if the index is rebuilt while
   * iterating (a writer grew it) the rest is read from the new one, where an entry may come up again or be missed.
   */
  *entries(kind: number, withValues: boolean): Generator<[Uint8Array, Uint8Array]> {
    const c = this.#c;
    const empty = new Uint8Array(0);
    for (let i = 0; ; i++) {
      let found: [Uint8Array, Uint8Array] | undefined;
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) this.#backOff(attempt);
        const ints = this.#arena.ints;
        const bytes = this.#arena.bytes;
        const seq = Atomics.load(ints, c + C.SEQ);
        if (seq & 1) continue;
        if (i >= ints[c + C.CAPACITY]!) return;
        const slot = ints[c + C.INDEX_REF]! * 2 + i * SLOT_INTS;
        const version = Atomics.load(ints, slot);
        if (version & 1) continue;
        const hash = ints[slot + HASH];
        if (hash === EMPTY || hash === TOMBSTONE) {
          if (Atomics.load(ints, c + C.SEQ) !== seq) continue;
          break;
        }
        const entry = ints[slot + REF]! * 8;
        const keyLength = ints[entry >>> 2]!;
        const valueLength = ints[(entry >>> 2) + 1]!;
        const entryKind = ints[(entry >>> 2) + 2]! & 3;
        if (!(keyLength >= 0 && valueLength >= 0 && entry + valueOffset(keyLength) + valueLength <= bytes.length)) continue;
        const start = entry + ENTRY_HEADER;
        const key = entryKind === kind ? copyOut(bytes, start, keyLength) : empty;
        const value = entryKind === kind && withValues ? copyOut(bytes, entry + valueOffset(keyLength), valueLength) : empty;
        if (Atomics.load(ints, slot) !== version || Atomics.load(ints, c + C.SEQ) !== seq) continue;
        if (entryKind === kind) found = [key, value];
        break;
      }
      if (found) yield found;
    }
  }

  stats() {
    const ints = this.#arena.ints;
    const f = this.#c / 2;
    return {
      evictions: ints[this.#c + C.EVICTIONS]!,
      entries: ints[this.#c + C.KEYS]!,
      bytesUsed: this.#arena.floats[f + C.F_BYTES_USED]!,
      bytesReserved: this.#arena.floats[f + C.F_SEGMENT_BYTES]! + ints[this.#c + C.CAPACITY]! * SLOT_INTS * 4 + Arena.blockSize(CONTROL_BYTES),
    };
  }

  // ---- writers (under the table's lock) ----

  /** Runs `work` holding the table's lock; after taking it over from a thread that died holding it, repairs first. */
  locked<T>(work: () => T): T {
    const arena = this.#arena;
    const stale = lock(arena.ints, this.#c + C.LOCK);
    arena.refresh();
    if (stale) this.#repair();
    try {
      return work();
    } finally {
      unlock(arena.ints, this.#c + C.LOCK);
    }
  }

  /** Stores `value` (the concatenation of the parts) under key and kind. Lock held. */
  put(key: Uint8Array, kind: number, first: Uint8Array, second?: Uint8Array): void {
    const c = this.#c;
    const valueLength = first.length + (second ? second.length : 0);
    const size = entrySize(key.length, valueLength);
    const maxBytes = this.maxBytes;
    if (Arena.blockSize(size) > maxBytes) {
      throw new MemoryBudgetError(`an entry of ${size} bytes does not fit the memory stash's budget of ${maxBytes} bytes (maxBytes)`, size, maxBytes);
    }
    this.#reserveSlot();
    const hash = hashBytes(key, kind);
    const entry = this.#segments.allocate(size, maxBytes, this.policy);
    const row = this.#segments.lastRow;
    // Fetched after the allocations above, which may have grown the arena.
    const ints = this.#arena.ints;
    const header = entry >>> 2;
    ints[header] = key.length;
    ints[header + 1] = valueLength;
    ints[header + 2] = kind | (row << 2);
    ints[header + 3] = hash;
    const bytes = this.#arena.bytes;
    bytes.set(key, entry + ENTRY_HEADER);
    const start = entry + valueOffset(key.length);
    bytes.set(first, start);
    if (second) bytes.set(second, start + first.length);
    this.#arena.floats[c / 2 + C.F_BYTES_USED] += size;

    const slot = this.#find(key, kind, hash);
    if (slot !== MISS) {
      const old = ints[slot + REF]! * 8;
      Atomics.add(ints, slot, 1);
      ints[slot + REF] = entry / 8;
      ints[slot + META] = initialMeta(this.policy);
      Atomics.add(ints, slot, 1);
      this.#segments.release(old);
      return;
    }
    const at = this.#insertAt;
    if (ints[at + HASH] === EMPTY) ints[c + C.OCCUPIED]++;
    Atomics.add(ints, at, 1);
    ints[at + HASH] = hash;
    ints[at + REF] = entry / 8;
    ints[at + META] = initialMeta(this.policy);
    Atomics.add(ints, at, 1);
    ints[c + C.ENTRIES]++;
    if (kind === KIND_VALUE) Atomics.add(ints, c + C.KEYS, 1);
  }

  /** Removes key and kind; true when it was there. Lock held. */
  remove(key: Uint8Array, kind: number): boolean {
    const slot = this.#find(key, kind, hashBytes(key, kind));
    if (slot === MISS) return false;
    const ints = this.#arena.ints;
    const entry = ints[slot + REF]! * 8;
    Atomics.add(ints, slot, 1);
    ints[slot + HASH] = TOMBSTONE;
    ints[slot + REF] = 0;
    Atomics.add(ints, slot, 1);
    ints[this.#c + C.ENTRIES]--;
    if (kind === KIND_VALUE) Atomics.sub(ints, this.#c + C.KEYS, 1);
    this.#segments.release(entry);
    return true;
  }

  /** Empties the table and gives its segments back to the arena. Lock held. */
  clear(): void {
    const c = this.#c;
    Atomics.add(this.#arena.ints, c + C.SEQ, 1);
    this.#segments.releaseAll();
    this.#replaceIndex(INITIAL_CAPACITY, false);
    const ints = this.#arena.ints;
    ints[c + C.OCCUPIED] = 0;
    ints[c + C.ENTRIES] = 0;
    Atomics.store(ints, c + C.KEYS, 0);
    this.#arena.floats[c / 2 + C.F_BYTES_USED] = 0;
    Atomics.add(ints, c + C.SEQ, 1);
  }

  // ---- the index ----

  /** Probes for key and kind without the lock: the slot's int index (its version in #foundVersion), MISS or RETRY. */
  #probe(key: Uint8Array, kind: number, hash: number): number {
    const ints = this.#arena.ints;
    const index = ints[this.#c + C.INDEX_REF]! * 2;
    const mask = ints[this.#c + C.CAPACITY]! - 1;
    if (!(mask >= 0 && index + (mask + 1) * SLOT_INTS <= ints.length)) return RETRY;
    for (let n = 0, i = hash & mask; n <= mask; n++, i = (i + 1) & mask) {
      const slot = index + i * SLOT_INTS;
      const version = Atomics.load(ints, slot);
      if (version & 1) return RETRY;
      const slotHash = ints[slot + HASH];
      if (slotHash === EMPTY) return MISS;
      if (slotHash === hash) {
        const entry = ints[slot + REF]! * 8;
        // A ref past the end of this thread's view: the arena grew in another thread (or the slot is mid-change).
        if (entry + ENTRY_HEADER + key.length > ints.length * 4) return RETRY;
        if (this.#matches(entry, key, kind)) {
          this.#foundVersion = version;
          return slot;
        }
        if (Atomics.load(ints, slot) !== version) return RETRY;
      }
    }
    return MISS;
  }

  #matches(entry: number, key: Uint8Array, kind: number): boolean {
    const ints = this.#arena.ints;
    const bytes = this.#arena.bytes;
    const header = entry >>> 2;
    const length = key.length;
    if (ints[header] !== length || (ints[header + 2]! & 3) !== kind) return false;
    const start = entry + ENTRY_HEADER;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== key[i]) return false;
    return true;
  }

  /** The live slot of key and kind, or MISS with the slot to insert at in #insertAt. Lock held. */
  #find(key: Uint8Array, kind: number, hash: number): number {
    const ints = this.#arena.ints;
    const index = ints[this.#c + C.INDEX_REF]! * 2;
    const mask = ints[this.#c + C.CAPACITY]! - 1;
    let insertAt = -1;
    for (let n = 0, i = hash & mask; n <= mask; n++, i = (i + 1) & mask) {
      const slot = index + i * SLOT_INTS;
      const slotHash = ints[slot + HASH];
      if (slotHash === EMPTY) {
        this.#insertAt = insertAt >= 0 ? insertAt : slot;
        return MISS;
      }
      if (slotHash === TOMBSTONE) {
        if (insertAt < 0) insertAt = slot;
      } else if (slotHash === hash && this.#matches(ints[slot + REF]! * 8, key, kind)) {
        return slot;
      }
    }
    this.#insertAt = insertAt;
    return MISS;
  }

  /** The slot pointing at the entry at byte offset `entry` (found by its hash), or -1 when none does: it is dead. */
  #slotOf(entry: number, hash: number): number {
    const ints = this.#arena.ints;
    const index = ints[this.#c + C.INDEX_REF]! * 2;
    const mask = ints[this.#c + C.CAPACITY]! - 1;
    const ref = entry / 8;
    for (let n = 0, i = hash & mask; n <= mask; n++, i = (i + 1) & mask) {
      const slot = index + i * SLOT_INTS;
      const slotHash = ints[slot + HASH];
      if (slotHash === EMPTY) return -1;
      if (slotHash === hash && ints[slot + REF] === ref) return slot;
    }
    return -1;
  }

  /** Makes sure one more slot can be taken: rebuilds the index (bigger, or just without tombstones) at 3/4 full. */
  #reserveSlot(): void {
    const ints = this.#arena.ints;
    const c = this.#c;
    const capacity = ints[c + C.CAPACITY]!;
    if ((ints[c + C.OCCUPIED]! + 1) * 4 <= capacity * 3) return;
    const grow = (ints[c + C.ENTRIES]! + 1) * 2 > capacity;
    Atomics.add(ints, c + C.SEQ, 1);
    this.#replaceIndex(grow ? capacity * 2 : capacity, true);
    Atomics.add(this.#arena.ints, c + C.SEQ, 1);
  }

  /** A new zeroed index of `capacity` slots, with the live slots moved in when `rehash`. SEQ is odd meanwhile. */
  #replaceIndex(capacity: number, rehash: boolean): void {
    const c = this.#c;
    const arena = this.#arena;
    const oldIndex = arena.ints[c + C.INDEX_REF]! * 8;
    const oldCapacity = arena.ints[c + C.CAPACITY]!;
    const index = arena.allocate(capacity * SLOT_INTS * 4);
    const ints = arena.ints;
    arena.bytes.fill(0, index, index + capacity * SLOT_INTS * 4);
    const mask = capacity - 1;
    let occupied = 0;
    if (rehash) {
      for (let from = oldIndex / 4, end = from + oldCapacity * SLOT_INTS; from < end; from += SLOT_INTS) {
        const hash = ints[from + HASH]!;
        if (hash === EMPTY || hash === TOMBSTONE) continue;
        let i = hash & mask;
        while (ints[index / 4 + i * SLOT_INTS + HASH] !== EMPTY) i = (i + 1) & mask;
        const to = index / 4 + i * SLOT_INTS;
        ints[to + HASH] = hash;
        ints[to + REF] = ints[from + REF]!;
        ints[to + META] = ints[from + META]!;
        occupied++;
      }
    }
    ints[c + C.INDEX_REF] = index / 8;
    ints[c + C.CAPACITY] = capacity;
    ints[c + C.OCCUPIED] = occupied;
    arena.free(oldIndex, oldCapacity * SLOT_INTS * 4);
  }

  /**
   * After taking the lock over from a thread that died holding it: a slot left odd is dropped (its write is lost),
   * and an index rebuild or clear left half done (SEQ odd) empties the table, the only state known to be whole.
   */
  #repair(): void {
    const ints = this.#arena.ints;
    const c = this.#c;
    if (Atomics.load(ints, c + C.SEQ) & 1) {
      Atomics.add(ints, c + C.SEQ, 1);
      this.clear();
      return;
    }
    const index = ints[c + C.INDEX_REF]! * 2;
    for (let slot = index, end = index + ints[c + C.CAPACITY]! * SLOT_INTS; slot < end; slot += SLOT_INTS) {
      if (Atomics.load(ints, slot) & 1) {
        ints[slot + HASH] = TOMBSTONE;
        ints[slot + REF] = 0;
        Atomics.add(ints, slot, 1);
      }
    }
  }

  /**
   * Between a reader's attempts: spin briefly (a writer holds a slot for well under a microsecond), then sleep in
   * short steps; now and then take the lock, which repairs the table if a dead thread left a slot half written.
   */
  #backOff(attempt: number): void {
    this.#arena.refresh();
    if (attempt < 32) return;
    if (attempt % 4096 === 0) this.locked(() => {});
    const ints = this.#arena.ints;
    Atomics.wait(ints, this.#c + C.SEQ, Atomics.load(ints, this.#c + C.SEQ), 0.05);
  }
}
