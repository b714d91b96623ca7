import type { Arena } from './arena.js';
import { fence } from './fence.js';
import { EMPTY, TOMBSTONE } from './hash.js';
import { CONTROL as C, ENTRY_HEADER, HASH, REF, SLOT_INTS, valueOffset } from './layout.js';

export const copyOut = (bytes: Uint8Array, start: number, length: number): Uint8Array => {
  const out = Buffer.allocUnsafe(length);
  out.set(bytes.subarray(start, start + length));
  return out;
};

/**
 * Live entries of `kind` of the table whose control block is at Int32 index `c`, as [key, value] copies, slot by
 * slot, read like Table.get reads (validated by the slot's version and SEQ, retried after `backOff`, which refreshes
 * the arena's views). Weakly consistent, like a concurrent map's iterator: an entry written or deleted meanwhile by
 * another thread may or may not be seen, and if the index is rebuilt while iterating (a writer grew it) the rest is
 * read from the new one, where an entry may come up again or be missed.
 */
export function* tableEntries(
  arena: Arena,
  c: number,
  kind: number,
  withValues: boolean,
  backOff: (attempt: number) => void,
): Generator<[Uint8Array, Uint8Array]> {
  const empty = new Uint8Array(0);
  for (let i = 0; ; i++) {
    let found: [Uint8Array, Uint8Array] | undefined;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) backOff(attempt);
      const ints = arena.ints;
      const bytes = arena.bytes;
      const seq = Atomics.load(ints, c + C.SEQ);
      if (seq & 1) continue;
      if (i >= ints[c + C.CAPACITY]) return;
      const slot = ints[c + C.INDEX_REF] * 2 + i * SLOT_INTS;
      // Past the end of this thread's view: another thread grew the arena and put the index there.
      if (slot + SLOT_INTS > ints.length) continue;
      const version = Atomics.load(ints, slot);
      if (version & 1) continue;
      const hash = ints[slot + HASH];
      if (hash === EMPTY || hash === TOMBSTONE) {
        fence();
        if (Atomics.load(ints, c + C.SEQ) !== seq) continue;
        break;
      }
      const entry = ints[slot + REF] * 8;
      const keyLength = ints[entry >>> 2];
      const valueLength = ints[(entry >>> 2) + 1];
      const entryKind = ints[(entry >>> 2) + 2] & 3;
      if (!(keyLength >= 0 && valueLength >= 0 && entry + valueOffset(keyLength) + valueLength <= bytes.length))
        continue;
      const key = entryKind === kind ? copyOut(bytes, entry + ENTRY_HEADER, keyLength) : empty;
      const value =
        entryKind === kind && withValues ? copyOut(bytes, entry + valueOffset(keyLength), valueLength) : empty;
      fence();
      if (Atomics.load(ints, slot) !== version || Atomics.load(ints, c + C.SEQ) !== seq) continue;
      if (entryKind === kind) found = [key, value];
      break;
    }
    if (found) yield found;
  }
}
