import type { RawChange } from './engine.js';

/**
 * The plumbing every engine's `watch` shares: how a feed ends (its caller's signal, or the engine closing), how a
 * polling feed waits between polls, and a bounded queue for feeds that are pushed to (pub/sub, threads), which turns
 * an overflow into a `missed` change instead of growing without bound or dropping changes silently.
 */

/** The options of {@link Engine.watch}. */
export interface WatchOptions {
  readonly signal?: AbortSignal | undefined;
}

/** Something a feed holds open (a connection, a registration) and releases once, however it ends. */
export interface FeedSource {
  stop(): void | Promise<void>;
}

/**
 * The feeds of one engine: `closeAll()` (from the engine's `close()`) stops every feed still open, so closing a stash
 * ends its watchers' loops and leaves no timer, connection or registration behind.
 */
export class Feeds {
  readonly #open = new Set<FeedSource>();
  #closed = new AbortController();

  /** Aborts when the engine closes (a new signal for feeds started after that). */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  add(source: FeedSource): void {
    this.#open.add(source);
  }

  /** Stops `source` once: later calls do nothing. */
  async stop(source: FeedSource): Promise<void> {
    if (!this.#open.delete(source)) return;
    await source.stop();
  }

  async closeAll(): Promise<void> {
    const controller = this.#closed;
    this.#closed = new AbortController();
    controller.abort();
    const open = [...this.#open];
    this.#open.clear();
    // Async: a stop() that throws synchronously (or returns nothing) becomes a settled promise, so every source is stopped.
    await Promise.allSettled(open.map(async (source) => source.stop()));
  }
}

/** True once `signal` (the caller's) or `closed` (the engine's) has aborted. */
export const ended = (signal: AbortSignal | undefined, closed: AbortSignal): boolean =>
  !!signal?.aborted || closed.aborted;

/**
 * Waits `ms`, or less when either signal aborts. The timer keeps the process alive while it waits, as any pending read
 * would: someone is iterating the feed. It is cleared as soon as the feed ends, so a stopped or closed feed leaves none.
 */
export function pause(ms: number, signal: AbortSignal | undefined, closed: AbortSignal): Promise<void> {
  if (ended(signal, closed)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      closed.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    closed.addEventListener('abort', done, { once: true });
  });
}

/**
 * The iterable a started-asynchronously feed hands out (redis, mongo): each `next()` waits for `ready` first. A
 * failure to start is the consumer's error, unless the feed was ended meanwhile (then the loop simply ends).
 */
export function readyFeed(
  feed: PushedChanges,
  ready: Promise<void>,
): AsyncIterable<RawChange> & { readonly ready: Promise<void> } {
  return {
    ready,
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        try {
          await ready;
        } catch (error) {
          if (feed.done) return { done: true, value: undefined };
          await feed.return();
          throw error;
        }
        return feed.next();
      },
      return: () => feed.return(),
    }),
  };
}

/** A polled change source: `read()` returns what changed since its last call, oldest first. */
export interface PolledSource extends FeedSource {
  read(): RawChange[] | Promise<RawChange[]>;
}

/**
 * A feed that polls `source` every `intervalMs` while its consumer waits for the next change, and not at all while the
 * consumer is busy: a consumer that stops iterating for long lets the engine's change log move on, and reads
 * `missed` when it comes back (the source reports the gap). Ends on the caller's signal, on the engine's close, or
 * when the consumer stops iterating; the source is stopped in every case.
 */
export async function* pollChanges(
  source: PolledSource,
  feeds: Feeds,
  options: WatchOptions,
  intervalMs: number,
): AsyncGenerator<RawChange, void, undefined> {
  const { signal } = options;
  const closed = feeds.closed;
  try {
    while (!ended(signal, closed)) {
      const changes = await source.read();
      if (changes.length === 0) {
        await pause(intervalMs, signal, closed);
        continue;
      }
      for (const change of changes) {
        if (ended(signal, closed)) return;
        yield change;
      }
    }
  } finally {
    await feeds.stop(source);
  }
}

/**
 * A feed that changes are pushed to (a pub/sub subscription, messages from other threads). It holds up to `capacity`
 * changes the consumer has not read yet; past that it drops what it holds and reports them as one `missed` change
 * with their count, so memory stays bounded and no change is lost silently.
 */
export class PushedChanges implements AsyncIterableIterator<RawChange> {
  readonly #capacity: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onEnd: () => Promise<void>;
  #queue: RawChange[] = [];
  #head = 0;
  #missed = 0;
  /** Set when some missed changes have no count (a gap of unknown size). */
  #missedUncounted = false;
  #wake: (() => void) | undefined;
  #done = false;

  constructor(capacity: number, options: WatchOptions, closed: AbortSignal, onEnd: () => Promise<void>) {
    this.#capacity = capacity;
    this.#signal = options.signal;
    this.#onEnd = onEnd;
    const end = () => {
      void this.return();
    };
    this.#signal?.addEventListener('abort', end, { once: true });
    closed.addEventListener('abort', end, { once: true });
    if (ended(this.#signal, closed)) end();
  }

  /** True once the feed has ended (its consumer stopped, its signal aborted, or its engine closed). */
  get done(): boolean {
    return this.#done;
  }

  push(change: RawChange): void {
    if (this.#done) return;
    if (change.type === 'missed') {
      this.#dropQueue();
      if (change.count === undefined) this.#missedUncounted = true;
      else this.#missed += change.count;
    } else if (this.#queue.length - this.#head >= this.#capacity) {
      this.#dropQueue();
      this.#missed += 1;
    } else {
      this.#queue.push(change);
    }
    this.#wake?.();
  }

  /** What is queued becomes part of the missed count (it is older than anything pushed after). */
  #dropQueue(): void {
    this.#missed += this.#queue.length - this.#head;
    this.#queue = [];
    this.#head = 0;
  }

  async next(): Promise<IteratorResult<RawChange>> {
    for (;;) {
      if (this.#done) return { done: true, value: undefined };
      if (this.#missed > 0 || this.#missedUncounted) {
        const change: RawChange = this.#missedUncounted ? { type: 'missed' } : { type: 'missed', count: this.#missed };
        this.#missed = 0;
        this.#missedUncounted = false;
        return { done: false, value: change };
      }
      if (this.#head < this.#queue.length) {
        const value = this.#queue[this.#head++];
        if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        return { done: false, value };
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<RawChange>> {
    if (!this.#done) {
      this.#done = true;
      this.#queue = [];
      this.#wake?.();
      await this.#onEnd();
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<RawChange> {
    return this;
  }
}
