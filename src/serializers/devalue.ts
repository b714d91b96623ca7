import { defaultStringifyOperations, DevalueError, parse, stringify } from 'devalue';
import type { ParseOptions, StringifyOperations, StringifyOptions } from 'devalue';
import { types } from 'node:util';
import { DecodeError, SerializationError } from '../errors.js';
import { registeredClassNamed, registeredClassOf, type RegisteredClass } from './classes.js';
import type { DeserializeOptions, Serializer } from './serializer.js';
import { isFunction } from '../any-function.js';
import { evaluateFunctionSource, functionSource, StoredFunction } from './stored-function.js';
import { isRevokedProxy } from './revoked-proxy.js';
import { isStackOverflow, tooDeep } from './tagged-tree/paths.js';
import { assertReadableText, isStringTooLong, MAX_TEXT_BYTES, textTooLong } from './text-limit.js';

/**
 * devalue's format: JSON text of a flat array in which objects refer to each other by index, so shared references and
 * cycles survive. devalue 6 carries by itself: undefined, NaN, ±Infinity, -0, BigInt, boxed primitives, Date, RegExp,
 * Map, Set, URL, URLSearchParams, ArrayBuffer, typed arrays and DataView (sharing a buffer), sparse arrays and
 * null-prototype objects. On top of that this serializer carries, through devalue's reducers ("hs:…" entries):
 *
 * - functions (and StoredFunction) as name and source, read back as StoredFunction unless `trustCode`;
 * - Buffers, which devalue would turn into plain Uint8Arrays;
 * - Errors, rebuilt as real errors of their built-in class (or registered subclass) with message, stack, cause,
 *   AggregateError's errors and own enumerable properties;
 * - instances of classes registered with their own serialize/deserialize.
 *
 * devalue revives a reducer's payload before calling the reviver, so an error or custom instance that its own payload
 * leads back to would come back as a second, half-built copy. Such values are refused when written.
 *
 * Instances of classes registered without serialize/deserialize are written as plain objects with a last, marker key
 * naming the class: the object exists before its fields are revived, so cycles through them survive. A marker key
 * starts with a NUL character; user keys that start with NUL are written with one more NUL in front. Marker keys
 * need devalue's `operations` hooks, which cost about a quarter of the time of a small value, so a value is first
 * written without them and written again with them only when it holds such an instance; that text is stored behind
 * a '~' (devalue text starts with '[' or '-'), which tells the reader to look for markers.
 *
 * These strings are data on disk: never change them.
 */
const MARKED_PREFIX = '~';
const MARKED_PREFIX_CODE = 0x7e;
const CLASS_MARKER = '\u0000class';
const NUL = 0;

const CUSTOM_CLASS_TYPE = 'hs:class';
const ERROR_TYPE = 'hs:error';
const FUNCTION_TYPE = 'hs:function';
const BUFFER_TYPE = 'hs:buffer';

type AnyErrorConstructor = ErrorConstructor | AggregateErrorConstructor;
const BUILTIN_ERRORS: ReadonlyMap<string, AnyErrorConstructor> = new Map<string, AnyErrorConstructor>(
  [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError].map((ctor) => [
    ctor.name,
    ctor,
  ]),
);
const BUILTIN_ERROR_NAMES: ReadonlyMap<object, string> = new Map(
  [...BUILTIN_ERRORS].map(([name, ctor]) => [ctor.prototype, name]),
);

/** What an Error is written as: `c` built-in class, `k` registered subclass, `n` inherited name, `m` message, `s` stack, `p` own properties. */
interface ErrorPayload {
  c: string;
  k?: string;
  n?: string;
  m?: string;
  s?: string;
  cause?: unknown;
  errors?: unknown;
  p?: Record<string, unknown>;
}

/**
 * What the first reducer hands devalue in place of a revoked Proxy, which throws a TypeError, without a path, at any
 * look: devalue cannot write a symbol, and reports it with its path, the proxy's.
 */
const REVOKED = Symbol('revoked Proxy');

/** Values a reducer declined because their payload leads back to them; devalue then reports them with their path. */
const refusedAsSelfContaining = new WeakSet<object>();

