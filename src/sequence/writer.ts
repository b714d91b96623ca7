import { ConfigError } from '../errors.js';

/** How many times work waiting for the writer may see other work go first. */
const MAX_PASSED = 8;

/** What `stash.sequence` takes: a function returning a fresh iterable (sync or async) of the items, in the same order every time. */
export type IterableFactory<T> = () => Iterable<T> | AsyncIterable<T>;

/**
 * The one iterator of a sequence in this process, moved to where a shard starts: forward by pulling and dropping
 * items, backward by starting a fresh iterable (a new `run`). One shard is produced at a time (`exclusive`); items
 * pulled to estimate a shard size wait in `#buffered` for the shard they belong to.
 */
export class Writer<T> {
  readonly #factory: IterableFactory<T>;
  #iterator: Iterator<T> | AsyncIterator<T> | undefined;
  /** Index of the next item `pull` returns. */
  #position = 0;
  #ended = false;
  readonly #buffered: T[] = [];
  readonly #waiting: { readonly start: number; readonly run: () => void; passed: number }[] = [];
  #busy = false;
  /** How many times the factory was called. */
  runs = 0;

  constructor(factory: IterableFactory<T>) {
    this.#factory = factory;
  }

  /** Index of the next item `pull` returns; where the iterable ended, once it has. */
  get position(): number {
    return this.#position;
  }

  /**
   * Runs `work`, which reads from item `start` on, alone: when the writer is free, the waiting work that starts
   * nearest ahead of where the iterator is goes first (so shards requested out of order, by prefetching say, do not
   * make it skip one and start over for it), and work behind it (a restart) only when none is ahead.
   */
  exclusive<R>(start: number, work: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({
        start,
        passed: 0,
        run: () => {
          work()
            .then(resolve, reject)
            .finally(() => {
              this.#busy = false;
              this.#runNext();
            });
        },
      });
      this.#runNext();
    });
  }

  #runNext(): void {
    if (this.#busy || this.#waiting.length === 0) return;
    const position = this.#iterator === undefined ? 0 : this.#position;
    // Work passed over MAX_PASSED times goes next, so a restart is not put off for ever by work always ahead.
    let best = this.#waiting.findIndex((waiting) => waiting.passed >= MAX_PASSED);
    if (best < 0) {
      best = 0;
      for (let i = 1; i < this.#waiting.length; i++) {
        const a = this.#waiting[i].start;
        const b = this.#waiting[best].start;
        const aAhead = a >= position;
        const bAhead = b >= position;
        if (aAhead !== bAhead ? aAhead : a < b) best = i;
      }
    }
    const [chosen] = this.#waiting.splice(best, 1);
    for (const waiting of this.#waiting) waiting.passed++;
    this.#busy = true;
    chosen.run();
  }

  /** Pulls the first `count` items (or fewer, when the iterable ends) and keeps them for the shard that needs them. */
  async sample(count: number): Promise<readonly T[]> {
    await this.seek(0);
    while (this.#buffered.length < count) {
      const next = await this.#next();
      if (next.done) break;
      this.#buffered.push(next.value);
    }
    return this.#buffered;
  }

  /** Moves to item `index`; false when the iterable ends before it. */
  async seek(index: number): Promise<boolean> {
    if (this.#iterator === undefined || this.#position > index) this.#restart();
    while (this.#position < index) {
      const next = await this.pull();
      if (next.done) return false;
    }
    return true;
  }

  /**
   * The next item (a step of the iterator, or one pulled ahead by `sample`): at once from a synchronous iterable, as a
   * promise from an asynchronous one.
   */
  pull(): IteratorResult<T, unknown> | Promise<IteratorResult<T, unknown>> {
    if (this.#buffered.length > 0) {
      this.#position++;
      return { done: false, value: this.#buffered.shift()! };
    }
    if (this.#ended) return { done: true, value: undefined };
    if (this.#iterator === undefined) this.#restart();
    const next = this.#iterator!.next();
    return this.#sync
      ? this.#took(next as IteratorResult<T, unknown>)
      : (next as Promise<IteratorResult<T, unknown>>).then((result) => this.#took(result));
  }

  #took(next: IteratorResult<T, unknown>): IteratorResult<T, unknown> {
    if (next.done) this.#ended = true;
    else this.#position++;
    return next;
  }

  /** Drops the iterator (after it threw, say): the next shard starts a fresh one. */
  reset(): void {
    const iterator = this.#iterator;
    this.#iterator = undefined;
    this.#buffered.length = 0;
    this.#ended = false;
    try {
      void iterator?.return?.();
    } catch {
      /* closing a failed iterator may throw again */
    }
  }

  async #next(): Promise<IteratorResult<T, unknown>> {
    if (this.#ended) return { done: true, value: undefined };
    if (this.#iterator === undefined) this.#restart();
    const next = await this.#iterator!.next();
    if (next.done) this.#ended = true;
    return next;
  }

  /** The iterator is synchronous: `pull` answers at once. */
  #sync = false;

  #restart(): void {
    this.reset();
    const iterable = this.#factory() as Partial<Iterable<T> & AsyncIterable<T>> | null | undefined;
    this.runs++;
    const asyncIterator = iterable?.[Symbol.asyncIterator];
    const syncIterator = iterable?.[Symbol.iterator];
    this.#sync = typeof asyncIterator !== 'function';
    if (typeof asyncIterator === 'function') this.#iterator = asyncIterator.call(iterable);
    else if (typeof syncIterator === 'function') this.#iterator = syncIterator.call(iterable);
    else
      throw new ConfigError(
        `a sequence's factory must return an iterable or async iterable, got ${iterable === null ? 'null' : typeof iterable}`,
      );
    this.#position = 0;
    this.#ended = false;
  }
}
