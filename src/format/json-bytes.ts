import { Buffer, isAscii, isUtf8 } from 'node:buffer';
import { loadKernel, MAX_KERNEL_BYTES, type Kernel, type SlicingBuffer } from './kernel.js';

/**
 * JSON.parse straight from UTF-8 bytes, without first decoding the whole text into a string for it. Two kinds of text
 * go through here, the two the read path meets most:
 * - small text (at most 1 KB: the small record is 77 bytes), read in JS: short strings by String.fromCharCode, object
 *   keys from a cache of recent keys, numbers with an exact mantissa by one division, and objects of a shape met
 *   before by an object literal (V8 then lays each out at once);
 * - large text made mostly of long strings (32 KB to 4 MB, at most 64 values: the 100 KB record). JSON.parse of such
 *   text spends its time scanning each string for its end, one character at a time, after the bytes were copied into
 *   a string whole; here a SIMD scan (WebAssembly, kernel.wat) finds where each string ends, and each string is copied
 *   once, from the bytes, into the string that is returned.
 *
 * It reads exactly JSON, and gives exactly what JSON.parse gives, or NOT_PARSED, and then the caller runs JSON.parse:
 * for anything not handled here (escapes in large text, a "__proto__" key, too many values, deep nesting), for
 * anything that is not valid (so the error is JSON.parse's), and, for large text, where WebAssembly is not available.
 */
export const NOT_PARSED: unique symbol = Symbol('not parsed');

/** Text shorter than this goes to JSON.parse: the copy into the kernel's memory would not pay for itself. */
export const MIN_BYTES = 32 * 1024;
/**
 * More values than this and JSON.parse takes over: its per-value cost is lower than ours, so text of many small values
 * (an array of numbers) is its own; this bounds what a fallback wastes to a few microseconds.
 */
const MAX_TOKENS = 64;
const MAX_DEPTH = 32;
/** Strings up to this long are scanned by a JS loop: calling the kernel costs more. */
const SHORT_SCAN = 32;
/** Strings up to this long are decoded as UTF-8 at once; longer ones ask isAscii first, a faster scan than UTF-8's. */
const SHORT_STRING = 1024;

/** Text up to this long is read here in JS whatever it holds (the small record: 77 bytes). */
export const SMALL_MAX_BYTES = 1024;

// The parse in progress: synchronous and calling no user code, so one set of variables serves every call.
let maxTokens = MAX_TOKENS;
/** Small text: strings are scanned in JS, and a string with escapes is read by JSON.parse alone. */
let small = false;
let bytes: SlicingBuffer;
/** `bytes` index − kernel memory index. */
let shift = 0;
let at = 0;
let end = 0;
let tokens = 0;
let scan: Kernel['scan'];

/**
 * The JSON value of `source[start, stop)`, UTF-8; NOT_PARSED when JSON.parse should say (see above). With `inKernel`,
 * `source` is the kernel's memory (the lz4 read path decoded into it) and nothing is copied.
 */
export function parseJsonBytes(source: Uint8Array, start: number, stop: number, inKernel = false): unknown {
  const length = stop - start;
  if (length < MIN_BYTES || length > MAX_KERNEL_BYTES) return NOT_PARSED;
  const kernel = loadKernel();
  if (kernel === null) return NOT_PARSED;
  const buffer = (
    source instanceof Buffer ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength)
  ) as SlicingBuffer;
  if (!inKernel)
    kernel.memory(length).set(start === 0 && stop === buffer.length ? buffer : buffer.subarray(start, stop));
  bytes = buffer;
  shift = inKernel ? 0 : start;
  at = start;
  end = stop;
  tokens = 0;
  maxTokens = MAX_TOKENS;
  small = false;
  scan = kernel.scan;
  return parseAll();
}

