import { ConfigError, IndexOutOfRangeError } from '../errors.js';

/** What a view reads from: a sequence, or another view. */
export interface IndexSource<T> {
  /** Item `index` (negative counts from the end). */
  at(index: number): Promise<T>;
  /** The number of items, found if need be. */
  length(options?: { readonly signal?: AbortSignal | undefined }): Promise<number>;
  /** The number of items when known without reading; null otherwise. */
  readonly knownLength: number | null;
}

/** Which items of the source a view holds: `count` of them (null: until the source ends), the n-th at `index(n)`. */
interface Plan {
  readonly count: number | null;
  index(n: number): number;
}

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

function checkBound(name: string, value: unknown): void {
  if (value !== undefined && !isInteger(value)) {
    throw new ConfigError(
      `slice ${name} must be an integer or undefined, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
}

/** Python's `slice(start, stop, step).indices(length)`, as a plan. */
function slicePlan(start: number | undefined, stop: number | undefined, step: number, length: number): Plan {
  const lower = step < 0 ? -1 : 0;
  const upper = step < 0 ? length - 1 : length;
  const clamp = (bound: number | undefined, missing: number): number => {
    if (bound === undefined) return missing;
    const at = bound < 0 ? bound + length : bound;
    return Math.min(Math.max(at, lower), upper);
  };
  const first = clamp(start, step < 0 ? upper : lower);
  const end = clamp(stop, step < 0 ? lower : upper);
  const count = step > 0 ? Math.max(0, Math.ceil((end - first) / step)) : Math.max(0, Math.ceil((first - end) / -step));
  return { count, index: (n) => first + n * step };
}

/**
 * A lazy view of some items of a sequence (`seq.slice(…)`, `seq.pick(…)`): indexed, measured and iterated like the
 * sequence, reading its items from it only when asked. Views of views compose.
 *
 * @typeParam T - The items' type.
 */
export class SequenceView<T> implements AsyncIterable<T>, IndexSource<T> {
  readonly #source: IndexSource<T>;
  /** The plan when it needs no length, or once the source's length is known. */
  #plan: Plan | undefined;
  readonly #planFor: (length: number) => Plan;

  private constructor(source: IndexSource<T>, plan: Plan | undefined, planFor: (length: number) => Plan) {
    this.#source = source;
    this.#plan = plan;
    this.#planFor = planFor;
  }

  /** @internal `seq.slice(start, stop, step)`. */
  static slice<T>(
    source: IndexSource<T>,
    start: number | undefined,
    stop: number | undefined,
    step = 1,
  ): SequenceView<T> {
    checkBound('start', start);
    checkBound('stop', stop);
    if (!isInteger(step) || step === 0)
      throw new ConfigError(
        `slice step must be a non-zero integer, got ${typeof step === 'number' ? step : typeof step}`,
      );
    const planFor = (length: number) => slicePlan(start, stop, step, length);
    const known = source.knownLength;
    const needsLength = step < 0 || (start !== undefined && start < 0) || (stop !== undefined && stop < 0);
    let plan: Plan | undefined;
    if (known !== null) plan = planFor(known);
    else if (!needsLength) {
      const first = start ?? 0;
      plan = {
        count: stop === undefined ? null : Math.max(0, Math.ceil((stop - first) / step)),
        index: (n) => first + n * step,
      };
    }
    return new SequenceView(source, plan, planFor);
  }

  /** @internal `seq.pick(indices)`. */
  static pick<T>(source: IndexSource<T>, indices: Iterable<number>): SequenceView<T> {
    const list = [...indices];
    for (const index of list) {
      if (!isInteger(index))
        throw new IndexOutOfRangeError(
          `a sequence index must be an integer, got ${typeof index === 'number' ? index : typeof index}`,
          index,
          undefined,
        );
    }
    const plan: Plan = { count: list.length, index: (n) => list[n] };
    return new SequenceView(source, plan, () => plan);
  }

  /** The number of items when known without reading; null otherwise (or for a view running to an unknown end). */
  get knownLength(): number | null {
    return this.#plan?.count ?? null;
  }

  /** The number of items (the source's length is found first when the view's bounds need it). */
  async length(options: { readonly signal?: AbortSignal | undefined } = {}): Promise<number> {
    const plan =
      this.#plan?.count === null || this.#plan === undefined ? await this.#fullPlan(options.signal) : this.#plan;
    return plan.count!;
  }

  /**
   * Item `n` of the view (negative counts from its end).
   *
   * @throws {@link IndexOutOfRangeError} outside the view, or for an index that is not an integer.
   */
  async at(n: number): Promise<T> {
    if (!isInteger(n))
      throw new IndexOutOfRangeError(
        `a sequence index must be an integer, got ${typeof n === 'number' ? n : typeof n}`,
        n,
        this.knownLength ?? undefined,
      );
    let plan = this.#plan;
    if (plan === undefined || (n < 0 && plan.count === null)) plan = await this.#fullPlan();
    const count = plan.count;
    const i = n < 0 ? n + count! : n;
    if (i < 0 || (count !== null && i >= count))
      throw new IndexOutOfRangeError(`index ${n} is out of range for a view of ${count} items`, n, count ?? undefined);
    // A picked negative index counts from the source's end: the source resolves it.
    return this.#source.at(plan.index(i));
  }

  /** Every item of the view in order; a view without an end stops where the source ends. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    const plan = this.#plan ?? (await this.#fullPlan());
    for (let n = 0; plan.count === null || n < plan.count; n++) {
      const index = plan.index(n);
      if (plan.count === null) {
        const known = this.#source.knownLength;
        if (known !== null && index >= known) return;
        try {
          yield await this.#source.at(index);
        } catch (error) {
          if (error instanceof IndexOutOfRangeError) return;
          throw error;
        }
      } else yield await this.#source.at(index);
    }
  }

  /** A view of this view, as {@link Sequence.slice}. */
  slice(start?: number, stop?: number, step?: number): SequenceView<T> {
    return SequenceView.slice(this, start, stop, step);
  }

  /** A view of this view's items at `indices`, as {@link Sequence.pick}. */
  pick(indices: Iterable<number>): SequenceView<T> {
    return SequenceView.pick(this, indices);
  }

  async #fullPlan(signal?: AbortSignal): Promise<Plan> {
    const plan = this.#planFor(await this.#source.length({ signal }));
    this.#plan = plan;
    return plan;
  }
}
