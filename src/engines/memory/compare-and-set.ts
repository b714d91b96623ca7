import { matchesExpected } from '../compare-and-set.js';
import { KIND_COUNTER, KIND_VALUE, KIND_VERSION } from './layout.js';
import type { Table } from './table.js';
import { versionKey } from './version-key.js';

/**
 * Compare-and-set on the memory engine: under the table's lock (the one every writer of every thread takes), read
 * the key's value, compare it with `expected`, and store `next` or, when `next` is undefined, remove the key with
 * its versions, as `delete` does. Readers never take the lock; they see the value before or after, never between.
 * Append mode: it compares and replaces the key's current value and adds no version. `beforeWrite` runs under the
 * lock before `next` is stored: for what the store's `set` keeps beside a value (such as a mark that values expire);
 * `changed` is told what it wrote, under the lock (for the change feed).
 */
export function compareAndSetInTable(
  table: Table,
  key: Uint8Array,
  expected: Uint8Array | undefined,
  next: Uint8Array | undefined,
  now: () => number,
  beforeWrite?: (value: Uint8Array) => void,
  changed?: (type: 'set' | 'delete') => void,
): boolean {
  return table.locked(() => {
    const current = table.get(key, KIND_VALUE);
    if (!matchesExpected(current, expected, now())) return false;
    if (next !== undefined) {
      beforeWrite?.(next);
      table.put(key, KIND_VALUE, next);
      changed?.('set');
      return true;
    }
    if (current !== undefined) {
      table.remove(key, KIND_VALUE);
      changed?.('delete');
    }
    const counter = table.get(key, KIND_COUNTER);
    if (counter) {
      const versions = Buffer.from(counter.buffer, counter.byteOffset, counter.byteLength).readUInt32LE(0);
      table.remove(key, KIND_COUNTER);
      for (let version = 1; version <= versions; version++) table.remove(versionKey(key, version), KIND_VERSION);
    }
    return true;
  });
}
