import { constants } from 'node:buffer';
import { DefaultDeserializer, serialize as v8Serialize } from 'node:v8';
import { types } from 'node:util';
import { DecodeError, SerializationError } from '../errors.js';
import type { Serializer } from './serializer.js';
import { indexSegment, propertySegment } from './tagged-tree/paths.js';

/** The first byte of every v8 serialization. */
const V8_VERSION_TAG = 0xff;

/**
 * Node's structured clone (`node:v8`): fast and native, but it is not a full picture of a value. What it loses:
 * - prototypes: class instances come back as plain objects (their own enumerable fields only),
 *   null-prototype objects come back with Object.prototype, and a URL comes back as `{}`;
 * - symbol-keyed and non-enumerable properties, getters (their value at write time is stored);
 * - on errors, every own property except message, stack and cause, and a custom name: subclasses come back as the
 *   built-in class they extend, an AggregateError as a plain Error without its errors;
 * - sharing of one ArrayBuffer between typed arrays: each view comes back with its own copy.
 * What it refuses (functions, symbols, WeakMap, WeakSet, Promise, proxies, host objects…) raises a
 * SerializationError naming where in the value it sits.
 */
export const v8Serializer: Serializer = {
  name: 'v8',
  id: 0x76, // 'v'
  maxBytes: constants.MAX_LENGTH,
  serialize(value) {
    try {
      return v8Serialize(value);
    } catch (cause) {
      // v8 says what it could not clone, never where: look for it.
      const message = cause instanceof Error ? cause.message : String(cause);
      let path: string | undefined;
      try {
        path = findUncloneable(value);
      } catch {
        // A getter that throws while we look: blame the whole value rather than hide v8's error.
      }
      throw new SerializationError(`v8 cannot serialize: ${message}`, path ?? '$', { cause });
    }
  },
  deserialize(bytes) {
    if (bytes.byteLength === 0 || bytes[0] !== V8_VERSION_TAG) {
      throw new DecodeError(`v8: ${bytes.byteLength} bytes are not v8-serialized data (no version tag)`);
    }
    try {
      const deserializer = new OwningDeserializer(bytes);
      deserializer.readHeader();
      const value: unknown = deserializer.readValue();
      return value;
    } catch (cause) {
      throw new DecodeError(`v8: cannot deserialize ${bytes.byteLength} bytes: ${(cause as Error).message}`, { cause });
    }
  },
};

type ViewConstructor = new (buffer: ArrayBuffer) => ArrayBufferView;

/**
 * Node's deserializer returns typed arrays and Buffers that are views into the input bytes: they would change when the
 * engine reuses its read buffer, and would keep a whole blob alive for one small array. Give each its own memory.
 */
class OwningDeserializer extends DefaultDeserializer {
  _readHostObject(): ArrayBufferView {
    const shared = (
      DefaultDeserializer.prototype as unknown as { _readHostObject(): ArrayBufferView }
    )._readHostObject.call(this);
    const own = new Uint8Array(shared.byteLength);
    own.set(new Uint8Array(shared.buffer, shared.byteOffset, shared.byteLength));
    if (Buffer.isBuffer(shared)) return Buffer.from(own.buffer);
    return new (shared.constructor as ViewConstructor)(own.buffer);
  }
}

/**
 * The path of the first part of `root` that structured clone refuses, visiting in v8's order; undefined if none is
 * found (then the whole value is blamed).
 */
function findUncloneable(root: unknown): string | undefined {
  const seen = new Set<object>();

  function visit(value: unknown, path: string): string | undefined {
    const type = typeof value;
    if (type === 'function' || type === 'symbol') return path;
    if (type !== 'object' || value === null) return undefined;
    const object = value as object;
    if (seen.has(object)) return undefined;
    seen.add(object);

    if (types.isProxy(object)) return path;
    if (object instanceof Map) {
      let index = 0;
      for (const [key, entry] of object) {
        const found = visit(key, `${path}<key ${index}>`) ?? visit(entry, `${path}<value ${index}>`);
        if (found !== undefined) return found;
        index++;
      }
      return undefined;
    }
    if (object instanceof Set) {
      let index = 0;
      for (const entry of object) {
        const found = visit(entry, `${path}<member ${index}>`);
        if (found !== undefined) return found;
        index++;
      }
      return undefined;
    }
    if (isCloneableLeaf(object)) return undefined;
    if (object instanceof Error) {
      return Object.hasOwn(object, 'cause') ? visit(object.cause, `${path}.cause`) : undefined;
    }
    const isArray = Array.isArray(object);
    for (const key of Object.keys(object)) {
      const segment = isArray && ARRAY_INDEX.test(key) ? indexSegment(Number(key)) : propertySegment(key);
      const found = visit((object as Record<string, unknown>)[key], path + segment);
      if (found !== undefined) return found;
    }
    if (isArray || isPlainObject(object)) return undefined;
    // Its contents clone: if it still fails, the object itself is the problem (a WeakMap, a Promise, a host object…).
    try {
      v8Serialize(object);
      return undefined;
    } catch {
      return path;
    }
  }

  return visit(root, '$');
}

function isCloneableLeaf(object: object): boolean {
  return (
    object instanceof Date ||
    object instanceof RegExp ||
    types.isArrayBuffer(object) ||
    ArrayBuffer.isView(object) ||
    types.isBoxedPrimitive(object)
  );
}

function isPlainObject(object: object): boolean {
  const prototype = Object.getPrototypeOf(object) as object | null;
  return prototype === Object.prototype || prototype === null;
}

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;
