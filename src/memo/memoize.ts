import type { AnyFunction, UncheckedFunction } from '../any-function.js';
import { ConfigError, UnsupportedError } from '../errors.js';
import { encodeKey, keyText } from '../keys/encode.js';
import type { MemoHost, MemoStore, SyncMemoStore } from './cache.js';
import { functionIdentity, WRAPPED } from './identity.js';
import { checkTtl } from '../checks.js';
import { keyMaker, validateMemoOptions, type MemoOptions } from './options.js';

export { functionIdentity } from './identity.js';
export type { MemoOptions } from './options.js';

/**
 * Memoized functions, asynchronous (`stash.stashed`, `stash.run`) and synchronous (`stash.sync.stashed`,
 * `stash.sync.run`), with one set of rules: the key is the arguments (with `keyThis`, the key of `this` first), fixed
 * before `fn` runs; a stored result is read unless `force`; a result of null or undefined is cached like any other;
 * a readonly stash is read, never written (a miss computes and returns, as stash.map does). The asynchronous form
 * also shares one computation among concurrent calls with equal arguments; the synchronous one refuses a promise.
 */

/** A memo's function with its sub-stash (typed by the facade as `Memoized` and `SyncMemoized`). */
export type MemoFunction<S> = AnyFunction & { readonly stash: S };

const MISSING: unique symbol = Symbol('missing');

/** The folder below the parent where a function's results live. */
export const functionStashName = (fn: AnyFunction, options: MemoOptions) =>
  `stashed_result/${functionIdentity(fn, options)}`;

/** Checks what a memo is given; shared by the asynchronous and the synchronous forms. */
export function validateMemo(fn: unknown, options: unknown): asserts fn is AnyFunction {
  if (typeof fn !== 'function')
    throw new ConfigError(`a memoized function must be a function, got ${fn === null ? 'null' : typeof fn}`);
  validateMemoOptions(options);
}

/** What both forms make of `fn` and its options: the key of a call, and `getFunc` on the sub-stash. */
function keyRule(options: MemoOptions) {
  const keyOf = keyMaker(options.keyThis);
  /** `getFunc`'s key: with `keyThis`, the instance comes first. */
  const funcKey = options.keyThis ? (args: unknown[]) => keyOf(args[0], args.slice(1)) : (args: unknown[]) => args;
  const ttl = checkTtl('memo', 'ttl', options.ttl);
  // Undefined: the sub-stash's own default ttl applies.
  const writeOptions = ttl === undefined ? undefined : { ttl };
  return { keyOf, funcKey, force: options.force === true, writeOptions };
}

/** The memo, named like `fn`, carrying its sub-stash. */
function finish<S>(memoized: AnyFunction, fn: AnyFunction, stash: S): MemoFunction<S> {
  Object.defineProperty(memoized, 'name', { value: fn.name });
  return Object.assign(memoized, { stash, [WRAPPED]: fn });
}

/**
 * Wraps `fn` so each distinct argument list is computed once and then read from the host's sub-stash
 * `stashed_result/<identity>`; concurrent calls with equal arguments share one computation. `this` is passed to
 * `fn`, and keyed only with `keyThis`.
 */
export function memoize(host: MemoHost, fn: AnyFunction, options: MemoOptions = {}): MemoFunction<MemoStore> {
  validateMemo(fn, options);
  const stash = host.memoStash(functionStashName(fn, options));
  const { keyOf, funcKey, force, writeOptions } = keyRule(options);
  const getFunc = (...args: unknown[]) => stash.get(funcKey(args));
  // On a local engine a hit is read synchronously: no promise until the result is known.
  const syncView = stash.engine.capabilities.sync ? stash.sync : undefined;
  const inFlight = host.inFlight(stash);
  const store = !stash.options.readonly;

  const computeAndStore = async (self: unknown, args: unknown[], key: unknown[]): Promise<unknown> => {
    // Fixed before `fn` runs: a function that changes its arguments must not move its own entry.
    const rawKey = encodeKey(key);
    if (!force && !syncView) {
      const stored = await stash.get(key, MISSING);
      if (stored !== MISSING) return stored;
    }
    const result: unknown = await (fn as UncheckedFunction).apply(self, args);
    if (store) await stash.setByEncodedKey(rawKey, result, writeOptions);
    return result;
  };

  const memoized = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    try {
      const key = keyOf(this, args);
      let id: string | undefined;
      // Computations under way, by the key's canonical text; looked at only when not empty.
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
      const settled = () => {
        inFlight.delete(inFlightId);
      };
      pending.then(settled, settled);
      return pending;
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return finish(memoized, fn, Object.assign(stash, { getFunc }));
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * `stash.sync.stashed`: `fn` memoized on a local engine, staying synchronous. It shares the sub-stash of
 * `stash.stashed(fn)` with the same options. An async function, or one that returns a promise, is refused: its result
 * would be a promise, which cannot be stored.
 */
export function syncMemoize(host: MemoHost, fn: AnyFunction, options: MemoOptions = {}): MemoFunction<SyncMemoStore> {
  validateMemo(fn, options);
  if (fn.constructor.name === 'AsyncFunction' || fn.constructor.name === 'AsyncGeneratorFunction') {
    throw new ConfigError(
      `stash.sync.stashed needs a synchronous function; '${fn.name || 'anonymous'}' is async: use stash.stashed`,
    );
  }
  const parent = host.memoStash(functionStashName(fn, options));
  // `.sync` throws UnsupportedError on an engine that is only asynchronous, as `stash.sync` does.
  const stash = parent.sync;
  const { keyOf, funcKey, force, writeOptions } = keyRule(options);
  const getFunc = (...args: unknown[]) => stash.get(funcKey(args));
  const store = !parent.options.readonly;

  const memoized = function (this: unknown, ...args: unknown[]): unknown {
    const key = keyOf(this, args);
    if (!force) {
      const stored = stash.get(key, MISSING);
      if (stored !== MISSING) return stored;
    }
    const rawKey = encodeKey(key);
    const result = (fn as UncheckedFunction).apply(this, args);
    if (isThenable(result)) {
      throw new UnsupportedError(
        `stash.sync.stashed keeps functions synchronous, but '${fn.name || 'anonymous'}' returned a promise: use stash.stashed`,
      );
    }
    if (store) stash.setByEncodedKey(rawKey, result, writeOptions);
    return result;
  };
  return finish(memoized, fn, Object.assign(stash, { getFunc }));
}

/** `stash.run(fn, ...args)`: the memo of `fn`, made once per stash and function (so its source is hashed once). */
export function runOn(host: MemoHost, fn: AnyFunction, args: unknown[]): Promise<unknown> {
  try {
    const memo = host.runMemo(fn, false, () => memoize(host, fn)) as MemoFunction<MemoStore> & UncheckedFunction;
    return memo(...args) as Promise<unknown>;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `stash.sync.run(fn, ...args)`, likewise. */
export function syncRunOn(host: MemoHost, fn: AnyFunction, args: unknown[]): unknown {
  const memo = host.runMemo(fn, true, () => syncMemoize(host, fn)) as MemoFunction<SyncMemoStore> & UncheckedFunction;
  return memo(...args);
}
