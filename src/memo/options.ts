import { checkOptionsObject, checkTtl, checkType, failOption } from '../checks.js';
import type { Ttl } from '../ttl.js';
import { registeredClassOf } from '../serializers/classes.js';

/**
 * How a function is memoized: the options of `stash.stashed`, `stash.sync.stashed` and the method decorators (with
 * the stash's options, those of the standalone `stashed`). An unknown or ill-typed option throws ConfigError.
 *
 * @typeParam This - `this` of a decorated method, as `keyThis` receives it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- public default: without `This`, keyThis may take any instance type
export interface MemoOptions<This = any> {
  /** Recompute and overwrite instead of reading a stored result. */
  force?: boolean | undefined;
  /** Fix the function's identity by hand instead of name + hash of its source. */
  name?: string | undefined;
  /** With or without `name`: a version that starts a fresh sub-stash when bumped. */
  version?: string | number | undefined;
  /**
   * Make `this` (the instance, for a method) part of the key, as the first element before the arguments: a function
   * keys by what it returns for `this`; `true` by `this` itself, where an instance of a class that is not registered
   * (registerClass) counts as the plain object of its own enumerable fields. Unset, `this` is passed along, not keyed.
   */
  keyThis?: boolean | ((self: This) => unknown) | undefined;
  /**
   * How long a stored result is used: ms, or a duration like `'30s'`, `'1h'`, `'7d'`. Once it expires the next call
   * computes it again. Unset: the stash's `ttl` option (none: results never expire).
   */
  ttl?: Ttl | undefined;
}

export const MEMO_OPTION_NAMES = ['force', 'name', 'version', 'keyThis', 'ttl'] as const;

/** Letters, digits and `_ $ . -`: what a function identity may hold, as it becomes one folder name. */
export const IDENTITY_NAME = /^[\w$.-]{1,100}$/;

/** Checks memo options: ConfigError naming an unknown or ill-typed one. */
export function validateMemoOptions(options: unknown): asserts options is MemoOptions {
  checkOptionsObject('memo', options, MEMO_OPTION_NAMES);
  const { force, name, version, keyThis, ttl } = options as MemoOptions;
  checkTtl('memo', 'ttl', ttl);
  checkType('memo', 'force', force, 'boolean');
  if (name !== undefined && (typeof name !== 'string' || !IDENTITY_NAME.test(name) || /^\.+$/.test(name))) {
    failOption('memo', 'name', `1-100 letters, digits, '_', '$', '.' or '-' (not only dots)`, name);
  }
  if (
    version !== undefined &&
    !(typeof version === 'number' && Number.isFinite(version)) &&
    !(typeof version === 'string' && IDENTITY_NAME.test(version))
  ) {
    failOption('memo', 'version', `a finite number or a string of letters, digits, '_', '$', '.', '-'`, version);
  }
  if (keyThis !== undefined && typeof keyThis !== 'boolean' && typeof keyThis !== 'function') {
    failOption('memo', 'keyThis', 'a boolean or a function of the instance', keyThis);
  }
}

/** Splits `stashed(fn, options)`'s one options object into the stash's options and the memo's. */
export function splitMemoOptions(options: object): { stashOptions: Record<string, unknown>; memoOptions: MemoOptions } {
  const stashOptions: Record<string, unknown> = { ...options };
  const memoOptions: Record<string, unknown> = {};
  for (const key of MEMO_OPTION_NAMES) {
    if (key in stashOptions) {
      memoOptions[key] = stashOptions[key];
      delete stashOptions[key];
    }
  }
  return { stashOptions, memoOptions };
}

/**
 * The stored key of one call: the arguments array, or with `keyThis` `[key of this, ...arguments]`. Without `keyThis`
 * the arguments array itself is the key (no copy on the hot path).
 */
export function keyMaker(keyThis: MemoOptions['keyThis']): (self: unknown, args: unknown[]) => unknown[] {
  if (keyThis === undefined || keyThis === false) return (_self, args) => args;
  if (keyThis === true) return (self, args) => [instanceKey(self), ...args];
  return (self, args) => [keyThis(self), ...args];
}

/** Prototypes of user-written classes (their constructor's source starts with `class`), found once each. */
const classPrototypes = new WeakMap<object, boolean>();

function isUnregisteredClassInstance(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === null || prototype === Object.prototype) return false;
  let isClass = classPrototypes.get(prototype);
  if (isClass === undefined) {
    const ctor = (prototype as { constructor?: unknown }).constructor;
    isClass = typeof ctor === 'function' && Function.prototype.toString.call(ctor).startsWith('class');
    classPrototypes.set(prototype, isClass);
  }
  return isClass && !registeredClassOf(prototype);
}

/** `this` as a key for `keyThis: true`: an unregistered class instance by its own enumerable fields. */
function instanceKey(self: unknown): unknown {
  return typeof self === 'object' && self !== null && isUnregisteredClassInstance(self) ? { ...self } : self;
}
