/**
 * The tag vocabulary of the hashstash format, shared by the value serializer and the canonical key encoding.
 *
 * A tagged tree is JSON in which a value JSON cannot say is an object whose reserved key `"~"` names what it is:
 *
 *   {"~":"Date","v":1700000000000}        {"~":"Map","v":[[key,value],...]}      {"~":"bigint","v":"12"}
 *
 * Any other object in a tagged tree that has its own `"~"` key is user data and is always written escaped as
 * {"~":"object","v":{...}}, so stored data can never be misread as a tag. A serialized value is either plain JSON
 * (read back with JSON.parse alone) or a tagged tree inside the marker {"~":"hs1","v":tree}; a plain top-level object
 * with its own "~" key always takes the tagged form, so a reader decides which with one property look-up.
 * Canonical keys are tagged trees without the marker.
 *
 * These strings are data on disk: never change or reuse one; add new tags instead.
 */
export const TAG_KEY = '~';

/** Marks a serialized value whose tree must be revived; `v` is the tree. */
export const TAG_TAGGED_ROOT = 'hs1';

/** A reference to an object met earlier in the same value: `i` counts objects in the order they were first written. */
export const TAG_REF = 'ref';
/** A plain object with its own "~" key; `v` holds its properties as they are. */
export const TAG_ESCAPED_OBJECT = 'object';
/** An object with a null prototype; `v` holds its properties. */
export const TAG_NULL_PROTOTYPE = 'null-prototype';
/** An array with holes: `n` is its length, `v` lists its [index, value] pairs in ascending index order. */
export const TAG_SPARSE_ARRAY = 'sparse';

export const TAG_UNDEFINED = 'undefined';
export const TAG_NAN = 'NaN';
export const TAG_INFINITY = 'Infinity';
export const TAG_NEGATIVE_INFINITY = '-Infinity';
export const TAG_NEGATIVE_ZERO = '-0';
/** `v` is the decimal digits. */
export const TAG_BIGINT = 'bigint';

/** `v` is milliseconds since the epoch, or null for an invalid Date. */
export const TAG_DATE = 'Date';
/** `s` is the source, `f` the flags. */
export const TAG_REGEXP = 'RegExp';
/** `v` is the list of [key, value] pairs. */
export const TAG_MAP = 'Map';
/** `v` is the list of members. */
export const TAG_SET = 'Set';
/** `v` is the href. */
export const TAG_URL = 'URL';
/** `v` is base64 of the bytes. The typed arrays use their constructor's name as the tag (see TYPED_ARRAYS). */
export const TAG_BUFFER = 'Buffer';
export const TAG_ARRAY_BUFFER = 'ArrayBuffer';
export const TAG_DATA_VIEW = 'DataView';

/**
 * An Error. `c` names its built-in class (Error, TypeError, ... AggregateError); `k`, when present, the registered
 * subclass to rebuild; `n` its name when that differs from the built-in's; `m` the message; `s` the stack; then
 * `cause`, `errors` (AggregateError) and `p` (other own enumerable properties, like `code`), revived in that order.
 */
export const TAG_ERROR = 'Error';
/**
 * An instance of a class given to registerClass. `c` is the registered name; `p` holds own enumerable properties
 * (default restore: no constructor call), or `v` holds the value the class's own `serialize` returned.
 */
export const TAG_CLASS = 'class';
/** A function: `s` is its source text, `n` its name (keys leave the name out: a function key is its source). */
export const TAG_FUNCTION = 'function';
