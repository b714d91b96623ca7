import t from 'tap';
import { ResultBoard } from '../../src/parallel/results.js';

async function collect(board: ResultBoard<string>, ordered: boolean): Promise<{ seen: number[]; error: unknown }> {
  const seen: number[] = [];
  try {
    for await (const index of board.iterate(ordered, (index) => index)) seen.push(index);
  } catch (error) {
    return { seen, error };
  }
  return { seen, error: undefined };
}

t.test('ordered waits for each index in turn; unordered follows completion', async (t) => {
  const board = new ResultBoard<string>(3);
  const ordered = collect(board, true);
  const unordered = collect(board, false);
  board.settle(2, 'c', false);
  board.notify();
  await new Promise((resolve) => setImmediate(resolve));
  board.settle(0, 'a', true);
  board.settle(1, 'b', false);
  board.notify();
  board.finish();
  t.strictSame(await ordered, { seen: [0, 1, 2], error: undefined });
  t.strictSame(await unordered, { seen: [2, 0, 1], error: undefined });
  t.match(board, { done: 2, cached: 1, failed: 0, pending: 0 });
});

t.test('a failed item is thrown only once the whole board has finished', async (t) => {
  const board = new ResultBoard<string>(3);
  const reading = collect(board, true);
  const boom = new Error('boom');
  board.settle(0, 'a', false);
  board.fail(1, boom);
  board.notify();
  let settled = false;
  void reading.then(() => {
    settled = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.notOk(settled, 'still waiting for item 2 before throwing');
  board.settle(2, 'c', false);
  board.finish();
  t.strictSame(await reading, { seen: [0], error: boom });
  t.equal(board.firstError()?.error, boom);
});

t.test('a stop ends readers at the first unfinished item; a reused result counts as cached', async (t) => {
  const board = new ResultBoard<string>(4);
  board.settle(0, 'a', false);
  board.settle(3, 'a', true);
  t.equal(board.values[3], 'a');
  t.equal(board.cached, 1, 'a reused result counts as cached');
  const reading = collect(board, true);
  const reason = new Error('aborted');
  board.stop(reason);
  board.finish();
  t.strictSame(await reading, { seen: [0], error: reason });
  t.equal(board.firstError()?.error, reason);
});