const reducers: Record<string, (value: unknown) => unknown> = {
  [CUSTOM_CLASS_TYPE](value) {
    if (typeof value !== 'object' || value === null)
      return typeof value === 'function' && isRevokedProxy(value) ? REVOKED : undefined;
    let prototype: unknown;
    try {
      prototype = Object.getPrototypeOf(value);
    } catch (error) {
      if (isRevokedProxy(value)) return REVOKED;
      throw error;
    }
    if (prototype === Object.prototype || prototype === Array.prototype) return undefined; // the common case, fast
    const registered = registeredClassOf(prototype);
    if (registered === undefined || !hasOwnHooks(registered)) return undefined;
    const data = customData(registered, value);
    return isSelfContaining(value, [data]) ? undefined : [registered.name, data];
  },
  [ERROR_TYPE](value) {
    if (!(value instanceof Error)) return undefined;
    const payload = errorPayload(value);
    return isSelfContaining(value, [payload.cause, payload.errors, payload.p]) ? undefined : payload;
  },
  [FUNCTION_TYPE](value) {
    if (!isFunction(value)) return value instanceof StoredFunction ? [value.name, value.source] : undefined;
    const source = functionSource(value);
    // No source (native or bound): declining lets devalue report the path.
    return source === undefined ? undefined : [value.name, source];
  },
  [BUFFER_TYPE](value) {
    // A copy as a plain Uint8Array, which devalue writes itself: only the Buffer's own bytes, not Node's shared pool.
    // (Not a string: devalue takes a falsy payload, such as the base64 of an empty Buffer, as "not mine".)
    return Buffer.isBuffer(value) ? new Uint8Array(value) : undefined;
  },
};

/** devalue's own shapeOf, extended below rather than replaced. */
const defaultShapeOf: StringifyOperations['shapeOf'] = defaultStringifyOperations.shapeOf;

const markedStringifyOptions: StringifyOptions = {
  operations: {
    shapeOf(value: unknown) {
      const shape = defaultShapeOf(value);
      if (shape.kind === 'plain' || shape.kind === 'null-proto') {
        return hasNulKey(shape.keys) ? { kind: shape.kind, keys: shape.keys.map(escapeKey) } : shape;
      }
      // Not plain: an object (devalue's shapeOf says so).
      if (shape.kind === 'not-plain' && needsMarker(value as object)) {
        return { kind: 'plain', keys: [...Object.keys(value as object).map(escapeKey), CLASS_MARKER] };
      }
      return shape;
    },
    get(value: Record<string | number, unknown>, key) {
      if (typeof key === 'string' && key.charCodeAt(0) === NUL) {
        return key === CLASS_MARKER ? registeredClassOf(Object.getPrototypeOf(value))!.name : value[key.slice(1)];
      }
      return value[key];
    },
  },
};

const markedParseOptions: ParseOptions = {
  operations: {
    set(target: Record<string | number, unknown>, key, value: unknown) {
      if (typeof key === 'string' && key.charCodeAt(0) === NUL) setMarkedKey(target, key, value);
      else target[key] = value;
    },
  },
};

const untrustedRevivers = makeRevivers((name, source) => new StoredFunction(name, source));
const trustedRevivers = makeRevivers((_name, source) => evaluateFunctionSource(source));

