import { threadId } from 'node:worker_threads';

/**
 * A mutex in shared memory: three Int32s at its base, the holder's token (0 when free), the number of sleeping
 * waiters, and a heartbeat the holder bumps while it makes progress.
 *
 * It is held only inside the engine's own synchronous code, never across user code or an await. A thread terminated
 * while holding it (worker.terminate() can stop JS anywhere) would block every other thread forever, so waiting is
 * bounded, and a waiter takes the lock over when the same hold (its token is unique per acquisition: thread and a
 * counter) has shown no heartbeat for `staleMs`. JS cannot tell a dead thread from a stalled one (a terminated
 * worker runs no exit code), so a live holder stalled longer than that without a heartbeat (a GC pause, the machine
 * suspended) would lose the lock: holders beat during their long loops, and the default timeout is generous. A
 * holder that lost its lock finds out when it releases (the release is a compare-and-swap of its own token, so it
 * never frees someone else's hold). The new holder is told, so it can repair what a half-done write left.
 */
export const STALE_LOCK_MS = 10_000;

/** Ints a lock takes at its base. */
export const LOCK_INTS = 3;

const OWNER = 0;
const WAITERS = 1;
const BEAT = 2;
const SPINS = 64;
const SLEEP_MS = 1;

/** Tokens: 11 bits of thread (never 0, so no token is 0) above a 20-bit count of this thread's acquisitions. */
const COUNT_BITS = 20;
const COUNT_MASK = (1 << COUNT_BITS) - 1;
const THREAD_BITS = ((threadId % 2047) + 1) << COUNT_BITS;
let acquisitions = 0;

/** Marks progress of the hold on the lock at `base`: a waiter never takes over while the heartbeat moves. */
export function beat(ints: Int32Array, base: number): void {
  ints[base + BEAT] = (ints[base + BEAT] + 1) | 0;
}

export class SharedLock {
  readonly #base: number;
  readonly #staleMs: number;
  /** This object's current hold, 0 when it holds none. */
  #token = 0;

  constructor(base: number, staleMs = STALE_LOCK_MS) {
    this.#base = base;
    this.#staleMs = staleMs;
  }

  get held(): boolean {
    return this.#token !== 0;
  }

  /** Takes the lock (`ints` is the current view); true when it was taken over from a stalled holder (repair!). */
  acquire(ints: Int32Array): boolean {
    if (this.#token !== 0) throw new Error('shared-memory lock taken twice by one thread');
    acquisitions = (acquisitions + 1) & COUNT_MASK;
    const token = THREAD_BITS | acquisitions;
    const owner = this.#base + OWNER;
    this.#token = token;
    if (Atomics.compareExchange(ints, owner, 0, token) === 0) return false;
    for (let i = 0; i < SPINS; i++) {
      if (Atomics.load(ints, owner) === 0 && Atomics.compareExchange(ints, owner, 0, token) === 0) return false;
    }
    let holder = Atomics.load(ints, owner);
    let heartbeat = Atomics.load(ints, this.#base + BEAT);
    let since = performance.now();
    for (;;) {
      if (holder === 0) {
        if (Atomics.compareExchange(ints, owner, 0, token) === 0) return false;
      } else {
        Atomics.add(ints, this.#base + WAITERS, 1);
        Atomics.wait(ints, owner, holder, SLEEP_MS);
        Atomics.sub(ints, this.#base + WAITERS, 1);
      }
      const now = Atomics.load(ints, owner);
      const beatNow = Atomics.load(ints, this.#base + BEAT);
      if (now !== holder || beatNow !== heartbeat) {
        holder = now;
        heartbeat = beatNow;
        since = performance.now();
      } else if (holder !== 0 && performance.now() - since > this.#staleMs) {
        if (Atomics.compareExchange(ints, owner, holder, token) === holder) return true;
      }
    }
  }

  /** Releases this object's hold; false when it had been taken over meanwhile (the other hold is left alone). */
  release(ints: Int32Array): boolean {
    const token = this.#token;
    this.#token = 0;
    const kept = Atomics.compareExchange(ints, this.#base + OWNER, token, 0) === token;
    if (kept && Atomics.load(ints, this.#base + WAITERS) > 0) Atomics.notify(ints, this.#base + OWNER, 1);
    return kept;
  }
}
