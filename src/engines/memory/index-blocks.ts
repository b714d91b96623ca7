import { Arena, MIN_ORDER } from './arena.js';
import { EMPTY, TOMBSTONE } from './hash.js';
import { CONTROL as C, HASH, META, REF, SLOT_INTS } from './layout.js';
import { beat } from './lock.js';

/**
 * A table's index blocks. A reader marks its read in the slot's meta word after it has validated the slot, without
 * a lock, so the mark may land after a writer replaced the index. So a replaced index block is never given back to
 * the arena (where it could become another table's segment, and the mark a corrupt byte in someone's value): it goes
 * to this table's own list of retired blocks of its size and is reused only as an index of this table, where a late
 * mark falls on a meta word, which is only a hint. The list's link is the block's first word, a slot version, which
 * readers never write. Indexes double or are rebuilt at the same size, so at most two blocks of a size are retired:
 * the retired blocks take less than twice the largest index.
 */
const bytesOf = (capacity: number): number => capacity * SLOT_INTS * 4;
const listOf = (c: number, capacity: number): number =>
  c + C.RETIRED_INDEX + Math.log2(Arena.blockSize(bytesOf(capacity))) - MIN_ORDER;

/** A zeroed block for an index of `capacity` slots, from the table's retired blocks or else the arena (may throw). */
export function takeIndexBlock(arena: Arena, c: number, capacity: number): number {
  const list = listOf(c, capacity);
  const head = arena.ints[list];
  let offset: number;
  if (head !== 0) {
    offset = head * 8;
    arena.ints[list] = arena.ints[offset / 4]!;
  } else {
    offset = arena.allocate(bytesOf(capacity));
  }
  arena.bytes.fill(0, offset, offset + bytesOf(capacity));
  return offset;
}

/** Keeps a replaced index block for this table's later indexes. */
export function retireIndexBlock(arena: Arena, c: number, offset: number, capacity: number): void {
  const list = listOf(c, capacity);
  arena.ints[offset / 4] = arena.ints[list]!;
  arena.ints[list] = offset / 8;
}

const BEAT_EVERY = 65_536;

/** Copies the live slots of the index at `from` into the empty one at `to`; returns how many. Lock held. */
export function rehash(
  arena: Arena,
  c: number,
  from: number,
  fromCapacity: number,
  to: number,
  toCapacity: number,
): number {
  const ints = arena.ints;
  const mask = toCapacity - 1;
  let moved = 0;
  for (let n = 0, slot = from / 4; n < fromCapacity; n++, slot += SLOT_INTS) {
    if ((n & (BEAT_EVERY - 1)) === 0) beat(ints, c + C.LOCK);
    const hash = ints[slot + HASH];
    if (hash === EMPTY || hash === TOMBSTONE) continue;
    let i = hash & mask;
    while (ints[to / 4 + i * SLOT_INTS + HASH] !== EMPTY) i = (i + 1) & mask;
    const target = to / 4 + i * SLOT_INTS;
    ints[target + HASH] = hash;
    ints[target + REF] = ints[slot + REF]!;
    ints[target + META] = ints[slot + META]!;
    moved++;
  }
  return moved;
}
