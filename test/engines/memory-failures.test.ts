/**
 * The shared-memory table when things go wrong: the arena out of memory, another thread's view of the arena ahead of
 * this one's, a lock holder that stopped. Tables here are made directly, over an arena whose allocations can be made
 * to fail, and the control block is read where a user could not, to check what readers would see.
 */
import t from 'tap';
import { Arena, processArena } from '../../src/engines/memory/arena.js';
import { MemoryBudgetError } from '../../src/engines/memory/errors.js';
import { LRU } from '../../src/engines/memory/eviction.js';
import { hashPath } from '../../src/engines/memory/hash.js';
import { CONTROL, CONTROL_BYTES, KIND_VALUE, SLOT_INTS } from '../../src/engines/memory/layout.js';
import { Table, type TableSettings } from '../../src/engines/memory/table.js';

const MB = 1024 * 1024;

/** The process's arena, except that allocations of at least `failFrom` bytes throw as when the arena is full. */
class FailingArena extends Arena {
  failFrom = Infinity;
  override allocate(bytes: number): number {
    if (bytes >= this.failFrom) throw new MemoryBudgetError('the arena is full (test)', bytes, 0);
    return super.allocate(bytes);
  }
}

const key = (i: number) => Buffer.from(`key-${i}`);
const value = (i: number, length = 8) => Buffer.from(`${i}:`.padEnd(length, 'x'));
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString());

function open<A extends Arena>(name: string, settings: Partial<TableSettings>, arena: A) {
  const [a, b] = hashPath(`memory-failures/${name}`);
  const table = new Table(arena, a, b, { maxBytes: 8 * MB, policy: LRU, ...settings });
  const c =
    arena.table(a, b, CONTROL_BYTES, () => {
      throw new Error('the table exists');
    }) / 4;
  const put = (i: number, length?: number) => table.locked(() => table.put(key(i), KIND_VALUE, value(i, length)));
  const seqIsEven = () => (Atomics.load(arena.ints, c + CONTROL.SEQ) & 1) === 0;
  return { arena, table, c, put, seqIsEven };
}

const failing = (name: string, settings: Partial<TableSettings> = {}) =>
  open(name, settings, new FailingArena(processArena().buffer));

// First in the file, so the arena is fresh and the blocks taken below come from its end.
t.test("entries() reads an index another thread moved past the end of this thread's view of the arena", async (t) => {
  const shared = processArena();
  const stale = new Arena(shared.buffer);
  const { table: staleTable } = open('stale-view', {}, stale);
  const { table, put, c } = open('stale-view', {}, shared);
  const viewEnd = stale.bytes.length;
  // Another thread grows the arena, then writes enough to rebuild the index in the new part.
  shared.free(shared.allocate(viewEnd), viewEnd);
  for (let i = 0; i < 1000; i++) put(i);
  t.ok(shared.ints[c + CONTROL.INDEX_REF] * 8 >= viewEnd, 'the index now lies past the end of the stale view');
  t.ok(stale.bytes.length === viewEnd, 'and that view has not been refreshed');
  const seen = [...staleTable.entries(KIND_VALUE, true)].map(([k, v]) => [text(k), text(v)]);
  t.equal(seen.length, 1000, 'every entry is read through the stale view');
  t.strictSame(
    seen.find(([k]) => k === 'key-999'),
    ['key-999', text(value(999))],
  );
  t.equal(table.size(), 1000);
});

