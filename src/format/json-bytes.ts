import { Buffer, isAscii, isUtf8 } from 'node:buffer';
import { loadKernel, MAX_KERNEL_BYTES, type Kernel, type SlicingBuffer } from './kernel.js';

/**
 * JSON.parse straight from UTF-8 bytes, for large text made mostly of long strings (the 100 KB record: a few keys and
 * one long text). JSON.parse of such text spends its time scanning each string for its end, one character at a time,
 * after the bytes were first copied into a string whole; here a SIMD scan (WebAssembly, kernel.wat) finds where
 * each string ends, and each string is copied once, from the bytes, into the string that is returned.
 *
 * It reads exactly JSON, and gives exactly what JSON.parse gives, or NOT_PARSED, and then the caller runs JSON.parse:
 * for anything it does not handle itself (an escape in a string, a "__proto__" key, more than MAX_TOKENS values, deep
 * nesting), for anything that is not valid (so the error is JSON.parse's), and where WebAssembly is not available.
 * Text of 32 KB to 4 MB only: shorter text does not pay for the copy, longer would make the kernel's memory grow.
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

// The parse in progress: synchronous and calling no user code, so one set of variables serves every call.
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
  const buffer = (source instanceof Buffer ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength)) as SlicingBuffer;
  if (!inKernel) kernel.memory(length).set(start === 0 && stop === buffer.length ? buffer : buffer.subarray(start, stop));
  bytes = buffer;
  shift = inKernel ? 0 : start;
  at = start;
  end = stop;
  tokens = 0;
  scan = kernel.scan;
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
    const c = bytes[at]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
    at++;
  }
}

function readValue(depth: number): unknown {
  if (++tokens > MAX_TOKENS || depth > MAX_DEPTH) return NOT_PARSED;
  skipSpace();
  if (at >= end) return NOT_PARSED;
  const c = bytes[at]!;
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
  const object: Record<string, unknown> = {};
  skipSpace();
  if (at < end && bytes[at] === 0x7d) {
    at++;
    return object;
  }
  for (;;) {
    skipSpace();
    if (at >= end || bytes[at] !== 0x22) return NOT_PARSED;
    const key = readString();
    // JSON.parse makes "__proto__" an own property; an assignment would set the prototype.
    if (key === NOT_PARSED || key === '__proto__') return NOT_PARSED;
    skipSpace();
    if (at >= end || bytes[at] !== 0x3a) return NOT_PARSED;
    at++;
    const value = readValue(depth + 1);
    if (value === NOT_PARSED) return NOT_PARSED;
    object[key as string] = value;
    skipSpace();
    if (at >= end) return NOT_PARSED;
    const c = bytes[at++];
    if (c === 0x7d) return object;
    if (c !== 0x2c) return NOT_PARSED;
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

/** A string with no escapes; NOT_PARSED for one with escapes, a control character, or no end. */
function readString(): unknown {
  const start = ++at; // after the opening quote
  let i = start;
  const shortEnd = Math.min(end, start + SHORT_SCAN);
  while (i < shortEnd) {
    const c = bytes[i]!;
    if (c < 0x20 || c === 0x22 || c === 0x5c) break;
    i++;
  }
  if (i === shortEnd && i < end) i = scan(i - shift, end - shift) + shift;
  if (i >= end || bytes[i] !== 0x22) return NOT_PARSED;
  at = i + 1;
  if (i - start > SHORT_STRING && isAscii(bytes.subarray(start, i))) return bytes.latin1Slice(start, i);
  const text = bytes.utf8Slice(start, i);
  // Invalid UTF-8 decodes to U+FFFD: JSON.parse's path says what is wrong.
  if (text.includes('\uFFFD') && !isUtf8(bytes.subarray(start, i))) return NOT_PARSED;
  return text;
}

/** JSON's number grammar, then the same conversion JSON.parse makes (both round correctly). */
function readNumber(): unknown {
  const start = at;
  let i = at;
  if (bytes[i] === 0x2d) i++;
  if (i >= end) return NOT_PARSED;
  if (bytes[i] === 0x30) {
    i++;
  } else {
    const first = i;
    while (i < end && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
    if (i === first) return NOT_PARSED;
  }
  if (i < end && bytes[i] === 0x2e) {
    const first = ++i;
    while (i < end && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
    if (i === first) return NOT_PARSED;
  }
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    if (i < end && (bytes[i] === 0x2b || bytes[i] === 0x2d)) i++;
    const first = i;
    while (i < end && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
    if (i === first) return NOT_PARSED;
  }
  at = i;
  return Number(bytes.latin1Slice(start, i));
}
