import { Buffer } from 'node:buffer';
import { DecodeError } from '../errors.js';
import { isPlainJson } from './plain-json.js';
import type { DeserializeOptions, Serializer } from './serializer.js';
import { isStackOverflow, tooDeep } from './tagged-tree/paths.js';
import { assertReadableText, isStringTooLong, MAX_TEXT_BYTES, textTooLong } from './text-limit.js';
import { TreeReader } from './tagged-tree/reader.js';
import { TAG_KEY, TAG_TAGGED_ROOT } from './tagged-tree/tags.js';
import { TreeWriter } from './tagged-tree/writer.js';
import {
  MIN_BYTES as MIN_JSON_BYTES,
  NOT_PARSED,
  parseJsonBytes,
  parseSmallJsonBytes,
  SMALL_MAX_BYTES,
} from '../format/json-bytes.js';
import { parseJsonText, utf8Text } from './utf8-json.js';

const WHAT = 'hashstash serializer';
const TAGGED_ROOT_OPEN = `{${JSON.stringify(TAG_KEY)}:${JSON.stringify(TAG_TAGGED_ROOT)},"v":`;

/**
 * hashstash's own format: UTF-8 JSON text. Plain JSON values are written as they are (JSON.stringify), anything else
 * as a tagged tree marked {"~":"hs1","v":…} (see tagged-tree/tags.ts for the vocabulary). It carries JSON plus
 * undefined, NaN, ±Infinity, -0, BigInt, Date, RegExp, Map, Set, URL, typed arrays, Buffer, ArrayBuffer, DataView,
 * Errors, sparse arrays, null-prototype objects, shared references and cycles, registered class instances and
 * functions (by source; read back as StoredFunction unless trustCode). Symbol-keyed and non-enumerable properties,
 * and non-index properties of arrays, are not carried, as in JSON. Typed arrays carry their own bytes: two views of
 * one buffer come back with a buffer each.
 */
export const hashstashSerializer: Serializer = {
  name: 'hashstash',
  id: 0x68, // 'h'
  maxBytes: MAX_TEXT_BYTES,

  serialize(value: unknown): Uint8Array {
    return Buffer.from(hashstashSerializer.serializeToText!(value)); // UTF-8, the default
  },

  serializeToText(value: unknown): string {
    let text: string;
    try {
      text = plainJson(value) ? JSON.stringify(value) : TAGGED_ROOT_OPEN + TreeWriter.write(value, false) + '}';
    } catch (error) {
      if (isStackOverflow(error)) throw tooDeep(error, value);
      throw isStringTooLong(error) ? textTooLong(error) : error;
    }
    assertReadableText(text);
    return text;
  },

  deserialize(bytes: Uint8Array, options?: DeserializeOptions): unknown {
    return hashstashFromUtf8(bytes, 0, bytes.length, options);
  },
};

/**
 * `deserialize` of the bytes `bytes[start, end)`, so the format layer reads a blob's body in place. Short text, and
 * large text of long strings, are parsed from the bytes (format/json-bytes.ts); the rest is decoded to a string once
 * and given to JSON.parse, which also says what is wrong with invalid text.
 * `inKernel`: the bytes are the read kernel's memory, where the lz4 codec decoded them (format/kernel.ts).
 */
export function hashstashFromUtf8(
  bytes: Uint8Array,
  start: number,
  end: number,
  options?: DeserializeOptions,
  inKernel = false,
): unknown {
  if (end - start <= SMALL_MAX_BYTES) {
    const parsed = parseSmallJsonBytes(bytes, start, end);
    if (parsed !== NOT_PARSED) return fromParsed(parsed, options);
  } else if (end - start >= MIN_JSON_BYTES) {
    const parsed = parseJsonBytes(bytes, start, end, inKernel);
    if (parsed !== NOT_PARSED) return fromParsed(parsed, options);
  }
  return fromParsed(parseJsonText(utf8Text(bytes, start, end, WHAT), WHAT), options);
}

/** The value of hashstash text already parsed as JSON (the command line's export lines carry it inside a line). */
export function hashstashFromParsed(parsed: unknown, options: DeserializeOptions | undefined): unknown {
  return fromParsed(parsed, options);
}

function fromParsed(parsed: unknown, options: DeserializeOptions | undefined): unknown {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return parsed;
  const tag = (parsed as Record<string, unknown>)[TAG_KEY];
  if (tag === undefined) return parsed;
  if (tag !== TAG_TAGGED_ROOT || !Object.hasOwn(parsed, 'v')) {
    throw new DecodeError(
      `${WHAT}: unknown format marker ${JSON.stringify(tag)} (written by a newer hashstash, or corrupt)`,
    );
  }
  return TreeReader.read((parsed as Record<string, unknown>)['v'], options?.trustCode === true);
}

/** isPlainJson, or false when looking throws a TypeError (a revoked Proxy): the tree writer then meets it and says where. */
function plainJson(value: unknown): boolean {
  try {
    return isPlainJson(value);
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}
