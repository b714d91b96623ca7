import { Arena } from './arena.js';
import { MemoryBudgetError } from './errors.js';
import { NONE, survives } from './eviction.js';
import {
  CONTROL as C,
  ENTRY_HEADER,
  entrySize,
  HASH,
  KIND_COUNTER,
  KIND_VALUE,
  META,
  MIN_SEGMENT,
  REF,
  SEG_AGE,
  SEG_DEAD,
  SEG_REF,
  SEG_SIZE,
  SEG_USED,
  valueOffset,
} from './layout.js';
import { fence } from './fence.js';
import { TOMBSTONE } from './hash.js';
import { beat } from './lock.js';

/**
 * A table's entry storage: segments (arena blocks) filled front to back, new entries always going to the head
 * segment. A table grows by adding segments, each up to a quarter of what it already holds (from 64 KB up to its
 * largest size), never by copying what it has. Overwritten and deleted entries stay where they are as dead bytes.
 * When the budget (maxBytes, counted in segment bytes) leaves no room for another segment, the oldest segment is
 * compacted in place: dead entries are dropped, live ones kept or evicted as the policy says, the kept ones slid to
 * the front, and the segment becomes the head. Each further pass over every segment within one write decays LFU
 * counts twice as fast, and after ten such passes victims are emptied whole; a pass after that which frees nothing
 * ends the write with MemoryBudgetError, so a write never loops for long. A version counter (append mode) is kept
 * while its key has a value or a version left, and evicted with the last of them. When the arena (shared by all
 * memory stashes) has no block for a new segment, the table makes room in its own segments as if its budget were full.
 * All of it runs under the table's lock.
 */
const EVICT_ALL_AFTER_CYCLES = 10;

export class Segments {
  readonly #arena: Arena;
  readonly #c: number;
  readonly #slotOf: (entry: number, hash: number) => number;
  readonly #counterInUse: (entry: number) => boolean;
  /** The row the last allocated entry went to. */
  lastRow = -1;
  /**
   * Called with a copy of each value entry that compaction evicts in this thread, lock held: a tier above another
   * offloads them there (src/tiers). It must not throw.
   */
  evicted: ((key: Uint8Array, value: Uint8Array) => void) | undefined;
  /** Set when the arena had no block for a new segment during the current `allocate`. */
  #arenaFull = false;

  constructor(
    arena: Arena,
    controlOffset: number,
    slotOf: (entry: number, hash: number) => number,
    counterInUse: (entry: number) => boolean,
  ) {
    this.#arena = arena;
    this.#c = controlOffset / 4;
    this.#slotOf = slotOf;
    this.#counterInUse = counterInUse;
  }

