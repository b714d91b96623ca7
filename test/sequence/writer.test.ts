/**
 * The one iterator of a sequence in a process: forward by pulling, backward by a new run of the factory; the shard
 * nearest ahead of it served first when several wait (prefetching asks out of order), a restart not put off for ever,
 * items pulled to estimate a shard size not pulled twice, synchronous iterables pulled without a promise each.
 */
import t from 'tap';
import { Writer } from '../../src/sequence/writer.js';

function counting(size: number) {
  const counter = { runs: 0, pulled: 0 };
  const factory = function* () {
    counter.runs++;
    for (let i = 0; i < size; i++) {
      counter.pulled++;
      yield i;
    }
  };
  return { counter, factory };
}

async function take<T>(writer: Writer<T>, start: number, count: number): Promise<T[]> {
  const out: T[] = [];
  if (!(await writer.seek(start))) return out;
  for (let i = 0; i < count; i++) {
    const pulled = writer.pull();
    const next = pulled instanceof Promise ? await pulled : pulled;
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

t.test('forward by pulling, backward by a new run', async (t) => {
  const { counter, factory } = counting(100);
  const writer = new Writer(factory);
  t.same(await take(writer, 10, 3), [10, 11, 12]);
  t.same(await take(writer, 50, 2), [50, 51]);
  t.equal(counter.runs, 1);
  t.same(await take(writer, 5, 1), [5], 'going back starts over');
  t.equal(counter.runs, 2);
  t.same(await take(writer, 99, 5), [99], 'the end');
  t.equal(await writer.seek(200), false, 'past the end');
  t.equal(writer.position, 100, 'where it ended');
});

t.test('a synchronous iterable is pulled without a promise, an asynchronous one with', async (t) => {
  const sync = new Writer(function* () {
    yield 1;
  });
  await sync.seek(0);
  t.notOk(sync.pull() instanceof Promise);
  const asynchronous = new Writer(async function* () {
    yield 1;
  });
  await asynchronous.seek(0);
  t.ok(asynchronous.pull() instanceof Promise);
});

t.test('the shard nearest ahead goes first; a restart waits, but not for ever', async (t) => {
  const { counter, factory } = counting(100_000);
  const writer = new Writer(factory);
  const order: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const first = writer.exclusive(0, async () => {
    await take(writer, 0, 10);
    await gate;
    order.push(0);
  });
  // Asked out of order while the writer is busy, with a restart among them.
  const rest = [300, 200, 5, 100].map((start) =>
    writer.exclusive(start, async () => {
      order.push(start);
      await take(writer, start, 10);
    }),
  );
  release();
  await Promise.all([first, ...rest]);
  t.same(order, [0, 100, 200, 300, 5], 'ahead in order, then the one behind (the first left the iterator at 10)');
  t.equal(counter.runs, 2, 'one restart, for the one behind');

  let open!: () => void;
  const held = new Promise<void>((resolve) => {
    open = resolve;
  });
  const holding = writer.exclusive(500, async () => {
    await take(writer, 500, 1);
    await held;
  });
  const ran: string[] = [];
  const behind = writer.exclusive(0, async () => {
    ran.push('behind');
    await take(writer, 0, 1);
  });
  const ahead = Array.from({ length: 20 }, (_, i) =>
    writer.exclusive(1_000 + i * 10, async () => {
      ran.push(`ahead ${i}`);
      await take(writer, 1_000 + i * 10, 1);
    }),
  );
  open();
  await Promise.all([holding, behind, ...ahead]);
  t.equal(ran.indexOf('behind'), 8, 'a restart goes after 8 others that were ahead, not after all 20');
});

t.test("items pulled to estimate a size are the first shard's", async (t) => {
  const { counter, factory } = counting(50);
  const writer = new Writer(factory);
  t.same(
    await writer.sample(16),
    Array.from({ length: 16 }, (_, i) => i),
  );
  t.same(
    await take(writer, 0, 20),
    Array.from({ length: 20 }, (_, i) => i),
  );
  t.equal(counter.runs, 1, 'no restart');
  t.equal(counter.pulled, 20, 'each item pulled once');
});
