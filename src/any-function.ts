/**
 * The function types the memo, serializer and parallel code take from users: any function whatever its parameters
 * (what the `Function` type meant here, without letting it be called with unchecked arguments).
 */

/** Any function: every function type is assignable to it (the top type of functions). */
export type AnyFunction = (...args: never[]) => unknown;

/** Any constructor, abstract or not: a class, or a built-in such as `Map` or `Error`. */
export type AnyConstructor = abstract new (...args: never[]) => unknown;

/** A function called with arguments it was not typed for: the caller vouches for them (the user's memoized function). */
export type UncheckedFunction = (...args: unknown[]) => unknown;

/** True for any function (a class included: it is narrowed as a function it can also be called as). */
export const isFunction = (value: unknown): value is AnyFunction => typeof value === 'function';
