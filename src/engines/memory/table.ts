import { Arena } from './arena.js';
import { MemoryBudgetError } from './errors.js';
import { initialMeta, markRead } from './eviction.js';
import { fence } from './fence.js';
import { copyOut, tableEntries } from './entries.js';
import { EMPTY, hashBytes, TOMBSTONE } from './hash.js';
import { rehash, retireIndexBlock, takeIndexBlock } from './index-blocks.js';
import {
  CONTROL as C,
  CONTROL_BYTES,
  ENTRY_HEADER,
  entrySize,
  HASH,
  INITIAL_CAPACITY,
  KIND_VALUE,
  KIND_VERSION,
  LARGEST_SEGMENT,
  META,
  MIN_SEGMENT,
  REF,
  SLOT_INTS,
  valueOffset,
} from './layout.js';
import { beat, SharedLock } from './lock.js';
import { Segments } from './segments.js';
import { versionKey } from './version-key.js';

const MISS = -1;
const RETRY = -2;
/** Values up to this size are read into a reusable buffer by `getTransient`. */
const SCRATCH_BYTES = 64 * 1024;
/** Views of the scratch buffer are kept for lengths up to this, so a transient read of a small value allocates nothing. */
const CACHED_VIEWS = 4096;

export interface TableSettings {
  readonly maxBytes: number;
  readonly policy: number;
  /** How long a hold of the table's lock may show no progress before a waiter takes it over (see lock.ts). */
  readonly staleLockMs?: number;
}

function warnLockLost(): void {
  process.emitWarning(
    "a memory stash's lock was taken over while this thread held it (it showed no progress for too long); the write it was doing may be lost",
    { code: 'HASHSTASH_MEMORY_LOCK_LOST' },
  );
}

/**
 * One stash's hash table in the shared arena, as seen by one thread. Writers take the table's lock; readers never
 * do: they read the slot's version (odd while a writer changes the slot or moves its entry), copy the bytes, and
 * accept the copy only if the version and the table's SEQ are unchanged, else retry (a seqlock per slot). So a
 * reader never sees a half-written entry, and waits only while the one slot it wants is being written.
 * The plain reads of the copy must complete before the re-check, and a writer's odd version must be visible before
 * its plain writes: a fence (fence.ts) sits between them on both sides, as Atomics.load / store alone do not order
 * plain accesses that way on arm64.
 */
export class Table {
  readonly #arena: Arena;
  /** Int32 index of the control block. */
  readonly #c: number;
  readonly #lock: SharedLock;
  readonly #segments: Segments;
  readonly #scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  readonly #scratchWords = new Int32Array(this.#scratch.buffer, this.#scratch.byteOffset, SCRATCH_BYTES / 4);
  readonly #views: (Buffer | undefined)[] = new Array<Buffer | undefined>(CACHED_VIEWS + 1).fill(undefined);
  #foundVersion = 0;
  #insertAt = 0;

