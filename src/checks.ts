import { Buffer } from 'node:buffer';
import { ConfigError } from './errors.js';
import { parseTtl } from './ttl.js';

/**
 * The checks every options object makes, written once: the stash's own options (options.ts), memo options,
 * `stash.map` options, record and print options. Each failure is a ConfigError whose message names the option and
 * shows the value given: `<scope> option '<name>' must be <expected>, got <value>`. An undefined value passes: the
 * default applies.
 */

/** A string quoted for a message: control characters escaped, and a long one cut, with its full length in bytes. */
export function shown(text: string): string {
  const chars = Array.from(text);
  const long = chars.length > 240;
  const escaped = (long ? `${chars.slice(0, 200).join('')}…` : text).replace(
    // eslint-disable-next-line no-control-regex -- control characters are what this shows escaped
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return long ? `'${escaped}' (${Buffer.byteLength(text)} bytes)` : `'${escaped}'`;
}

/** A value as a message shows it: a string quoted, an object by its tag, anything else by its type and value. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return shown(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return Object.prototype.toString.call(value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only primitives and functions are left, not objects
  return `${typeof value} ${String(value)}`;
}

const label = (scope: string, name: string) => `${scope ? `${scope} ` : ''}option '${name}'`;

/** ConfigError: `<scope> option '<name>' must be <expected>, got <value>`. */
export function failOption(scope: string, name: string, expected: string, value: unknown): never {
  throw new ConfigError(`${label(scope, name)} must be ${expected}, got ${describe(value)}`);
}

/**
 * Checks that `options` is a plain options object (not null, not an array) with only the `known` names.
 *
 * @param noun - What the object is called in a message: `<scope> options` unless given.
 */
export function checkOptionsObject(
  scope: string,
  options: unknown,
  known: Iterable<string>,
  noun = `${scope} options`,
): asserts options is object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(`${noun} must be an object, got ${describe(options)}`);
  }
  const names = [...known];
  for (const key of Object.keys(options)) {
    if (!names.includes(key))
      throw new ConfigError(`unknown ${label(scope, key)}; valid options are ${names.join(', ')}`);
  }
}

/** Checks `typeof value` (undefined passes). */
export function checkType(
  scope: string,
  name: string,
  value: unknown,
  type: 'string' | 'boolean' | 'number' | 'function',
): void {
  if (value !== undefined && typeof value !== type)
    failOption(scope, name, type === 'function' ? 'a function' : `a ${type}`, value);
}

/** `value` when it is one of `allowed`; otherwise ConfigError listing them. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(
      `unknown ${name} ${describe(value)}; expected one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
    );
  }
  return value as T;
}

/** Checks for an integer of at least `min` (undefined passes). */
export function checkInteger(scope: string, name: string, value: unknown, min: number): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < min)) {
    failOption(scope, name, min === 1 ? 'a positive integer' : `an integer of at least ${min}`, value);
  }
}

/**
 * A ttl option in ms (undefined passes: no expiry, or the default): ConfigError naming the option for zero, a negative
 * number, NaN, an unknown unit or a value of another type (see `parseTtl`).
 */
export function checkTtl(scope: string, name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : parseTtl(value, label(scope, name));
}