/** Strict: malformed UTF-8 is corruption, not something to paper over with U+FFFD; a BOM is not devalue text either. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const devalueSerializer: Serializer = {
  name: 'devalue',
  id: 0x64, // 'd'
  maxBytes: MAX_TEXT_BYTES,
  serialize(value) {
    let text: string;
    try {
      text = stringify(value, reducers);
    } catch (error) {
      const refused = error instanceof DevalueError ? refusedValue(error) : undefined;
      if (typeof refused !== 'object' || refused === null || !needsMarker(refused))
        throw toSerializationError(error, value);
      try {
        text = MARKED_PREFIX + stringify(value, reducers, markedStringifyOptions);
      } catch (markedError) {
        throw toSerializationError(markedError, value);
      }
    }
    assertReadableText(text);
    return Buffer.from(text, 'utf8');
  },
  deserialize(bytes, options?: DeserializeOptions) {
    const revivers = options?.trustCode ? trustedRevivers : untrustedRevivers;
    try {
      const text = utf8.decode(bytes);
      const value: unknown =
        text.charCodeAt(0) === MARKED_PREFIX_CODE
          ? parse(text.slice(1), revivers, markedParseOptions)
          : parse(text, revivers);
      return value;
    } catch (cause) {
      if (cause instanceof DecodeError) throw cause;
      throw new DecodeError(`devalue: cannot deserialize ${bytes.byteLength} bytes: ${(cause as Error).message}`, {
        cause,
      });
    }
  },
};

function makeRevivers(
  reviveFunction: (name: string, source: string) => unknown,
): Record<string, (payload: unknown) => unknown> {
  // A payload revived twice means devalue met the value again inside its own payload (see above): refuse to guess.
  const revived = new WeakSet<object>();
  const once = (payload: unknown, what: string): void => {
    if (typeof payload !== 'object' || payload === null) return;
    if (revived.has(payload))
      throw new DecodeError(`devalue: a stored ${what} contains itself, which cannot be revived`);
    revived.add(payload);
  };
  return {
    [CUSTOM_CLASS_TYPE](payload) {
      if (!Array.isArray(payload) || payload.length !== 2 || typeof payload[0] !== 'string') {
        throw new DecodeError('devalue: a stored class instance is not a [name, data] pair');
      }
      once(payload, `instance of ${payload[0]}`);
      const registered = requireRegistered(payload[0]);
      const data: unknown = payload[1];
      if (registered.deserialize) return registered.deserialize(data);
      const instance = Object.create(registered.prototype) as object;
      if (isRecord(data)) defineFields(instance, data, true);
      return instance;
    },
    [ERROR_TYPE](payload) {
      if (!isRecord(payload)) throw new DecodeError('devalue: a stored Error is not an object');
      once(payload, 'Error');
      return reviveError(payload);
    },
    [FUNCTION_TYPE](payload) {
      if (
        !Array.isArray(payload) ||
        payload.length !== 2 ||
        typeof payload[0] !== 'string' ||
        typeof payload[1] !== 'string'
      ) {
        throw new DecodeError('devalue: a stored function is not a [name, source] pair');
      }
      return reviveFunction(payload[0], payload[1]);
    },
    [BUFFER_TYPE](payload) {
      if (!(payload instanceof Uint8Array)) throw new DecodeError('devalue: a stored Buffer is not a Uint8Array');
      return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    },
  };
}

function errorPayload(error: Error): ErrorPayload {
  const builtin = builtinErrorName(error);
  const registered = registeredClassOf(Object.getPrototypeOf(error));
  const payload: ErrorPayload = { c: builtin };
  if (registered !== undefined) payload.k = registered.name;
  const name: unknown = error.name;
  const inheritedName = registered !== undefined ? (registered.prototype as Error).name : builtin;
  if (typeof name === 'string' && !isOwnEnumerable(error, 'name') && name !== inheritedName) payload.n = name;
  if (Object.hasOwn(error, 'message') && typeof error.message === 'string') payload.m = error.message;
  if (typeof error.stack === 'string') payload.s = error.stack;
  if (Object.hasOwn(error, 'cause')) payload.cause = error.cause;
  const isAggregate = builtin === 'AggregateError' && Object.hasOwn(error, 'errors');
  if (isAggregate) payload.errors = (error as AggregateError).errors;
  let properties: Record<string, unknown> | undefined;
  for (const key of Object.keys(error)) {
    if (key === 'message' || key === 'stack' || key === 'cause' || (isAggregate && key === 'errors')) continue;
    (properties ??= {})[key] = (error as unknown as Record<string, unknown>)[key];
  }
  if (properties !== undefined) payload.p = properties;
  return payload;
}

/** A real error (built by the built-in constructor), with a registered subclass's prototype when it has one. */
function reviveError(payload: Record<string, unknown>): Error {
  const { c: builtin, k: registeredName, n: name, m: message, s: stack, p: properties } = payload;
  const ErrorClass = typeof builtin === 'string' ? BUILTIN_ERRORS.get(builtin) : undefined;
  if (ErrorClass === undefined)
    throw new DecodeError(`devalue: ${JSON.stringify(builtin)} is not a built-in Error class`);
  if (registeredName !== undefined && typeof registeredName !== 'string') throw malformedError('k');
  const newTarget = registeredName === undefined ? ErrorClass : requireRegistered(registeredName).ctor;
  const error = Reflect.construct(ErrorClass, ErrorClass === AggregateError ? [[]] : [], newTarget) as Error;
  if (name !== undefined) {
    if (typeof name !== 'string') throw malformedError('n');
    defineField(error, 'name', name, false);
  }
  if (message !== undefined) {
    if (typeof message !== 'string') throw malformedError('m');
    defineField(error, 'message', message, false);
  }
  if (stack === undefined) delete error.stack;
  else if (typeof stack === 'string') defineField(error, 'stack', stack, false);
  else throw malformedError('s');
  if (Object.hasOwn(payload, 'cause')) defineField(error, 'cause', payload['cause'], false);
  if (Object.hasOwn(payload, 'errors')) {
    if (!Array.isArray(payload['errors'])) throw malformedError('errors');
    defineField(error, 'errors', payload['errors'], false);
  }
  if (properties !== undefined) {
    if (!isRecord(properties)) throw malformedError('p');
    defineFields(error, properties, true);
  }
  return error;
}

function malformedError(field: string): DecodeError {
  return new DecodeError(`devalue: a stored Error has a malformed "${field}" field`);
}

function setMarkedKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key.charCodeAt(1) === NUL) {
    target[key.slice(1)] = value;
  } else if (key === CLASS_MARKER) {
    if (typeof value !== 'string') throw new DecodeError('devalue: a class marker does not hold a class name');
    Object.setPrototypeOf(target, requireRegistered(value).prototype);
  } else {
    throw new DecodeError(`devalue: unknown marker key ${JSON.stringify(key)}`);
  }
}

function requireRegistered(name: string): RegisteredClass {
  const registered = registeredClassNamed(name);
  if (registered === undefined) {
    throw new DecodeError(
      `devalue: the stored value holds an instance of class "${name}", which is not registered; call registerClass first`,
    );
  }
  return registered;
}

