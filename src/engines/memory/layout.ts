/**
 * Where things are inside a table's control block (Int32 indexes from the block start unless said otherwise).
 * Every "ref" is an arena byte offset divided by 8.
 */
export const CONTROL = {
  /** The writers' lock (3 ints, see lock.ts). */
  LOCK: 0,
  /** Odd while the index is being replaced or the table cleared: readers wait for it to be even and unchanged. */
  SEQ: 3,
  INDEX_REF: 4,
  /** Slots in the index, a power of two. */
  CAPACITY: 5,
  /** Slots not empty (live or deleted): the index is rebuilt before it gets too full of them. */
  OCCUPIED: 6,
  /** Live keys (entries of kind VALUE): the stash's size. */
  KEYS: 7,
  /** Live entries of every kind. */
  ENTRIES: 8,
  /** The segment row new entries go to, -1 when none. */
  HEAD: 9,
  /** Segment rows in use (some may be free for reuse). */
  ROWS: 10,
  /** Counts compactions, to order segments by age. */
  AGE: 11,
  EVICTIONS: 12,
  POLICY: 13,
  /** Largest segment this table makes (bigger entries get a segment of their own size). */
  MAX_SEGMENT: 14,
  /**
   * 1 once an entry that expires was written (until `clear()`, or a purge that leaves none): `has`, `keys` and `size`
   * read values to leave expired entries out only then. Int 24, clear of the float64 fields at ints 16-21 and the
   * change feed's ints 22-23.
   */
  EXPIRING: 24,
  /**
   * Stash objects (in any thread) holding the table as a tier of a tiered stash (src/tiers): the first of them empties
   * what the table kept from a time nobody watched the tier below it for changes.
   */
  TIER_HOLDERS: 25,
  /** Float64 indexes (from the block start / 8): the budget, and bytes of entries and of segments. */
  F_MAX_BYTES: 8,
  F_BYTES_USED: 9,
  F_SEGMENT_BYTES: 10,
  /** Int32 indexes past the floats: watchers of the table, and the seq of its last logged change (changes.ts). */
  WATCHERS: 22,
  CHANGE_SEQ: 23,
  /** Heads of the table's lists of retired index blocks, one per block size (see index-blocks.ts). */
  RETIRED_INDEX: 32,
  /** Segment rows: [segment ref, size, bytes used, dead bytes (overwritten or deleted), age]. */
  ROW_BASE: 64,
  ROW_INTS: 5,
  MAX_ROWS: 1024,
} as const;

export const CONTROL_BYTES = (CONTROL.ROW_BASE + CONTROL.MAX_ROWS * CONTROL.ROW_INTS) * 4;

/** Row fields. */
export const SEG_REF = 0;
export const SEG_SIZE = 1;
export const SEG_USED = 2;
export const SEG_DEAD = 3;
export const SEG_AGE = 4;

/** Index slots: [version (odd while being written), hash, entry ref, meta (see eviction.ts)]. */
export const SLOT_INTS = 4;
export const VERSION = 0;
export const HASH = 1;
export const REF = 2;
export const META = 3;
export const INITIAL_CAPACITY = 256;

/**
 * Entries in segments, 8-byte aligned: [key length, value length, kind | row << 2, hash], key bytes padded to 8, value
 * bytes. The value starts aligned so a small one is copied out a 32-bit word at a time.
 */
export const ENTRY_HEADER = 16;
export const KIND_VALUE = 0;
export const KIND_VERSION = 1;
export const KIND_COUNTER = 2;

export const valueOffset = (keyLength: number): number => ENTRY_HEADER + ((keyLength + 7) & ~7);
export const entrySize = (keyLength: number, valueLength: number): number =>
  (valueOffset(keyLength) + valueLength + 7) & ~7;

/** Segments start at this size and grow with the table up to its largest (MAX_SEGMENT). */
export const MIN_SEGMENT = 64 * 1024;
export const LARGEST_SEGMENT = 16 * 1024 * 1024;