/**
 * The JSON value of the short text `source[start, stop)` (at most SMALL_MAX_BYTES), UTF-8, read in JS without a string
 * of the whole text; NOT_PARSED when JSON.parse should say: for anything that is not valid, a "__proto__" key, deep
 * nesting. JSON.parse would build the same value, after the text had been decoded into a string for it.
 */
export function parseSmallJsonBytes(source: Uint8Array, start: number, stop: number): unknown {
  if (stop - start > SMALL_MAX_BYTES) return NOT_PARSED;
  bytes = (
    source instanceof Buffer ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength)
  ) as SlicingBuffer;
  at = start;
  end = stop;
  tokens = 0;
  maxTokens = SMALL_MAX_BYTES; // no limit: every value takes at least a byte
  small = true;
  return parseAll();
}

function parseAll(): unknown {
  try {
    const value = readValue(0);
    if (value === NOT_PARSED) return NOT_PARSED;
    skipSpace();
    return at === end ? value : NOT_PARSED;
  } finally {
    bytes = undefined as unknown as SlicingBuffer; // do not keep the caller's buffer alive
  }
}

function skipSpace(): void {
  while (at < end) {
    const c = bytes[at];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
    at++;
  }
}

function readValue(depth: number): unknown {
  if (++tokens > maxTokens || depth > MAX_DEPTH) return NOT_PARSED;
  skipSpace();
  if (at >= end) return NOT_PARSED;
  const c = bytes[at];
  if (c === 0x22) return readString();
  if (c === 0x7b) return readObject(depth);
  if (c === 0x5b) return readArray(depth);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return readNumber();
  if (c === 0x74) return readWord(TRUE, true);
  if (c === 0x66) return readWord(FALSE, false);
  if (c === 0x6e) return readWord(NULL, null);
  return NOT_PARSED;
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

function readWord(word: readonly number[], value: unknown): unknown {
  if (end - at < word.length) return NOT_PARSED;
  for (let i = 0; i < word.length; i++) if (bytes[at + i] !== word[i]) return NOT_PARSED;
  at += word.length;
  return value;
}

function readObject(depth: number): unknown {
  at++; // {
  skipSpace();
  if (at < end && bytes[at] === 0x7d) {
    at++;
    return {};
  }
  const keys: string[] = [];
  const values: unknown[] = [];
  // The keys of the last object at this depth, expected in the same order: checked against the bytes at once.
  const shape = shapes[depth];
  const expected = shape !== undefined && shape.plain ? shape.keys : undefined;
  for (;;) {
    skipSpace();
    if (at >= end || bytes[at] !== 0x22) return NOT_PARSED;
    const guess = expected !== undefined && keys.length < expected.length ? expected[keys.length] : undefined;
    const key = guess !== undefined && isKeyAt(guess) ? guess : readKey();
    // JSON.parse makes "__proto__" an own property; an assignment would set the prototype.
    if (key === NOT_PARSED || key === '__proto__') return NOT_PARSED;
    skipSpace();
    if (at >= end || bytes[at] !== 0x3a) return NOT_PARSED;
    at++;
    const value = readValue(depth + 1);
    if (value === NOT_PARSED) return NOT_PARSED;
    keys.push(key as string);
    values.push(value);
    skipSpace();
    if (at >= end) return NOT_PARSED;
    const c = bytes[at++];
    if (c === 0x7d) return build(keys, values, depth);
    if (c !== 0x2c) return NOT_PARSED;
  }
}

/**
 * The last object shape (its keys, in order) met at each depth, and once it has been met twice running, a function
 * that makes objects of it from an object literal: V8 then makes each one at once with its final layout, where adding
 * the properties one by one through a generic assignment costs a lookup (often a call into the runtime) per key.
 * Keys are compared by identity: readKey hands back the same string for the same key.
 */
interface Shape {
  readonly keys: readonly string[];
  /** Every key printable ASCII without '"' or '\\': its bytes are its characters, so isKeyAt can compare them. */
  readonly plain: boolean;
  seen: number;
  make: ((values: unknown[]) => object) | undefined;
}
const shapes: (Shape | undefined)[] = [];
const MAX_SHAPE_KEYS = 32;
/** False once making a function failed (a Content Security Policy without 'unsafe-eval'): then objects are built key by key. */
let canMake = true;

function build(keys: string[], values: unknown[], depth: number): object {
  const count = keys.length;
  const shape = shapes[depth];
  if (shape !== undefined && shape.keys.length === count) {
    let same = true;
    for (let i = 0; i < count; i++) {
      if (shape.keys[i] !== keys[i]) {
        same = false;
        break;
      }
    }
    if (same) {
      if (shape.make !== undefined) return shape.make(values);
      if (++shape.seen >= 2 && canMake) shape.make = maker(keys);
      if (shape.make !== undefined) return shape.make(values);
      return assign(keys, values);
    }
  }
  if (count <= MAX_SHAPE_KEYS) shapes[depth] = { keys, plain: keys.every(isPlainKey), seen: 1, make: undefined };
  return assign(keys, values);
}

function isPlainKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** Whether the string at `at` (its opening quote) is `key`, a plain key; if so, moves past it. */
function isKeyAt(key: string): boolean {
  const length = key.length;
  const start = at + 1;
  if (start + length >= end || bytes[start + length] !== 0x22) return false;
  for (let i = 0; i < length; i++) if (bytes[start + i] !== key.charCodeAt(i)) return false;
  at = start + length + 1;
  return true;
}

function assign(keys: string[], values: unknown[]): object {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) object[keys[i]] = values[i];
  return object;
}

