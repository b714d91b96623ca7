import { isFunction, type AnyConstructor, type AnyFunction, type UncheckedFunction } from '../any-function.js';
import { DecodeError } from '../errors.js';

/**
 * A function read back from storage without running any code: its name and its source text.
 * Stash values come back as StoredFunction unless the stash was opened with `trustCode: true`;
 * storing a StoredFunction again stores the same function.
 */
export class StoredFunction {
  /**
   * A stored function as data; nothing is evaluated.
   *
   * @param name - The function's name (`''` for an anonymous one).
   * @param source - Its source text, as `Function.prototype.toString` gives it.
   */
  constructor(
    /** The function's name (`''` for an anonymous one). */
    readonly name: string,
    /** Its source text, as `Function.prototype.toString` gives it. */
    readonly source: string,
  ) {}

  /** The source text. */
  toString(): string {
    return this.source;
  }

  /** `{ name, source }`, for `JSON.stringify`. */
  toJSON(): {
    /** The function's name. */
    name: string;
    /** Its source text. */
    source: string;
  } {
    return { name: this.name, source: this.source };
  }

  /**
   * RUNS CODE: evaluates the stored source in the global scope and returns the function it defines.
   * Only call this on data you trust. The function sees globals only: variables it closed over when it was stored are gone.
   * Throws a DecodeError when the source does not parse (its `cause` is the SyntaxError) or is not a function.
   */
  toFunction(): UncheckedFunction {
    return evaluateFunctionSource(this.source);
  }
}

const NATIVE_CODE = /\{\s*\[native code\]\s*\}\s*$/;

/** The source text that recreates `fn`, or undefined for native and bound functions, which have none. */
export function functionSource(fn: AnyFunction | AnyConstructor): string | undefined {
  const source = Function.prototype.toString.call(fn);
  return NATIVE_CODE.test(source) ? undefined : source;
}

/**
 * Source text takes one of two shapes. Function and class expressions, declarations and arrow functions evaluate as
 * an expression. Methods (`foo(x) { … }`, `async *gen() { … }`, `get size() { … }`, `[Symbol.iterator]() { … }`)
 * are only valid inside a class or object literal, so they are evaluated as the one member of an object literal.
 * Code is tried in strict mode first (ES modules and classes are strict) and in sloppy mode when strict mode rejects it.
 */
export function evaluateFunctionSource(source: string): UncheckedFunction {
  let firstError: unknown;
  for (const strictness of ['"use strict";', '']) {
    try {
      return evaluateAsExpression(source, strictness);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      firstError ??= error;
    }
    try {
      return evaluateAsMethod(source, strictness);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
  }
  throw new DecodeError('hashstash: the stored source is not a function that can be evaluated', { cause: firstError });
}

/** Runs `body` as a function body in the global scope: evaluating stored source is this module's job. */
function evaluate(body: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- on purpose, only with trustCode or toFunction()
  const run = new Function(body) as () => unknown;
  return run();
}

function evaluateAsExpression(source: string, strictness: string): UncheckedFunction {
  const value = evaluate(`${strictness}return (${source}\n);`);
  if (!isFunction(value)) throw new DecodeError('hashstash: the stored source does not evaluate to a function');
  return value as UncheckedFunction;
}

function evaluateAsMethod(source: string, strictness: string): UncheckedFunction {
  const holder = evaluate(`${strictness}return {${source}\n};`) as object;
  const keys = Reflect.ownKeys(holder);
  if (keys.length !== 1) throw new DecodeError('hashstash: the stored source is not a single method');
  const descriptor = Object.getOwnPropertyDescriptor(holder, keys[0])!;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the accessor is the evaluated method itself, not called here
  const method: unknown = descriptor.get ?? descriptor.set ?? descriptor.value;
  if (!isFunction(method)) throw new DecodeError('hashstash: the stored source is not a method');
  return method as UncheckedFunction;
}
