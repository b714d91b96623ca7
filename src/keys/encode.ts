import { Buffer } from 'node:buffer';
import { TreeReader } from '../serializers/tagged-tree/reader.js';
import { TreeWriter } from '../serializers/tagged-tree/writer.js';
import type { DeserializeOptions } from '../serializers/serializer.js';
import { parseUtf8Json } from '../serializers/utf8-json.js';

const WHAT = 'hashstash key';

/**
 * The canonical text of a key: a tagged tree (the serializer's vocabulary, see serializers/tagged-tree/tags.ts) written
 * so that structurally equal keys give the same text in every process and Node version. Object keys are sorted by code
 * unit; Set members and Map entries by their own text; -0 is 0 and NaN is NaN (as Map compares keys); a Date is its
 * instant; a function its source text; a registered class instance its class name and data. Shared objects are
 * written out each time; a cycle throws SerializationError with its path. A string key 'abc' is the text "abc".
 */
export function keyText(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  // String(n) is JSON's number text, and String(-0) is "0".
  if (typeof key === 'number' && key - key === 0) return String(key);
  return TreeWriter.write(key, true);
}

/** Strings up to this length are written byte by byte: cheaper than Buffer.from(text) for the short keys most stashes use. */
const SHORT = 64;
const QUOTE = 0x22;

/**
 * The canonical key bytes: keyText as UTF-8, always in a Buffer. Short keys come from Node's shared pool
 * (Buffer.allocUnsafe): a Buffer view of a small `new Uint8Array` would cost 0.8 µs, as reading `.buffer` moves its
 * bytes off V8's heap, and engines whose client wants a Buffer (ioredis, the mongodb driver) would pay that per call.
 */
export function encodeKey(key: unknown): Buffer {
  if (typeof key === 'string') {
    if (key.length <= SHORT) {
      const bytes = shortPlainString(key);
      if (bytes !== undefined) return bytes;
    }
    return Buffer.from(JSON.stringify(key), 'utf8');
  }
  if (typeof key === 'number' && key - key === 0) return asciiBytes(String(key));
  return Buffer.from(TreeWriter.write(key, true), 'utf8');
}

/** `"key"` as bytes when every character is printable ASCII that JSON leaves as it is; undefined otherwise. */
function shortPlainString(key: string): Buffer | undefined {
  const length = key.length;
  const bytes = Buffer.allocUnsafe(length + 2);
  bytes[0] = QUOTE;
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === QUOTE || code === 0x5c) return undefined;
    bytes[i + 1] = code;
  }
  bytes[length + 1] = QUOTE;
  return bytes;
}

function asciiBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The key that encodeKey wrote. A function key reads back as a StoredFunction unless `trustCode`. Throws DecodeError. */
export function decodeKey(bytes: Uint8Array, options?: DeserializeOptions): unknown {
  const parsed = parseUtf8Json(bytes, WHAT);
  if (typeof parsed !== 'object' || parsed === null) return parsed;
  return TreeReader.read(parsed, options?.trustCode === true);
}
