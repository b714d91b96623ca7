import { MemoryBudgetError } from './errors.js';
import { ARENA_MAX_BYTES, arenaBuffer, growBuffer } from './hand-over.js';
import { SharedLock } from './lock.js';

/**
 * The process's shared arena: one growable SharedArrayBuffer holding every memory stash's control block, index and
 * segments, cut into power-of-two blocks. Freed blocks go to a free list per size and are reused for blocks of that
 * size (stashes use a handful of sizes: their control block, index sizes, and their segment size), never split or
 * merged. Offsets inside the arena are stored divided by 8 ("refs") so they fit an Int32 up to 16 GB.
 *
 * Header (Int32 indexes): the arena lock (3 ints), the bump end (a ref), its identity, free-list heads per order,
 * then the directory: an open-addressing table of [path hash A, path hash B, control block ref, 0] rows, one per
 * stash path ever opened.
 */
const LOCK = 0;
const END = 3;
// Int 4 is hand-over.ts's (IDENTITY_INDEX): the arena's identity, set when it is laid out.
const FREE_HEADS = 8;
export const MIN_ORDER = 12;
const MAX_ORDER = 31;
const DIRECTORY = 64;
const DIRECTORY_ROWS = 32_768;
const ROW_INTS = 4;
const HEADER_BYTES = (DIRECTORY + DIRECTORY_ROWS * ROW_INTS) * 4;
/** The arena grows by at least this much at a time, so growth (a system call) is rare. */
const GROWTH_STEP = 16 * 1024 * 1024;

export class Arena {
  readonly buffer: SharedArrayBuffer;
  /**
   * Fixed-length views of the arena as far as this thread has seen it grow. (Length-tracking views of a growable
   * buffer would follow growth by themselves, but V8 reads through them several times slower.) Another thread's
   * growth is picked up by `refresh()`, which writers call when they take a lock and readers when a ref points past
   * the end of their view.
   */
  ints!: Int32Array;
  bytes!: Uint8Array;
  floats!: Float64Array;
  readonly #lock = new SharedLock(LOCK);

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.refresh();
  }

  /** Views the whole arena again if it grew; cheap when it did not. */
  refresh(): void {
    const length = this.buffer.byteLength;
    if (this.bytes?.length === length) return;
    this.ints = new Int32Array(this.buffer, 0, length / 4);
    this.bytes = new Uint8Array(this.buffer, 0, length);
    this.floats = new Float64Array(this.buffer, 0, length / 8);
  }

  /** The block size a request of `bytes` gets. */
  static blockSize(bytes: number): number {
    return 2 ** Math.max(MIN_ORDER, Math.ceil(Math.log2(Math.max(bytes, 1))));
  }

  /** A block of `Arena.blockSize(bytes)` bytes; its contents are not cleared. Returns its byte offset. */
  allocate(bytes: number): number {
    this.#lock.acquire(this.ints);
    try {
      this.refresh();
      return this.#allocateLocked(bytes);
    } finally {
      this.#lock.release(this.ints);
    }
  }

  #allocateLocked(bytes: number): number {
    const size = Arena.blockSize(bytes);
    const order = Math.log2(size);
    if (order > MAX_ORDER)
      throw new MemoryBudgetError(
        `a block of ${bytes} bytes is larger than the shared arena allows`,
        bytes,
        ARENA_MAX_BYTES,
      );
    const ints = this.ints;
    const head = ints[FREE_HEADS + order - MIN_ORDER];
    if (head !== 0) {
      ints[FREE_HEADS + order - MIN_ORDER] = ints[head * 2]!;
      return head * 8;
    }
    const offset = ints[END] * 8;
    const end = offset + size;
    if (end > ARENA_MAX_BYTES) {
      throw new MemoryBudgetError(
        `the process's shared memory arena is full (${ARENA_MAX_BYTES} bytes across all memory stashes)`,
        bytes,
        ARENA_MAX_BYTES,
      );
    }
    if (end > this.buffer.byteLength)
      growBuffer(this.buffer, Math.min(ARENA_MAX_BYTES, Math.max(end, this.buffer.byteLength + GROWTH_STEP)));
    ints[END] = end / 8;
    this.refresh();
    return offset;
  }

  /** Gives a block back for reuse by blocks of the same size. */
  free(offset: number, bytes: number): void {
    const order = Math.log2(Arena.blockSize(bytes));
    this.#lock.acquire(this.ints);
    this.refresh();
    const ints = this.ints;
    ints[offset / 4] = ints[FREE_HEADS + order - MIN_ORDER]!;
    ints[FREE_HEADS + order - MIN_ORDER] = offset / 8;
    this.#lock.release(ints);
  }

  /**
   * The control block of the stash whose path hashes to (a, b), made by `create` (given a fresh zeroed block of
   * `controlBytes`, and an allocator to use meanwhile) the first time any thread asks. Creation happens under the
   * arena lock, so two threads opening the same path at once get one table.
   */
  table(
    a: number,
    b: number,
    controlBytes: number,
    create: (offset: number, allocate: (bytes: number) => number) => void,
  ): number {
    this.#lock.acquire(this.ints);
    this.refresh();
    const ints = this.ints;
    try {
      for (
        let probe = 0, row = a & (DIRECTORY_ROWS - 1);
        probe < DIRECTORY_ROWS;
        probe++, row = (row + 1) & (DIRECTORY_ROWS - 1)
      ) {
        const base = DIRECTORY + row * ROW_INTS;
        if (ints[base + 2] === 0) {
          const offset = this.#allocateLocked(controlBytes);
          this.bytes.fill(0, offset, offset + Arena.blockSize(controlBytes));
          create(offset, (bytes) => this.#allocateLocked(bytes));
          ints[base] = a;
          ints[base + 1] = b;
          Atomics.store(ints, base + 2, offset / 8);
          return offset;
        }
        if (ints[base] === a && ints[base + 1] === b) return ints[base + 2] * 8;
      }
      throw new MemoryBudgetError(
        `the shared arena's directory is full (${DIRECTORY_ROWS} memory stash paths per process)`,
        0,
        DIRECTORY_ROWS,
      );
    } finally {
      this.#lock.release(this.ints);
    }
  }
}

/** Idempotent, as hand-over.ts asks: threads may lay out one reserved buffer at the same moment, or after allocations. */
function layOut(buffer: SharedArrayBuffer): void {
  Atomics.compareExchange(new Int32Array(buffer, 0, END + 1), END, 0, HEADER_BYTES / 8);
}

let current: Arena | undefined;

/** This thread's view of the process's arena, made on the first call in any thread (see hand-over.ts). */
export function processArena(): Arena {
  const buffer = arenaBuffer(HEADER_BYTES, layOut);
  if (current?.buffer !== buffer) current = new Arena(buffer);
  return current;
}