/** A registered instance stored by marker: not an error (errors have their reducer) and no hooks of its own. */
function needsMarker(value: object): boolean {
  const registered = registeredClassOf(Object.getPrototypeOf(value));
  return registered !== undefined && !hasOwnHooks(registered) && !isError(value);
}

function hasOwnHooks(registered: RegisteredClass): boolean {
  return registered.serialize !== undefined || registered.deserialize !== undefined;
}

function customData(registered: RegisteredClass, instance: object): unknown {
  return registered.serialize ? registered.serialize(instance) : { ...instance };
}

/** Whether `value` can be reached from its own payload; if so the reducer declines and devalue reports it with its path. */
function isSelfContaining(value: object, payloadParts: readonly unknown[]): boolean {
  if (!reaches(value, payloadParts)) return false;
  refusedAsSelfContaining.add(value);
  return true;
}

/** Whether `target` is reachable from `starts` along the references devalue follows. */
function reaches(target: object, starts: readonly unknown[]): boolean {
  const seen = new Set<object>();
  const pending: unknown[] = [...starts];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (value === target) return true;
    if (seen.has(value) || ArrayBuffer.isView(value) || types.isArrayBuffer(value)) continue;
    seen.add(value);
    if (value instanceof Map) {
      for (const [key, entry] of value) pending.push(key, entry);
      continue;
    }
    if (value instanceof Set) {
      for (const member of value) pending.push(member);
      continue;
    }
    const registered = registeredClassOf(Object.getPrototypeOf(value));
    if (registered !== undefined && hasOwnHooks(registered)) {
      pending.push(customData(registered, value));
      continue;
    }
    if (isError(value)) pending.push(value.cause, (value as Partial<AggregateError>).errors);
    for (const key of Object.keys(value)) pending.push((value as Record<string, unknown>)[key]);
  }
  return false;
}

function isError(value: object): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/** The nearest built-in error class on the prototype chain: the class an error is rebuilt with. */
function builtinErrorName(error: object): string {
  for (
    let prototype = Object.getPrototypeOf(error) as object | null;
    prototype !== null;
    prototype = Object.getPrototypeOf(prototype) as object | null
  ) {
    const name = BUILTIN_ERROR_NAMES.get(prototype);
    if (name !== undefined) return name;
  }
  return 'Error';
}

function isOwnEnumerable(object: object, key: string): boolean {
  return Object.getOwnPropertyDescriptor(object, key)?.enumerable === true;
}

/** Own data properties, so that setters on the prototype do not run. */
function defineField(object: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable, configurable: true });
}

function defineFields(object: object, fields: Record<string, unknown>, enumerable: boolean): void {
  for (const key of Object.keys(fields)) defineField(object, key, fields[key], enumerable);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasNulKey(keys: readonly string[]): boolean {
  for (const key of keys) if (key.charCodeAt(0) === NUL) return true;
  return false;
}

function escapeKey(key: string): string {
  return key.charCodeAt(0) === NUL ? '\u0000' + key : key;
}

function refusedValue(error: DevalueError): unknown {
  return (error as DevalueError & { value?: unknown }).value;
}

function toSerializationError(error: unknown, value: unknown): unknown {
  if (isStringTooLong(error)) return textTooLong(error);
  if (isStackOverflow(error)) return tooDeep(error, value);
  if (!(error instanceof DevalueError)) return error;
  return new SerializationError(`devalue cannot serialize ${describeRefusal(error)}`, '$' + error.path, {
    cause: error,
  });
}

function describeRefusal(error: DevalueError): string {
  const value = refusedValue(error);
  if (value === REVOKED) return 'a revoked Proxy: every operation on it throws';
  if (typeof value === 'function') return 'a function without source (native or bound)';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'object' && value !== null) {
    if (refusedAsSelfContaining.has(value)) {
      const what = isError(value)
        ? 'an Error'
        : `an instance of ${registeredClassOf(Object.getPrototypeOf(value))?.name}`;
      return `${what} whose own contents lead back to it: devalue would read it back as a second, half-built copy`;
    }
    if (typeof (value as { then?: unknown }).then === 'function') return 'a Promise or thenable: await it first';
    if (error.message.startsWith('Cannot stringify arbitrary non-POJOs')) {
      const ctor: unknown = (Object.getPrototypeOf(value) as { constructor?: unknown } | null)?.constructor;
      if (!isFunction(ctor)) return 'an object of an unknown class';
      if (functionSource(ctor) === undefined) return `a ${ctor.name || 'built-in object'}, which devalue cannot carry`;
      return `an instance of ${ctor.name || 'an anonymous class'}: register the class with registerClass`;
    }
  }
  return `this value: ${error.message}`;
}