  #row(row: number): number {
    return this.#c + C.ROW_BASE + row * C.ROW_INTS;
  }

  /** Byte offset of `size` free bytes for a new entry, making room by compaction and eviction when needed. */
  allocate(size: number, maxBytes: number, policy: number): number {
    const c = this.#c;
    this.#arenaFull = false;
    /** Compactions in a row that freed nothing. */
    let fruitless = 0;
    for (let round = 0; ; round++) {
      // Each round, as adding a segment may have grown the arena.
      const ints = this.#arena.ints;
      beat(ints, c + C.LOCK);
      const head = ints[c + C.HEAD];
      if (head >= 0) {
        const r = this.#row(head);
        const used = ints[r + SEG_USED];
        if (used + size <= ints[r + SEG_SIZE]) {
          ints[r + SEG_USED] = used + size;
          this.lastRow = head;
          return ints[r + SEG_REF] * 8 + used;
        }
      }
      const segmentBytes = this.#nextSegmentSize(size, maxBytes);
      if (!this.#arenaFull && this.#arena.floats[c / 2 + C.F_SEGMENT_BYTES] + segmentBytes <= maxBytes) {
        const row = this.#addRow(segmentBytes);
        if (row >= 0) {
          ints[c + C.HEAD] = row;
          continue;
        }
      }
      const victim = policy === NONE ? this.#mostDead() : this.#oldest();
      if (victim < 0) throw this.#full(size, maxBytes, policy === NONE ? "and evict is 'none'" : '');
      const rows = Math.max(1, ints[c + C.ROWS]);
      const cycles = Math.floor(round / rows);
      const freed = this.#compact(victim, policy, cycles);
      const r = this.#row(victim);
      if (ints[r + SEG_USED] === 0 && ints[r + SEG_SIZE] < size) {
        this.#removeRow(victim);
        fruitless = 0;
      } else {
        ints[c + C.HEAD] = victim;
        fruitless = freed > 0 ? 0 : fruitless + 1;
        if (fruitless > rows && cycles >= EVICT_ALL_AFTER_CYCLES)
          throw this.#full(size, maxBytes, 'and nothing more can be evicted');
      }
    }
  }

  #full(size: number, maxBytes: number, why: string): MemoryBudgetError {
    const where = this.#arenaFull
      ? "the process's shared memory arena (shared by all memory stashes, 4 GB at most) has no room left"
      : `they do not fit its budget of ${maxBytes} bytes (maxBytes)`;
    return new MemoryBudgetError(
      `the memory stash is full: ${size} more bytes, ${where}${why ? ` ${why}` : ''}`,
      size,
      maxBytes,
    );
  }

  /** Marks the entry at byte offset `entry` dead: it was overwritten or deleted. */
  release(entry: number): void {
    const ints = this.#arena.ints;
    const header = entry >>> 2;
    const size = entrySize(ints[header], ints[header + 1]);
    ints[this.#row(ints[header + 2] >>> 2) + SEG_DEAD] += size;
    this.#arena.floats[this.#c / 2 + C.F_BYTES_USED] -= size;
  }

  /** Gives every segment back to the arena. */
  releaseAll(): void {
    const ints = this.#arena.ints;
    const c = this.#c;
    for (let row = 0, rows = ints[c + C.ROWS]; row < rows; row++) {
      const r = this.#row(row);
      if (ints[r + SEG_REF] !== 0) this.#arena.free(ints[r + SEG_REF] * 8, ints[r + SEG_SIZE]);
      ints.fill(0, r, r + C.ROW_INTS);
    }
    ints[c + C.ROWS] = 0;
    ints[c + C.HEAD] = -1;
    this.#arena.floats[c / 2 + C.F_SEGMENT_BYTES] = 0;
  }

  #nextSegmentSize(size: number, maxBytes: number): number {
    const ints = this.#arena.ints;
    const held = this.#arena.floats[this.#c / 2 + C.F_SEGMENT_BYTES];
    const largestInBudget = 2 ** Math.floor(Math.log2(maxBytes));
    const preferred = Math.min(
      ints[this.#c + C.MAX_SEGMENT],
      Math.max(MIN_SEGMENT, Arena.blockSize(held / 4)),
      largestInBudget,
    );
    return Math.max(preferred, Arena.blockSize(size));
  }

  /** A new segment of `bytes` in a free row; -1 when every row is taken. */
  #addRow(bytes: number): number {
    const ints = this.#arena.ints;
    const c = this.#c;
    let row = 0;
    const rows = ints[c + C.ROWS];
    while (row < rows && ints[this.#row(row) + SEG_REF] !== 0) row++;
    if (row === C.MAX_ROWS) return -1;
    let offset: number;
    try {
      offset = this.#arena.allocate(bytes);
    } catch (error) {
      // The arena is full (or the system would not let it grow): make room in this table's segments instead.
      if (!(error instanceof MemoryBudgetError || error instanceof RangeError)) throw error;
      this.#arenaFull = true;
      return -1;
    }
    const r = this.#row(row);
    ints[r + SEG_REF] = offset / 8;
    ints[r + SEG_SIZE] = bytes;
    ints[r + SEG_USED] = 0;
    ints[r + SEG_DEAD] = 0;
    ints[r + SEG_AGE] = ++ints[c + C.AGE];
    if (row === rows) ints[c + C.ROWS] = rows + 1;
    this.#arena.floats[c / 2 + C.F_SEGMENT_BYTES] += bytes;
    return row;
  }

  #removeRow(row: number): void {
    const ints = this.#arena.ints;
    const r = this.#row(row);
    this.#arena.free(ints[r + SEG_REF] * 8, ints[r + SEG_SIZE]);
    this.#arena.floats[this.#c / 2 + C.F_SEGMENT_BYTES] -= ints[r + SEG_SIZE];
    ints.fill(0, r, r + C.ROW_INTS);
    if (ints[this.#c + C.HEAD] === row) ints[this.#c + C.HEAD] = -1;
  }

  #oldest(): number {
    const ints = this.#arena.ints;
    let best = -1;
    let bestAge = Infinity;
    for (let row = 0, rows = ints[this.#c + C.ROWS]; row < rows; row++) {
      const r = this.#row(row);
      if (ints[r + SEG_REF] !== 0 && ints[r + SEG_AGE] < bestAge) {
        best = row;
        bestAge = ints[r + SEG_AGE]!;
      }
    }
    return best;
  }

  #mostDead(): number {
    const ints = this.#arena.ints;
    let best = -1;
    let bestDead = 0;
    for (let row = 0, rows = ints[this.#c + C.ROWS]; row < rows; row++) {
      const r = this.#row(row);
      if (ints[r + SEG_REF] !== 0 && ints[r + SEG_DEAD] > bestDead) {
        best = row;
        bestDead = ints[r + SEG_DEAD]!;
      }
    }
    return best;
  }

  #report(entry: number): void {
    const ints = this.#arena.ints;
    const bytes = this.#arena.bytes;
    const keyLength = ints[entry >>> 2];
    const valueLength = ints[(entry >>> 2) + 1];
    const start = entry + valueOffset(keyLength);
    this.evicted?.(
      bytes.slice(entry + ENTRY_HEADER, entry + ENTRY_HEADER + keyLength),
      bytes.slice(start, start + valueLength),
    );
  }

  /**
   * Slides the kept entries of a segment to its front; returns the bytes it freed. Each moved or evicted entry's slot
   * goes odd first, so a reader copying it (or bytes about to be overwritten by the slide) sees a changed version.
   */
  #compact(row: number, policy: number, cycles: number): number {
    const evictAll = policy !== NONE && cycles >= EVICT_ALL_AFTER_CYCLES;
    const ints = this.#arena.ints;
    const c = this.#c;
    const r = this.#row(row);
    const segment = ints[r + SEG_REF] * 8;
    const used = ints[r + SEG_USED];
    let write = 0;
    for (let read = 0; read < used;) {
      const entry = segment + read;
      const header = entry >>> 2;
      const size = entrySize(ints[header], ints[header + 1]);
      const kind = ints[header + 2] & 3;
      const slot = this.#slotOf(entry, ints[header + 3]);
      if (slot >= 0) {
        const keep =
          kind === KIND_COUNTER
            ? policy === NONE || this.#counterInUse(entry)
            : !evictAll && survives(ints, slot + META, policy, cycles);
        if (keep) {
          if (write !== read) {
            Atomics.add(ints, slot, 1);
            fence();
            this.#arena.bytes.copyWithin(segment + write, entry, entry + size);
            ints[slot + REF] = (segment + write) / 8;
            Atomics.add(ints, slot, 1);
          }
          write += size;
        } else {
          if (kind === KIND_VALUE && this.evicted) this.#report(entry);
          Atomics.add(ints, slot, 1);
          fence();
          ints[slot + HASH] = TOMBSTONE;
          ints[slot + REF] = 0;
          Atomics.add(ints, slot, 1);
          ints[c + C.ENTRIES]--;
          if (kind === KIND_VALUE) Atomics.sub(ints, c + C.KEYS, 1);
          ints[c + C.EVICTIONS]++;
          this.#arena.floats[c / 2 + C.F_BYTES_USED] -= size;
        }
      }
      read += size;
    }
    ints[r + SEG_USED] = write;
    ints[r + SEG_DEAD] = 0;
    ints[r + SEG_AGE] = ++ints[c + C.AGE];
    return used - write;
  }
}