  constructor(arena: Arena, a: number, b: number, settings: TableSettings) {
    this.#arena = arena;
    const offset = arena.table(a, b, CONTROL_BYTES, (control, allocate) => {
      const c = control / 4;
      const ints = arena.ints;
      ints[c + C.POLICY] = settings.policy;
      ints[c + C.HEAD] = -1;
      ints[c + C.MAX_SEGMENT] = Math.min(
        LARGEST_SEGMENT,
        Math.max(MIN_SEGMENT, Arena.blockSize(settings.maxBytes / 64)),
      );
      arena.floats[control / 8 + C.F_MAX_BYTES] = settings.maxBytes;
      const index = allocate(INITIAL_CAPACITY * SLOT_INTS * 4);
      arena.bytes.fill(0, index, index + INITIAL_CAPACITY * SLOT_INTS * 4);
      ints[c + C.INDEX_REF] = index / 8;
      ints[c + C.CAPACITY] = INITIAL_CAPACITY;
    });
    this.#c = offset / 4;
    this.#lock = new SharedLock(this.#c + C.LOCK, settings.staleLockMs);
    this.#segments = new Segments(
      arena,
      offset,
      (entry, hash) => this.#slotOf(entry, hash),
      (entry) => this.#counterInUse(entry),
    );
  }

  /** The arena's Int32 view (it changes when the arena grows) and the index of a control field in it (changes.ts). */
  control(field: number): [ints: Int32Array, index: number] {
    return [this.#arena.ints, this.#c + field];
  }

  /** Atomics.load of a control field, without allocating (on every write, changes.ts). */
  readControl(field: number): number {
    return Atomics.load(this.#arena.ints, this.#c + field);
  }

  get policy(): number {
    return this.#arena.ints[this.#c + C.POLICY];
  }
  get maxBytes(): number {
    return this.#arena.floats[this.#c / 2 + C.F_MAX_BYTES];
  }

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
        fence();
        if (Atomics.load(ints, c + C.SEQ) === seq) return undefined;
        continue;
      }
      const version = this.#foundVersion;
      const entry = ints[slot + REF] * 8;
      const valueLength = ints[(entry >>> 2) + 1];
      const start = entry + valueOffset(key.length);
      if (!(valueLength >= 0 && start + valueLength <= bytes.length)) continue;
      let out: Uint8Array;
      if (transient && valueLength <= CACHED_VIEWS) {
        // Word by word into the scratch buffer (both aligned); the last word may carry up to 3 bytes of padding.
        out = this.#views[valueLength] ??= this.#scratch.subarray(0, valueLength);
        const words = this.#scratchWords;
        for (let i = 0, from = start >>> 2, count = (valueLength + 3) >>> 2; i < count; i++) words[i] = ints[from + i]!;
      } else {
        out =
          transient && valueLength <= SCRATCH_BYTES
            ? this.#scratch.subarray(0, valueLength)
            : Buffer.allocUnsafe(valueLength);
        out.set(bytes.subarray(start, start + valueLength));
      }
      fence();
      if (Atomics.load(ints, slot) !== version || Atomics.load(ints, c + C.SEQ) !== seq) continue;
      markRead(ints, slot + META, ints[c + C.POLICY]);
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
      fence();
      if (Atomics.load(ints, this.#c + C.SEQ) !== seq) continue;
      if (slot === MISS) return false;
      if (Atomics.load(ints, slot) === this.#foundVersion) return true;
    }
  }

  size(): number {
    return Atomics.load(this.#arena.ints, this.#c + C.KEYS);
  }

  /** Whether an entry that expires has been written (see CONTROL.EXPIRING). */
  get expiring(): boolean {
    return Atomics.load(this.#arena.ints, this.#c + C.EXPIRING) !== 0;
  }

  /** Sets or clears the flag {@link expiring} reads. Lock held. */
  set expiring(value: boolean) {
    Atomics.store(this.#arena.ints, this.#c + C.EXPIRING, value ? 1 : 0);
  }

  /** Live entries of `kind` as [key, value] copies; see tableEntries. */
  entries(kind: number, withValues: boolean): Generator<[Uint8Array, Uint8Array]> {
    return tableEntries(this.#arena, this.#c, kind, withValues, (attempt) => this.#backOff(attempt));
  }

  /** See Segments.evicted. */
  set evicted(listener: ((key: Uint8Array, value: Uint8Array) => void) | undefined) {
    this.#segments.evicted = listener;
  }

  /** The bytes of the table's segments (what its budget counts) and its evictions so far. */
  usage(): { readonly heldBytes: number; readonly evictions: number } {
    return { heldBytes: this.heldBytes(), evictions: this.#arena.ints[this.#c + C.EVICTIONS] };
  }

  heldBytes(): number {
    return this.#arena.floats[this.#c / 2 + C.F_SEGMENT_BYTES];
  }

  /** Adds `delta` to the table's count of tier holders (see CONTROL.TIER_HOLDERS); returns the count before. */
  addTierHolders(delta: number): number {
    return Atomics.add(this.#arena.ints, this.#c + C.TIER_HOLDERS, delta);
  }

  stats() {
    const ints = this.#arena.ints;
    const f = this.#c / 2;
    return {
      evictions: ints[this.#c + C.EVICTIONS],
      entries: ints[this.#c + C.KEYS],
      bytesUsed: this.#arena.floats[f + C.F_BYTES_USED],
      bytesReserved:
        this.#arena.floats[f + C.F_SEGMENT_BYTES] +
        ints[this.#c + C.CAPACITY] * SLOT_INTS * 4 +
        Arena.blockSize(CONTROL_BYTES),
    };
  }

  // ---- writers (under the table's lock) ----

  /**
   * Runs `work` holding the table's lock. Repairs first after taking the lock over from a stalled (dead) holder, or
   * when SEQ is odd, which a writer that holds no lock can only find after such a holder or a failed repair.
   */
  locked<T>(work: () => T): T {
    const arena = this.#arena;
    const stale = this.#lock.acquire(arena.ints);
    try {
      arena.refresh();
      if (stale || Atomics.load(arena.ints, this.#c + C.SEQ) & 1) this.#repair(stale);
      return work();
    } finally {
      if (!this.#lock.release(arena.ints)) warnLockLost();
    }
  }

  /** Stores `value` (the concatenation of the parts) under key and kind. Lock held. */
  put(key: Uint8Array, kind: number, first: Uint8Array, second?: Uint8Array): void {
    const c = this.#c;
    const valueLength = first.length + (second ? second.length : 0);
    const size = entrySize(key.length, valueLength);
    const maxBytes = this.maxBytes;
    if (Arena.blockSize(size) > maxBytes) {
      throw new MemoryBudgetError(
        `an entry of ${size} bytes does not fit the memory stash's budget of ${maxBytes} bytes (maxBytes)`,
        size,
        maxBytes,
      );
    }
    beat(this.#arena.ints, c + C.LOCK);
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
      const old = ints[slot + REF] * 8;
      Atomics.add(ints, slot, 1);
      fence();
      ints[slot + REF] = entry / 8;
      ints[slot + META] = initialMeta(this.policy);
      Atomics.add(ints, slot, 1);
      this.#segments.release(old);
      return;
    }
    const at = this.#insertAt;
    if (ints[at + HASH] === EMPTY) ints[c + C.OCCUPIED]++;
    Atomics.add(ints, at, 1);
    fence();
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
    const entry = ints[slot + REF] * 8;
    Atomics.add(ints, slot, 1);
    fence();
    ints[slot + HASH] = TOMBSTONE;
    ints[slot + REF] = 0;
    Atomics.add(ints, slot, 1);
    ints[this.#c + C.ENTRIES]--;
    if (kind === KIND_VALUE) Atomics.sub(ints, this.#c + C.KEYS, 1);
    this.#segments.release(entry);
    return true;
  }

  /**
   * Rewrites the value of key and kind in place, when it is there with a value of the same length: no allocation, so
   * it cannot fail. False when it did not. Lock held.
   */
  overwrite(key: Uint8Array, kind: number, value: Uint8Array): boolean {
    const slot = this.#find(key, kind, hashBytes(key, kind));
    if (slot === MISS) return false;
    const ints = this.#arena.ints;
    const entry = ints[slot + REF] * 8;
    if (ints[(entry >>> 2) + 1] !== value.length) return false;
    Atomics.add(ints, slot, 1);
    fence();
    this.#arena.bytes.set(value, entry + valueOffset(key.length));
    Atomics.add(ints, slot, 1);
    return true;
  }

  /** Empties the table and gives its segments back to the arena. Lock held; SEQ may be odd (a repair). */
  clear(): void {
    const c = this.#c;
    const arena = this.#arena;
    // The new index first: when there is no memory for it, this throws with nothing changed.
    const index = takeIndexBlock(arena, c, INITIAL_CAPACITY);
    let ints = arena.ints;
    const oldIndex = ints[c + C.INDEX_REF] * 8;
    const oldCapacity = ints[c + C.CAPACITY];
    if (!(Atomics.load(ints, c + C.SEQ) & 1)) Atomics.add(ints, c + C.SEQ, 1);
    fence();
    this.#segments.releaseAll();
    ints = arena.ints;
    ints[c + C.INDEX_REF] = index / 8;
    ints[c + C.CAPACITY] = INITIAL_CAPACITY;
    ints[c + C.OCCUPIED] = 0;
    ints[c + C.ENTRIES] = 0;
    Atomics.store(ints, c + C.KEYS, 0);
    arena.floats[c / 2 + C.F_BYTES_USED] = 0;
    Atomics.add(ints, c + C.SEQ, 1);
    retireIndexBlock(arena, c, oldIndex, oldCapacity);
  }

  // ---- the index ----

  /** Probes for key and kind without the lock: the slot's int index (its version in #foundVersion), MISS or RETRY. */
  #probe(key: Uint8Array, kind: number, hash: number): number {
    const ints = this.#arena.ints;
    const index = ints[this.#c + C.INDEX_REF] * 2;
    const mask = ints[this.#c + C.CAPACITY] - 1;
    if (!(mask >= 0 && index + (mask + 1) * SLOT_INTS <= ints.length)) return RETRY;
    for (let n = 0, i = hash & mask; n <= mask; n++, i = (i + 1) & mask) {
      const slot = index + i * SLOT_INTS;
      const version = Atomics.load(ints, slot);
      if (version & 1) return RETRY;
      const slotHash = ints[slot + HASH];
      if (slotHash === EMPTY) return MISS;
      if (slotHash === hash) {
        const entry = ints[slot + REF] * 8;
        // A ref past the end of this thread's view: the arena grew in another thread (or the slot is mid-change).
        if (entry + ENTRY_HEADER + key.length > ints.length * 4) return RETRY;
        if (this.#matches(entry, key, kind)) {
          this.#foundVersion = version;
          return slot;
        }
        fence();
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
    if (ints[header] !== length || (ints[header + 2] & 3) !== kind) return false;
    const start = entry + ENTRY_HEADER;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== key[i]) return false;
    return true;
  }

  /** The live slot of key and kind, or MISS with the slot to insert at in #insertAt. Lock held. */
  #find(key: Uint8Array, kind: number, hash: number): number {
    const ints = this.#arena.ints;
    const index = ints[this.#c + C.INDEX_REF] * 2;
    const mask = ints[this.#c + C.CAPACITY] - 1;
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
      } else if (slotHash === hash && this.#matches(ints[slot + REF] * 8, key, kind)) {
        return slot;
      }
    }
    this.#insertAt = insertAt;
    return MISS;
  }

  /** The slot pointing at the entry at byte offset `entry` (found by its hash), or -1 when none does: it is dead. */
  #slotOf(entry: number, hash: number): number {
    const ints = this.#arena.ints;
    const index = ints[this.#c + C.INDEX_REF] * 2;
    const mask = ints[this.#c + C.CAPACITY] - 1;
    const ref = entry / 8;
    for (let n = 0, i = hash & mask; n <= mask; n++, i = (i + 1) & mask) {
      const slot = index + i * SLOT_INTS;
      const slotHash = ints[slot + HASH];
      if (slotHash === EMPTY) return -1;
      if (slotHash === hash && ints[slot + REF] === ref) return slot;
    }
    return -1;
  }

  /**
   * Whether the version counter at byte offset `entry` still counts something: its key has a value or a version
   * left. One that does not may be evicted; the key's next append then starts again at 1. Lock held.
   */
  #counterInUse(entry: number): boolean {
    const ints = this.#arena.ints;
    const keyLength = ints[entry >>> 2];
    const key = copyOut(this.#arena.bytes, entry + ENTRY_HEADER, keyLength);
    if (this.#find(key, KIND_VALUE, hashBytes(key, KIND_VALUE)) !== MISS) return true;
    // Newest first: versions are evicted roughly oldest first, so a live one is usually found at once.
    for (let version = ints[(entry + valueOffset(keyLength)) >>> 2] >>> 0; version >= 1; version--) {
      const versioned = versionKey(key, version);
      if (this.#find(versioned, KIND_VERSION, hashBytes(versioned, KIND_VERSION)) !== MISS) return true;
    }
    return false;
  }

  /** Makes sure one more slot can be taken: rebuilds the index (bigger, or just without tombstones) at 3/4 full. */
  #reserveSlot(): void {
    const ints = this.#arena.ints;
    const c = this.#c;
    const capacity = ints[c + C.CAPACITY];
    if ((ints[c + C.OCCUPIED] + 1) * 4 <= capacity * 3) return;
    const grow = (ints[c + C.ENTRIES] + 1) * 2 > capacity;
    this.#replaceIndex(grow ? capacity * 2 : capacity);
  }

  /**
   * Moves the live slots into a new index of `capacity` slots, SEQ odd meanwhile. The new block is taken before SEQ
   * changes, so when there is no memory for it this throws with nothing changed.
   */
  #replaceIndex(capacity: number): void {
    const c = this.#c;
    const arena = this.#arena;
    const index = takeIndexBlock(arena, c, capacity);
    const ints = arena.ints;
    const oldIndex = ints[c + C.INDEX_REF] * 8;
    const oldCapacity = ints[c + C.CAPACITY];
    Atomics.add(ints, c + C.SEQ, 1);
    fence();
    ints[c + C.OCCUPIED] = rehash(arena, c, oldIndex, oldCapacity, index, capacity);
    ints[c + C.INDEX_REF] = index / 8;
    ints[c + C.CAPACITY] = capacity;
    Atomics.add(ints, c + C.SEQ, 1);
    retireIndexBlock(arena, c, oldIndex, oldCapacity);
  }

  /**
   * After taking the lock over from a thread that stopped holding it: a slot left odd is dropped (its write is lost),
   * and an index rebuild or clear left half done (SEQ odd) empties the table, the only state known to be whole.
   */
  #repair(stale: boolean): void {
    const ints = this.#arena.ints;
    const c = this.#c;
    if (Atomics.load(ints, c + C.SEQ) & 1) {
      this.clear();
      return;
    }
    if (!stale) return;
    const index = ints[c + C.INDEX_REF] * 2;
    for (let slot = index, end = index + ints[c + C.CAPACITY] * SLOT_INTS; slot < end; slot += SLOT_INTS) {
      if (((slot - index) & 0x3ffff) === 0) beat(ints, c + C.LOCK);
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
