import { threadId } from 'node:worker_threads';

/**
 * A mutex in shared memory: one Int32 holding 0 (free) or the owner's token, and one counting sleeping waiters.
 * It is held only inside the engine's own synchronous code, never across user code or an await, so holds last
 * microseconds. A thread terminated while holding it (worker.terminate() can stop JS anywhere) would block every
 * other thread forever, so waiting is bounded: a waiter that sees the same owner for `STALE_LOCK_MS` takes the lock
 * over and tells its caller, which repairs what a half-done write may have left (see Table.repair).
 */
export const STALE_LOCK_MS = 2000;

/** This thread's token: thread ids are unique within a process and never 0 here. */
const TOKEN = threadId + 1;

/** Ints a lock takes at its base: the owner word and the waiter count. */
export const LOCK_INTS = 2;

const OWNER = 0;
const WAITERS = 1;
const SPINS = 64;
const SLEEP_MS = 1;

/** Takes the lock at `base`; returns true when it was taken over from a stale owner (the caller must repair). */
export function lock(ints: Int32Array, base: number): boolean {
  if (Atomics.compareExchange(ints, base + OWNER, 0, TOKEN) === 0) return false;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(ints, base + OWNER) === 0 && Atomics.compareExchange(ints, base + OWNER, 0, TOKEN) === 0) return false;
  }
  let owner = Atomics.load(ints, base + OWNER);
  if (owner === TOKEN) throw new Error('shared-memory lock taken twice by one thread');
  let since = performance.now();
  for (;;) {
    if (owner === 0) {
      if (Atomics.compareExchange(ints, base + OWNER, 0, TOKEN) === 0) return false;
    } else {
      Atomics.add(ints, base + WAITERS, 1);
      Atomics.wait(ints, base + OWNER, owner, SLEEP_MS);
      Atomics.sub(ints, base + WAITERS, 1);
    }
    const now = Atomics.load(ints, base + OWNER);
    if (now !== owner) {
      owner = now;
      since = performance.now();
    } else if (owner !== 0 && performance.now() - since > STALE_LOCK_MS) {
      if (Atomics.compareExchange(ints, base + OWNER, owner, TOKEN) === owner) return true;
    }
  }
}

export function unlock(ints: Int32Array, base: number): void {
  Atomics.store(ints, base + OWNER, 0);
  if (Atomics.load(ints, base + WAITERS) > 0) Atomics.notify(ints, base + OWNER, 1);
}
