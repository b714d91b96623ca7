import { HashStashError } from '../errors.js';

const PENDING = 0;
const OK = 1;
const FAILED = 2;

/**
 * The results of one map as they arrive: a value or an error per item, the order they finished in, and a way to
 * wait for the next change. Iterators read it in input order or in completion order; a failed item is thrown only
 * once the whole map has finished (so everything else is stored by then), as is a map-level failure (an abort, a
 * write that failed) at the first item it left unfinished.
 */
export class ResultBoard<R> {
  readonly values: (R | undefined)[];
  readonly #states: Uint8Array;
  readonly #errors = new Map<number, unknown>();
  /** Item indices in the order they finished: the first #completed of them. */
  readonly #completion: Uint32Array;
  #completed = 0;
  #fatal: { error: unknown } | undefined;
  #finished = false;
  #finishedSignal: Promise<void>;
  #resolveFinished!: () => void;
  #change: Promise<void> | undefined;
  #resolveChange: (() => void) | undefined;
  done = 0;
  cached = 0;
  failed = 0;

  constructor(readonly total: number) {
    // Filled by push: `new Array(total)` of a large total is a slow dictionary-mode array in V8.
    this.values = [];
    for (let index = 0; index < total; index++) this.values.push(undefined);
    this.#states = new Uint8Array(total);
    this.#completion = new Uint32Array(total);
    this.#finishedSignal = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  get pending(): number {
    return this.total - this.done - this.cached - this.failed;
  }
  get fatal(): { error: unknown } | undefined {
    return this.#fatal;
  }
  isPending(index: number): boolean {
    return this.#states[index] === PENDING;
  }

  /** Resolves once every item finished or the map stopped, and everything finished was stored. */
  whenFinished(): Promise<void> {
    return this.#finishedSignal;
  }

  settle(index: number, value: R, cached: boolean): void {
    if (this.#states[index] !== PENDING) return;
    this.#states[index] = OK;
    this.values[index] = value;
    this.#completion[this.#completed++] = index;
    if (cached) this.cached++;
    else this.done++;
  }

  fail(index: number, error: unknown): void {
    if (this.#states[index] !== PENDING) return;
    this.#states[index] = FAILED;
    this.#errors.set(index, error);
    this.#completion[this.#completed++] = index;
    this.failed++;
  }

  /** The map stopped (abort, storage error…); the first reason is kept. */
  stop(error: unknown): void {
    if (!this.#fatal) this.#fatal = { error };
    this.notify();
  }

  finish(): void {
    this.#finished = true;
    this.#resolveFinished();
    this.notify();
  }

  /** Wakes whoever waits for a change; called once per batch of settled items. */
  notify(): void {
    const resolve = this.#resolveChange;
    this.#change = this.#resolveChange = undefined;
    resolve?.();
  }

  #nextChange(): Promise<void> {
    return (this.#change ??= new Promise((resolve) => {
      this.#resolveChange = resolve;
    }));
  }

  /** The first failure in input order, or the map-level one. */
  firstError(): { error: unknown } | undefined {
    if (this.#fatal) return this.#fatal;
    if (this.failed === 0) return undefined;
    for (let index = 0; index < this.total; index++)
      if (this.#states[index] === FAILED) return { error: this.#errors.get(index) };
    return undefined;
  }

  /**
   * Every item as it finishes, in completion order, failed ones included (`project(index, error)` with the error):
   * nothing is thrown for an item. Throws only where the map stopped (an abort, a write that failed), once the board
   * has finished; ends once every result is stored.
   */
  iterateSettled<T>(project: (index: number, failure: { error: unknown } | undefined) => T): AsyncIterableIterator<T> {
    let position = 0;
    return stepper(async (state): Promise<IteratorResult<T>> => {
      for (;;) {
        if (position >= this.total) return this.#ended(state);
        if (position < this.#completed) {
          const index = this.#completion[position++];
          const failure = this.#states[index] === FAILED ? { error: this.#errors.get(index) } : undefined;
          return { value: project(index, failure), done: false };
        }
        await this.#more(state);
      }
    });
  }

  /**
   * Results as they become available, as `project(index)`: in input order or in completion order. Throws at a failed
   * item, or where the map stopped, once the board has finished; the last step waits until every result is stored.
   */
  iterate<T>(ordered: boolean, project: (index: number) => T): AsyncIterableIterator<T> {
    let position = 0;
    return stepper(async (state): Promise<IteratorResult<T>> => {
      for (;;) {
        if (position >= this.total) return this.#ended(state);
        const index = ordered ? position : position < this.#completed ? this.#completion[position] : -1;
        if (index < 0 || this.#states[index] === PENDING) {
          await this.#more(state);
          continue;
        }
        if (this.#states[index] === FAILED) {
          state.closed = true;
          await this.#finishedSignal;
          throw this.#errors.get(index);
        }
        position++;
        return { value: project(index), done: false };
      }
    });
  }

  /** The last step of an iteration: once every result is stored (the last may still be on its way), or where the map stopped. */
  async #ended(state: StepperState): Promise<IteratorResult<never>> {
    state.closed = true;
    await this.#finishedSignal;
    if (this.#fatal) throw this.#fatal.error;
    return { value: undefined, done: true };
  }

  /** Waits for the next change; throws, once the board has finished, when none can come (the map stopped or ended). */
  async #more(state: StepperState): Promise<void> {
    if (this.#fatal || this.#finished) {
      state.closed = true;
      await this.#finishedSignal;
      throw this.#fatal ? this.#fatal.error : new HashStashError('stash.map finished with an item unsettled');
    }
    await this.#nextChange();
  }
}

interface StepperState {
  /** Set by a step that ends the iteration (its last result, or a throw), and by `return()`. */
  closed: boolean;
}

/**
 * An iterator whose `next()` is `step(state)` until a step or `return()` closes it: a plain object rather than an
 * async generator, one promise per step, which matters when 100,000 stored results stream out.
 */
function stepper<T>(step: (state: StepperState) => Promise<IteratorResult<T>>): AsyncIterableIterator<T> {
  const state: StepperState = { closed: false };
  return {
    next: () => (state.closed ? Promise.resolve({ value: undefined, done: true }) : step(state)),
    return: async () => {
      state.closed = true;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
