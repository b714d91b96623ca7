import { parseTtl, type Ttl } from '../ttl.js';
import { LeaseLostError } from './errors.js';
import type { LeaseStore } from './store.js';

/**
 * A lease held: mutual exclusion on `name` among every thread, process and machine that opens the same stash, from
 * `stash.lease(name)` until {@link Lease.release} (or `await using`'s disposal), or until it is lost. The stored record holds
 * a random owner token and the lease's expiry; a holder that dies leaves it to expire, and another takes it over after
 * its ttl, never earlier. Every change of the record (renew, release) is a compare-and-set from this holder's exact
 * record, so a holder never extends or removes another's lease.
 *
 * @example
 * ```ts
 * await using lease = await stash.lease('nightly-report', { ttl: '30s' });
 * await buildReport({ signal: lease.signal });   // renewed every 10 s while it runs; released at the end of the block
 * ```
 */
export class Lease implements AsyncDisposable {
  /** The name given to `stash.lease`. */
  readonly name: string;
  readonly #store: LeaseStore;
  readonly #key: Uint8Array;
  readonly #owner: string;
  readonly #ttl: number;
  readonly #controller = new AbortController();
  #blob: Uint8Array;
  #expiresAt: number;
  #lost = false;
  #released = false;
  /** Set as soon as release() is called, so no renewal is scheduled after it. */
  #releasing = false;
  /** Renewals and the release, one after another: each starts from the record the one before left. */
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  /** The store's closings when this lease was taken: after the stash closes, automatic renewals stop (no reconnecting). */
  readonly #closings: number;

  /** @internal Made by `stash.lease` once the record is stored. */
  constructor(
    store: LeaseStore,
    name: string,
    key: Uint8Array,
    owner: string,
    blob: Uint8Array,
    expiresAt: number,
    ttl: number,
    autoRenew: boolean,
  ) {
    this.#store = store;
    this.name = name;
    this.#key = key;
    this.#owner = owner;
    this.#blob = blob;
    this.#expiresAt = expiresAt;
    this.#ttl = ttl;
    this.#closings = store.closings;
    if (autoRenew) this.#schedule();
  }

  /**
   * True once the lease is known to be lost: a renewal (or the release) found the record expired and taken by
   * another holder, or gone. It is not checked in the background unless the lease renews itself (`autoRenew`).
   */
  get lost(): boolean {
    return this.#lost;
  }

  /** True once {@link Lease.release} ran (whether or not the lease was still held then). */
  get released(): boolean {
    return this.#released;
  }

  /** When the lease expires unless renewed, in ms since the epoch by the stash's clock. */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /** Aborts, with a {@link LeaseLostError} as its reason, when the lease is found lost; pass it to the work it guards. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * Extends the lease to `ttl` (default: the ttl it was taken with) from now; true when it did, false when the lease
   * was lost (then {@link Lease.lost} is true and {@link Lease.signal} aborts) or released.
   *
   * @throws {@link ConfigError} for a bad `ttl`.
   */
  renew(options: { readonly ttl?: Ttl | undefined } = {}): Promise<boolean> {
    let ttl: number;
    try {
      ttl = options.ttl === undefined ? this.#ttl : parseTtl(options.ttl, 'ttl');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#enqueue(async () => {
      if (this.#lost || this.#released) return false;
      const expiresAt = this.#store.now() + ttl;
      const next = this.#store.record(this.#owner, expiresAt);
      if (!(await this.#store.compareAndSet(this.#key, this.#blob, next))) {
        this.#markLost();
        return false;
      }
      this.#blob = next;
      this.#expiresAt = expiresAt;
      return true;
    });
  }

  /**
   * Gives the lease up: removes the record if it is still this holder's (never another holder's). True when it was
   * still held; false when it had been lost (or was released before). Stops the renewals.
   */
  release(): Promise<boolean> {
    this.#releasing = true;
    this.#stopTimer();
    return this.#enqueue(async () => {
      if (this.#released) return false;
      this.#released = true;
      if (this.#lost) return false;
      const held = await this.#store.compareAndSet(this.#key, this.#blob, undefined);
      if (!held) this.#markLost();
      return held;
    });
  }

  /** {@link Lease.release}, for `await using lease = await stash.lease(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  #enqueue<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(step);
    this.#queue = result.catch(() => {});
    return result;
  }

  #markLost(): void {
    this.#lost = true;
    this.#stopTimer();
    if (!this.#controller.signal.aborted) {
      this.#controller.abort(
        new LeaseLostError(`the lease '${this.name}' was lost: its record expired and was taken over, or removed`),
      );
    }
  }

  /** The next automatic renewal, a third of the ttl from now; the timer keeps no process alive. */
  #schedule(): void {
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        // The stash was closed while the lease was held: it is left to expire.
        if (this.#store.closings !== this.#closings) return;
        this.renew().then(
          (renewed) => {
            if (renewed && !this.#releasing) this.#schedule();
          },
          // A failed renewal (the server unreachable, say) is tried again at the next third, while time is left.
          () => {
            if (!this.#releasing && !this.#lost) this.#schedule();
          },
        );
      },
      Math.max(1, Math.floor(this.#ttl / 3)),
    );
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
