import { expiresAtOf } from '../format/header.js';
import { Lease } from './lease.js';
import { resolveLeaseOptions, type LeaseOptions } from './options.js';
import { LEASE_STASH, LEASE_STASH_OPTIONS, LeaseStore, type LeaseParent } from './store.js';

/** Waiting for a held lease polls with backoff between these bounds, each pause randomized by ±50% so waiters spread out. */
const FIRST_DELAY_MS = 5;
const LAST_DELAY_MS = 250;

/** The lease store of `stash` (its lease sub-stash), judged by the clock `now`. */
export function openLeaseStore(stash: LeaseParent, now: () => number): LeaseStore {
  return new LeaseStore(stash.sub(LEASE_STASH, LEASE_STASH_OPTIONS), now);
}

/** Resolves after `ms`, or rejects with `signal.reason` when it aborts first. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = () => {
      clearTimeout(timer);
      reject(signal!.reason as unknown);
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * `stash.lease(name, options)`: stores a lease record (a fresh owner token, expiring `ttl` from now) under `name` with
 * `compareAndSet(key, undefined, record)`, which succeeds when no record is there or the one there has expired, on
 * every engine atomically. When it is held: null with `wait: false`; else polls with backoff (at most LAST_DELAY_MS
 * apart, and no later than just after the holder's record expires) until it gets it, or `signal` aborts (rejecting
 * with its reason).
 */
export async function acquireLease(
  store: LeaseStore,
  name: string,
  options: LeaseOptions | undefined,
): Promise<Lease | null> {
  const { ttl, wait, signal, autoRenew } = resolveLeaseOptions(name, options);
  const key = store.key(name);
  const owner = LeaseStore.token();
  /**
   * When the record last seen held the lease until: a lease taken over is stamped no earlier than that, so its term
   * never starts before the one it replaces ended (the engine judges expiry later than this stamp is made).
   */
  let heldUntil = -Infinity;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(LAST_DELAY_MS, delay * 2)) {
    signal?.throwIfAborted();
    const expiresAt = Math.max(store.now(), heldUntil) + ttl;
    const blob = store.record(owner, expiresAt);
    if (await store.compareAndSet(key, undefined, blob))
      return new Lease(store, name, key, owner, blob, expiresAt, ttl, autoRenew);
    if (!wait) return null;
    const held = await store.read(key);
    const until = held === undefined ? null : expiresAtOf(held);
    if (until !== null) heldUntil = until;
    const untilFree = until === null ? Infinity : until - store.now() + 1;
    await pause(Math.max(1, Math.min(delay * (0.5 + Math.random()), untilFree)), signal);
  }
}