/** `(v) => ({"k0": v[0], "k1": v[1], …})`, or undefined for keys that repeat (JSON.parse keeps the last) or no eval. */
function maker(keys: readonly string[]): ((values: unknown[]) => object) | undefined {
  if (new Set(keys).size !== keys.length) return undefined;
  // JSON.stringify of a string is a JavaScript string literal (JSON is a subset of JavaScript since ES2019).
  const body = `return {${keys.map((key, i) => `${JSON.stringify(key)}: v[${i}]`).join(', ')}};`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated object builder on purpose; keys are JSON-quoted
    return new Function('v', body) as (values: unknown[]) => object;
  } catch {
    canMake = false;
    return undefined;
  }
}

function readArray(depth: number): unknown {
  at++; // [
  const array: unknown[] = [];
  skipSpace();
  if (at < end && bytes[at] === 0x5d) {
    at++;
    return array;
  }
  for (;;) {
    const value = readValue(depth + 1);
    if (value === NOT_PARSED) return NOT_PARSED;
    array.push(value);
    skipSpace();
    if (at >= end) return NOT_PARSED;
    const c = bytes[at++];
    if (c === 0x5d) return array;
    if (c !== 0x2c) return NOT_PARSED;
  }
}

/** A string; NOT_PARSED for one with a control character or no end, or (large text) escapes. */
function readString(): unknown {
  const start = ++at; // after the opening quote
  let i = start;
  let high = 0;
  const shortEnd = small ? end : Math.min(end, start + SHORT_SCAN);
  while (i < shortEnd) {
    const c = bytes[i];
    if (c < 0x20 || c === 0x22 || c === 0x5c) break;
    high |= c;
    i++;
  }
  if (i === shortEnd && i < end) {
    i = scan(i - shift, end - shift) + shift;
    high = 0x80; // not looked at: ask isAscii
  }
  if (i >= end) return NOT_PARSED;
  if (bytes[i] !== 0x22) return bytes[i] === 0x5c && small ? readEscaped(start, i) : NOT_PARSED;
  at = i + 1;
  const length = i - start;
  if (high < 0x80) {
    switch (length) {
      case 0:
        return '';
      case 1:
        return String.fromCharCode(bytes[start]);
      case 2:
        return String.fromCharCode(bytes[start], bytes[start + 1]);
      case 3:
        return String.fromCharCode(bytes[start], bytes[start + 1], bytes[start + 2]);
      default:
        return bytes.latin1Slice(start, i);
    }
  }
  if (length > SHORT_STRING && isAscii(bytes.subarray(start, i))) return bytes.latin1Slice(start, i);
  const text = bytes.utf8Slice(start, i);
  // Invalid UTF-8 decodes to U+FFFD: JSON.parse's path says what is wrong.
  if (text.includes('\uFFFD') && !isUtf8(bytes.subarray(start, i))) return NOT_PARSED;
  return text;
}

