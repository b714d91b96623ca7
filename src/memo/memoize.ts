import { hash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { encodeKey } from '../keys/encode.js';
import type { HashStash } from '../stash.js';

export interface MemoOptions {
  /** Recompute and overwrite instead of reading a stored result. */
  force?: boolean;
  /** Fix the function's identity by hand instead of name + hash of its source. */
  name?: string;
  /** With `name`: a version that starts a fresh sub-stash when bumped. */
  version?: string | number;
}

/** The sub-stash of one function: iterates as `[args, result]`, and reads a result by call syntax. */
export type FunctionStash<A extends unknown[], R> = HashStash<A, Awaited<R>> & {
  /** The stored result for these arguments, or undefined. */
  getFunc(...args: A): Promise<Awaited<R> | undefined>;
};

export type Memoized<A extends unknown[], R> = ((...args: A) => Promise<Awaited<R>>) & {
  readonly stash: FunctionStash<A, R>;
};

const MISSING: unique symbol = Symbol('missing');
const MEMO_OPTIONS = new Set(['force', 'name', 'version']);

/** `<name>.<first 12 hex of sha256(source)>`: editing the body starts a fresh sub-stash. */
export function functionIdentity(fn: Function, options: MemoOptions): string {
  if (options.name !== undefined) {
    return options.version === undefined ? options.name : `${options.name}.v${options.version}`;
  }
  const name = fn.name && /^[\w$.-]+$/.test(fn.name) ? fn.name : 'anonymous';
  return `${name}.${hash('sha256', fn.toString(), 'hex').slice(0, 12)}`;
}

function validate(fn: unknown, options: MemoOptions): void {
  if (typeof fn !== 'function') throw new ConfigError(`a memoized function must be a function, got ${typeof fn}`);
  for (const key of Object.keys(options)) {
    if (!MEMO_OPTIONS.has(key)) throw new ConfigError(`unknown memo option '${key}'; valid options are force, name, version`);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || !/^[\w$.-]+$/.test(options.name))) {
    throw new ConfigError(`memo option 'name' must be a non-empty string of letters, digits, '_', '$', '.', '-'`);
  }
}

/**
 * Wraps `fn` so each distinct argument list is computed once and then read from `parent`'s sub-stash
 * `stashed_result/<identity>`. A result of null or undefined is cached like any other; concurrent calls with
 * equal arguments share one computation.
 */
export function memoize<A extends unknown[], R>(
  parent: HashStash,
  fn: (...args: A) => R | Promise<R>,
  options: MemoOptions = {},
): Memoized<A, R> {
  validate(fn, options);
  const stash = parent.sub<A, Awaited<R>>(`stashed_result/${functionIdentity(fn, options)}`) as FunctionStash<A, R>;
  stash.getFunc = (...args: A) => stash.get(args);
  const inFlight = new Map<string, Promise<Awaited<R>>>();

  const compute = async (args: A): Promise<Awaited<R>> => {
    if (!options.force) {
      const stored = await stash.get(args, MISSING);
      if (stored !== MISSING) return stored;
    }
    const result = await fn(...args);
    await stash.set(args, result);
    return result;
  };

  const memoized = (...args: A): Promise<Awaited<R>> => {
    const id = Buffer.from(encodeKey(args)).toString('latin1');
    let pending = inFlight.get(id);
    if (!pending) {
      pending = compute(args).finally(() => inFlight.delete(id));
      inFlight.set(id, pending);
    }
    return pending;
  };
  return Object.assign(memoized, { stash });
}
