import t from 'tap';
import { Worker } from 'node:worker_threads';
import { beat, LOCK_INTS, SharedLock } from '../../src/engines/memory/lock.js';

const lockUrl = new URL('../../src/engines/memory/lock.js', import.meta.url).href;
const STALE_MS = 150;

/**
 * A thread holding the lock in `shared` (Int32 0…LOCK_INTS-1; Int32 LOCK_INTS counts its holds, LOCK_INTS + 1 is
 * set when it is done, before its last release): 'beating' holds it once for `ms`, beating every 10 ms; 'cycling' takes and releases it over
 * and over for `ms`, never beating. Replies how many of its releases found the lock taken over.
 */
const HOLDER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { beat, SharedLock } = await import(workerData.lockUrl);
  const { shared, mode, ms, ints } = workerData;
  const lock = new SharedLock(0, 60_000);
  let lost = 0;
  const until = performance.now() + ms;
  if (mode === 'beating') {
    lock.acquire(shared);
    Atomics.add(shared, ints, 1);
    while (performance.now() < until) {
      Atomics.wait(shared, ints + 2, 0, 10);
      beat(shared, 0);
    }
    Atomics.store(shared, ints + 1, 1);
    if (!lock.release(shared)) lost++;
  } else {
    while (performance.now() < until) {
      lock.acquire(shared);
      Atomics.add(shared, ints, 1);
      const busy = performance.now() + 2;
      while (performance.now() < busy);
      if (!lock.release(shared)) lost++;
    }
    Atomics.store(shared, ints + 1, 1);
  }
  parentPort.postMessage({ lost });
})();
`;

function holder(mode: 'beating' | 'cycling', ms: number) {
  const shared = new Int32Array(new SharedArrayBuffer((LOCK_INTS + 3) * 4));
  const worker = new Worker(HOLDER, { eval: true, workerData: { lockUrl, shared, mode, ms, ints: LOCK_INTS } });
  const reply = new Promise<{ lost: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { shared, worker, reply };
}

async function firstHold(shared: Int32Array) {
  while (Atomics.load(shared, LOCK_INTS) === 0) await new Promise((resolve) => setTimeout(resolve, 2));
}

t.test('a holder that keeps beating is not taken over, however long it holds the lock', async (t) => {
  const { shared, worker, reply } = holder('beating', STALE_MS * 5);
  t.teardown(() => worker.terminate());
  await firstHold(shared);
  const waiter = new SharedLock(0, STALE_MS);
  const start = performance.now();
  const tookOver = waiter.acquire(shared);
  const waited = performance.now() - start;
  t.equal(tookOver, false, 'the waiter got the lock normally');
  t.equal(Atomics.load(shared, LOCK_INTS + 1), 1, 'only after the holder was done');
  t.ok(waited > STALE_MS * 3, `it waited out the whole hold (${waited.toFixed(0)} ms)`);
  t.equal(waiter.release(shared), true);
  t.equal((await reply).lost, 0, 'the holder never lost its lock');
});

t.test('a thread that takes the lock again and again is not taken for one stalled hold', async (t) => {
  const { shared, worker, reply } = holder('cycling', STALE_MS * 5);
  t.teardown(() => worker.terminate());
  await firstHold(shared);
  const waiter = new SharedLock(0, STALE_MS);
  let takeovers = 0;
  while (Atomics.load(shared, LOCK_INTS + 1) === 0) {
    if (waiter.acquire(shared)) takeovers++;
    waiter.release(shared);
  }
  t.equal(takeovers, 0, 'every hold had a token of its own, so none looked stalled');
  t.equal((await reply).lost, 0, 'the cycling thread never lost a hold');
  t.ok(Atomics.load(shared, LOCK_INTS) > 10, `it held the lock many times (${Atomics.load(shared, LOCK_INTS)})`);
});

t.test('a stalled hold is taken over, and its late release leaves the new hold alone', async (t) => {
  const shared = new Int32Array(new SharedArrayBuffer(LOCK_INTS * 4));
  const stalled = new SharedLock(0, STALE_MS);
  const taker = new SharedLock(0, STALE_MS);
  t.equal(stalled.acquire(shared), false);
  beat(shared, 0);
  const start = performance.now();
  t.equal(taker.acquire(shared), true, 'taken over: the caller is told to repair');
  t.ok(performance.now() - start >= STALE_MS, 'only after the hold showed no progress for the timeout');
  t.equal(stalled.release(shared), false, 'the stalled holder learns it lost the lock');
  t.not(Atomics.load(shared, 0), 0, 'and its release did not free the lock the taker holds');
  t.equal(taker.release(shared), true);
  t.equal(Atomics.load(shared, 0), 0, 'the taker frees it');
});

t.test('one object taking the lock twice is a bug, reported at once', async (t) => {
  const shared = new Int32Array(new SharedArrayBuffer(LOCK_INTS * 4));
  const lock = new SharedLock(0);
  lock.acquire(shared);
  t.throws(() => lock.acquire(shared), /taken twice/);
  t.equal(lock.release(shared), true);
});