t.test(
  'an index rebuild or a clear that finds the arena full leaves SEQ even, so readers do not wait forever',
  async (t) => {
    const { arena, table, put, seqIsEven } = failing('seq-parity');
    put(0);
    arena.failFrom = 0;
    let written = 1;
    let error: unknown;
    try {
      for (; written < 1000; written++) put(written);
    } catch (caught) {
      error = caught;
    }
    t.ok(error instanceof MemoryBudgetError, 'the write that needed a bigger index threw MemoryBudgetError');
    t.equal(written, 192, 'at the first index rebuild (3/4 of 256 slots)');
    t.ok(seqIsEven(), 'SEQ is even after the failed rebuild');
    t.equal(text(table.get(key(100), KIND_VALUE)), text(value(100)), 'readers read on');
    t.equal(table.get(key(written), KIND_VALUE), undefined, 'the failed write left nothing');
    t.throws(() => table.locked(() => table.clear()), MemoryBudgetError, 'clear needs a new index too');
    t.ok(seqIsEven(), 'SEQ is even after the failed clear');
    t.equal(table.size(), written, 'and the failed clear removed nothing');
    arena.failFrom = Infinity;
    put(written);
    t.equal(table.size(), written + 1, 'writes go on once there is memory again');
    table.locked(() => table.clear());
    t.equal(table.size(), 0);
    t.ok(seqIsEven());
  },
);

t.test('a table whose budget is not reached, in an arena that is full, evicts instead of throwing', async (t) => {
  const { arena, table, put } = failing('arena-full', { maxBytes: 8 * MB });
  for (let i = 0; i < 100; i++) put(i, 1000);
  const reserved = table.stats().bytesReserved;
  // Segments (64 KB and up) can no longer be had; the small index blocks still can.
  arena.failFrom = 64 * 1024;
  for (let i = 100; i < 2000; i++) put(i % 300, 1000);
  const stats = table.stats();
  t.ok(stats.evictions > 0, `entries were evicted (${stats.evictions})`);
  t.equal(text(table.get(key(1999 % 300), KIND_VALUE)), text(value(1999 % 300, 1000)), 'the last write reads back');
  t.ok(stats.bytesReserved - reserved < 64 * 1024, 'no segment was added');
  t.ok(stats.bytesUsed <= 8 * MB);
});

t.test('a repair that throws still releases the lock, and the next writer repairs', async (t) => {
  const { arena, table, put, c, seqIsEven } = failing('repair-throws', { staleLockMs: 50 });
  put(1);
  // A holder that stopped in the middle of an index rebuild: its token on the lock, SEQ odd.
  Atomics.store(arena.ints, c + CONTROL.LOCK, 0x7ff00001);
  Atomics.add(arena.ints, c + CONTROL.SEQ, 1);
  arena.failFrom = 0;
  t.throws(() => table.locked(() => 'ran'), MemoryBudgetError, 'the repair (a clear) finds no memory for an index');
  t.equal(Atomics.load(arena.ints, c + CONTROL.LOCK), 0, 'the lock is free');
  arena.failFrom = Infinity;
  t.equal(
    table.locked(() => 'ran'),
    'ran',
    'the next writer gets the lock',
  );
  t.ok(seqIsEven(), 'and repaired the table (SEQ odd after the failed repair)');
  t.equal(table.size(), 0, 'by emptying it, the only state known to be whole');
  put(2);
  t.equal(text(table.get(key(2), KIND_VALUE)), text(value(2)));
});

t.test('an index block replaced by a rebuild stays with its table, never handed to another stash', async (t) => {
  const { arena, table, put, c } = open('retired-index', {}, processArena());
  put(0);
  const first = arena.ints[c + CONTROL.INDEX_REF] * 8;
  const bytes = arena.ints[c + CONTROL.CAPACITY] * SLOT_INTS * 4;
  for (let i = 1; i < 300; i++) put(i);
  t.not(arena.ints[c + CONTROL.INDEX_REF] * 8, first, 'the index was rebuilt elsewhere');
  // A reader that validated a slot just before the rebuild may still write its read mark into the old block.
  const other = arena.allocate(bytes);
  t.not(other, first, 'a block of the same size for anyone else is not the old index');
  arena.free(other, bytes);
  table.locked(() => table.clear());
  t.equal(arena.ints[c + CONTROL.INDEX_REF] * 8, first, "the table's own next index of that size reuses it");
  put(5);
  t.equal(text(table.get(key(5), KIND_VALUE)), text(value(5)));
});
