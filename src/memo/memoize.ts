import { ConfigError } from '../errors.js';
import { encodeKey, keyText } from '../keys/encode.js';
import type { HashStash } from '../stash.js';
import { functionIdentity, WRAPPED } from './identity.js';
import { memoStash } from './made.js';
import { keyMaker, validateMemoOptions, type MemoOptions } from './options.js';

export { functionIdentity } from './identity.js';
export { memoStash } from './made.js';
export type { MemoOptions } from './options.js';

/** The sub-stash of one function: iterates as `[args, result]`, and reads a result by call syntax. */
export type FunctionStash<A extends unknown[], R> = HashStash<A, Awaited<R>> & {
  /** The stored result for these arguments, or undefined. With `keyThis`, pass the instance first. */
  getFunc(...args: A | [unknown, ...A]): Promise<Awaited<R> | undefined>;
};

/**
 * A memoized function (`stash.stashed(fn)`, `stashed(fn, options)`): called like `fn`, it returns a promise of the
 * result, computed on the first call with these arguments and read from `stash` after.
 *
 * @typeParam A - `fn`'s parameters.
 * @typeParam R - What `fn` returns (awaited in the result).
 * @typeParam This - `this` of a decorated method.
 */
export type Memoized<A extends unknown[], R, This = unknown> = ((this: This, ...args: A) => Promise<Awaited<R>>) & {
  /** The function's own sub-stash, keyed by the arguments. */
  readonly stash: FunctionStash<A, R>;
};

const MISSING: unique symbol = Symbol('missing');

/** The folder below the parent where a function's results live. */
export const functionStashName = (fn: Function, options: MemoOptions) => `stashed_result/${functionIdentity(fn, options)}`;

/** One map of computations under way per sub-stash, so every memo of one function (run, stashed) shares it. */
const inFlightByStash = new WeakMap<HashStash, Map<string, Promise<unknown>>>();

function inFlightOf(stash: HashStash): Map<string, Promise<unknown>> {
  let inFlight = inFlightByStash.get(stash);
  if (!inFlight) inFlightByStash.set(stash, (inFlight = new Map()));
  return inFlight;
}

/** Checks what a memo is given; shared by the asynchronous and the synchronous forms. */
export function validateMemo(fn: unknown, options: unknown): asserts fn is Function {
  if (typeof fn !== 'function') throw new ConfigError(`a memoized function must be a function, got ${fn === null ? 'null' : typeof fn}`);
  validateMemoOptions(options);
}

/**
 * Wraps `fn` so each distinct argument list is computed once and then read from `parent`'s sub-stash
 * `stashed_result/<identity>`. A result of null or undefined is cached like any other; concurrent calls with
 * equal arguments share one computation. `this` is passed to `fn`, and keyed only with `keyThis`.
 */
export function memoize<A extends unknown[], R, This = unknown>(
  parent: HashStash,
  fn: (this: This, ...args: A) => R | Promise<R>,
  options: MemoOptions<This> = {},
): Memoized<A, R, This> {
  validateMemo(fn, options);
  type Result = Awaited<R>;
  const stash = memoStash<Result>(parent, functionStashName(fn, options)) as unknown as FunctionStash<A, R>;
  const keyOf = keyMaker(options.keyThis as MemoOptions['keyThis']);
  stash.getFunc = options.keyThis
    ? (...args) => stash.get(keyOf(args[0], args.slice(1)) as A)
    : (...args) => stash.get(args as A);
  const force = options.force === true;
  // On a local engine a hit is read synchronously: no promise until the result is known.
  const syncView = stash.engine.capabilities.sync ? stash.sync : undefined;
  // Computations under way, by the key's canonical text; looked at only when not empty.
  const inFlight = inFlightOf(stash) as Map<string, Promise<Result>>;

  // A readonly stash is a cache that is read, never written: a miss computes and returns, as stash.map does.
  const store = !stash.options.readonly;
  const computeAndStore = async (self: This, args: A, key: A): Promise<Result> => {
    // Fixed before `fn` runs: a function that changes its arguments must not move its own entry.
    const rawKey = encodeKey(key);
    if (!force && !syncView) {
      const stored = await stash.get(key, MISSING);
      if (stored !== MISSING) return stored;
    }
    const result = await fn.apply(self, args);
    if (store) await stash.setRaw(rawKey, result);
    return result;
  };

  const memoized = function (this: This, ...args: A): Promise<Result> {
    try {
      const key = keyOf(this, args) as A;
      let id: string | undefined;
      if (inFlight.size !== 0) {
        id = keyText(key);
        const pending = inFlight.get(id);
        if (pending) return pending;
      }
      if (!force && syncView) {
        const stored = syncView.get(key, MISSING);
        if (stored !== MISSING) return Promise.resolve(stored);
      }
      const inFlightId = id ?? keyText(key);
      const pending = computeAndStore(this, args, key);
      inFlight.set(inFlightId, pending);
      const settled = () => { inFlight.delete(inFlightId); };
      pending.then(settled, settled);
      return pending;
    } catch (error) {
      return Promise.reject(error);
    }
  };
  Object.defineProperty(memoized, 'name', { value: fn.name });
  return Object.assign(memoized, { stash, [WRAPPED]: fn });
}

/** The memo `stash.run` uses for `fn`, made once per stash and function (so its source is hashed once). */
export function runOn<A extends unknown[], R>(
  parent: HashStash,
  memos: WeakMap<Function, Memoized<any, any>>,
  fn: (...args: A) => R | Promise<R>,
  args: A,
): Promise<Awaited<R>> {
  let memoized = memos.get(fn) as Memoized<A, R> | undefined;
  if (!memoized) {
    try {
      memos.set(fn, (memoized = memoize(parent, fn)));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return memoized.apply(undefined, args);
}