/** A string with escapes, from its first backslash at `from`: JSON.parse of the string alone reads them. */
function readEscaped(start: number, from: number): unknown {
  let i = from;
  while (i < end) {
    const c = bytes[i];
    if (c === 0x5c) i += 2;
    else if (c === 0x22) break;
    else i++;
  }
  if (i >= end) return NOT_PARSED;
  at = i + 1;
  const literal = bytes.utf8Slice(start - 1, i + 1);
  if (literal.includes('\uFFFD') && !isUtf8(bytes.subarray(start, i))) return NOT_PARSED;
  try {
    return JSON.parse(literal) as string;
  } catch {
    return NOT_PARSED;
  }
}

/**
 * Recent object keys by a hash of their bytes: a record's keys come back as the same strings, without decoding them
 * each time (and V8 finds a string it has met as a key faster). ASCII keys without escapes only.
 */
const KEYS: (string | undefined)[] = new Array<string | undefined>(256).fill(undefined);

function readKey(): unknown {
  const start = at + 1;
  let i = start;
  let hash = 0;
  while (i < end) {
    const c = bytes[i];
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) break;
    hash = (hash * 31 + c) & 0xff;
    i++;
  }
  if (i >= end || bytes[i] !== 0x22 || i - start > 64) return readString();
  const cached = KEYS[hash];
  const length = i - start;
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let k = 0; k < length; k++) {
      if (cached.charCodeAt(k) !== bytes[start + k]) {
        same = false;
        break;
      }
    }
    if (same) {
      at = i + 1;
      return cached;
    }
  }
  at = i + 1;
  const key = bytes.latin1Slice(start, i);
  KEYS[hash] = key;
  return key;
}

/** Powers of ten that are exact doubles: m / 10^k with an exact m below 2^53 is then rounded correctly, once. */
const POWERS = Array.from({ length: 23 }, (_, k) => 10 ** k);
const EXACT = 2 ** 53;

/** JSON's number grammar, then the value JSON.parse gives (both round correctly). */
function readNumber(): unknown {
  const start = at;
  let i = at;
  let negative = false;
  if (bytes[i] === 0x2d) {
    negative = true;
    i++;
  }
  if (i >= end) return NOT_PARSED;
  let mantissa = 0;
  if (bytes[i] === 0x30) {
    i++;
  } else {
    const first = i;
    while (i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39) mantissa = mantissa * 10 + (bytes[i++] - 0x30);
    if (i === first) return NOT_PARSED;
  }
  let fraction = 0;
  if (i < end && bytes[i] === 0x2e) {
    const first = ++i;
    while (i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39) mantissa = mantissa * 10 + (bytes[i++] - 0x30);
    if (i === first) return NOT_PARSED;
    fraction = i - first;
  }
  let exponent = false;
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    exponent = true;
    i++;
    if (i < end && (bytes[i] === 0x2b || bytes[i] === 0x2d)) i++;
    const first = i;
    while (i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
    if (i === first) return NOT_PARSED;
  }
  at = i;
  // Every partial mantissa was exact when the last one is (they only grow): then one division rounds correctly.
  if (!exponent && mantissa <= EXACT && fraction < POWERS.length) {
    const value = fraction === 0 ? mantissa : mantissa / POWERS[fraction];
    return negative ? -value : value;
  }
  return Number(bytes.latin1Slice(start, i));
}
