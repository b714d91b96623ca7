import { isFunction, type AnyFunction } from '../any-function.js';
import { ConfigError } from '../errors.js';
import { validateMemoOptions, type MemoOptions } from './options.js';

/** Wraps one function with the memo options given; which stash it goes to is the caller's. */
export type MakeMemo = (fn: AnyFunction, options: MemoOptions) => AnyFunction;

/** True for the second argument a decorator receives: `{ kind, name, addInitializer, … }`. */
export function isDecoratorContext(value: unknown): value is DecoratorContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === 'string' &&
    typeof (value as { addInitializer?: unknown }).addInitializer === 'function'
  );
}

/** The memo of a decorated method; anything else decorated (a getter, a field, a class) is refused. */
export function decorateMethod(
  method: unknown,
  context: DecoratorContext,
  options: MemoOptions,
  make: MakeMemo,
): AnyFunction {
  const name = String(context.name ?? 'the class');
  if (context.kind !== 'method') {
    const advice = context.kind === 'getter' ? ': a getter takes no arguments to key by; make it a method' : '';
    throw new ConfigError(`@stashed decorates methods, and '${name}' is a ${context.kind}${advice}`);
  }
  if (!isFunction(method)) throw new ConfigError(`@stashed was given a method '${name}' that is not a function`);
  return make(method, options);
}

/**
 * The three ways `stashed` is called, told apart by their arguments:
 * - `stashed(fn, options?)`: a function → its memo;
 * - `@stashed` (applied directly): a function and a decorator context → the memo of that method;
 * - `@stashed(options?)`: no function → a decorator, checking the options now, at class definition.
 */
export function memoOrDecorator(
  first: unknown,
  second: unknown,
  make: MakeMemo,
  check: (options: object) => void = validateMemoOptions,
): unknown {
  if (isFunction(first)) {
    if (isDecoratorContext(second)) return decorateMethod(first, second, {}, make);
    if (second !== undefined && (typeof second !== 'object' || second === null)) {
      throw new ConfigError(
        `stashed(fn, options): options must be an object, got ${second === null ? 'null' : typeof second}`,
      );
    }
    return make(first, (second ?? {}) as MemoOptions);
  }
  if (second !== undefined) {
    throw new ConfigError(
      `stashed(options) as a decorator factory takes one argument; to memoize a function, pass it first`,
    );
  }
  if (first !== undefined && (typeof first !== 'object' || first === null || Array.isArray(first))) {
    throw new ConfigError(
      `stashed expects a function or an options object, got ${first === null ? 'null' : typeof first}`,
    );
  }
  const options = (first ?? {}) as MemoOptions;
  check(options);
  return (method: unknown, context: unknown) => {
    if (!isDecoratorContext(context)) {
      throw new ConfigError(`the decorator from stashed(options) must be applied with @ to a class method`);
    }
    return decorateMethod(method, context, options, make);
  };
}
