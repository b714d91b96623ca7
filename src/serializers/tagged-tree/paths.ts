import { SerializationError } from '../../errors.js';
import { nestingDepth } from '../nesting-depth.js';
import { isStringTooLong, TEXT_TOO_LONG } from '../text-limit.js';

/**
 * Where a value sits inside the value being written, as SerializationError reports it:
 *
 *   $                 the value itself
 *   $.a.b[3]          property `a`, its property `b`, index 3
 *   $["weird key"]    a property whose name is not an identifier (JSON-quoted)
 *   $.m<key 2>        the key of a Map's third entry (in iteration order); $.m<value 2> its value
 *   $.s<member 0>     a Set's first member
 *   $.e.cause         an Error's cause; $.e.errors[1] an AggregateError's second error
 *   $.x<Point data>   what registerClass's `serialize` returned for a Point
 *
 * Segments are added while an error unwinds, so writing a value costs nothing for paths.
 */
export class UnsupportedAtPath {
  /** Innermost segment first. */
  readonly segments: string[] = [];
  constructor(
    readonly message: string,
    readonly cause?: unknown,
  ) {}

  toSerializationError(): SerializationError {
    const path = '$' + this.segments.reverse().join('');
    return new SerializationError(this.message, path, this.cause === undefined ? undefined : { cause: this.cause });
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function propertySegment(key: string): string {
  return IDENTIFIER.test(key) ? '.' + key : '[' + JSON.stringify(key) + ']';
}

export function indexSegment(index: number): string {
  return '[' + index + ']';
}

/**
 * Adds the segment to an UnsupportedAtPath passing outwards; other errors (a throwing getter) pass unchanged, except
 * text grown past V8's string limit, which is located where it passed the limit.
 */
export function withSegment(error: unknown, segment: string): unknown {
  const located = isStringTooLong(error) ? new UnsupportedAtPath(TEXT_TOO_LONG, error) : error;
  if (located instanceof UnsupportedAtPath) located.segments.push(segment);
  return located;
}

/** The RangeError V8 throws when recursion runs out of stack: for a value, that means it is nested too deeply. */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

/** The SerializationError for a value whose recursion ran out of stack, with how deep it nests. */
export function tooDeep(cause: unknown, value: unknown): SerializationError {
  const depth = nestingDepth(value);
  const levels = depth === undefined ? '' : ` (${depth} levels, more than the call stack holds)`;
  return new SerializationError(
    `the value is nested too deeply to serialize${levels}; flatten it, or store its parts`,
    '$',
    { cause },
  );
}
