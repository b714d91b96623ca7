import { Buffer } from 'node:buffer';
import { isFunction, type AnyFunction } from '../../any-function.js';
import { registeredClassOf, type RegisteredClass } from '../classes.js';
import { functionSource, StoredFunction } from '../stored-function.js';
import { arrayBufferToBase64, TYPED_ARRAYS, viewToBase64 } from './binary.js';
import { isRevokedProxy, REVOKED_PROXY } from '../revoked-proxy.js';
import { isStringTooLong, textTooLong } from '../text-limit.js';
import { indexSegment, isStackOverflow, propertySegment, tooDeep, UnsupportedAtPath, withSegment } from './paths.js';
import * as tag from './tags.js';

/** `{"~":"<name>"` : the opening of a tagged object, to be followed by its fields and `}`. */
const open = (name: string): string => '{' + JSON.stringify(tag.TAG_KEY) + ':' + JSON.stringify(name);

const UNDEFINED_TEXT = open(tag.TAG_UNDEFINED) + '}';
const NAN_TEXT = open(tag.TAG_NAN) + '}';
const INFINITY_TEXT = open(tag.TAG_INFINITY) + '}';
const NEGATIVE_INFINITY_TEXT = open(tag.TAG_NEGATIVE_INFINITY) + '}';
const NEGATIVE_ZERO_TEXT = open(tag.TAG_NEGATIVE_ZERO) + '}';
const BIGINT_OPEN = open(tag.TAG_BIGINT) + ',"v":"';
const REF_OPEN = open(tag.TAG_REF) + ',"i":';
const ESCAPED_OBJECT_OPEN = open(tag.TAG_ESCAPED_OBJECT) + ',"v":';
const NULL_PROTOTYPE_OPEN = open(tag.TAG_NULL_PROTOTYPE) + ',"v":';
const SPARSE_OPEN = open(tag.TAG_SPARSE_ARRAY) + ',"n":';
const DATE_OPEN = open(tag.TAG_DATE) + ',"v":';
const REGEXP_OPEN = open(tag.TAG_REGEXP) + ',"s":';
const MAP_OPEN = open(tag.TAG_MAP) + ',"v":[';
const SET_OPEN = open(tag.TAG_SET) + ',"v":[';
const URL_OPEN = open(tag.TAG_URL) + ',"v":';
const BUFFER_OPEN = open(tag.TAG_BUFFER) + ',"v":"';
const ARRAY_BUFFER_OPEN = open(tag.TAG_ARRAY_BUFFER) + ',"v":"';
const DATA_VIEW_OPEN = open(tag.TAG_DATA_VIEW) + ',"v":"';
const ERROR_OPEN = open(tag.TAG_ERROR) + ',"c":';
const CLASS_OPEN = open(tag.TAG_CLASS) + ',"c":';
const FUNCTION_OPEN = open(tag.TAG_FUNCTION);

// Kinds of objects the writer recognises by their exact prototype.
const DATE = 1;
const REGEXP = 2;
const MAP = 3;
const SET = 4;
const URL_ = 5;
const BUFFER = 6;
const TYPED_ARRAY = 7;
const ARRAY_BUFFER = 8;
const DATA_VIEW = 9;
const STORED_FUNCTION = 10;
const UNCARRIED = 11;

const KIND_BY_PROTOTYPE = new Map<object, number>([
  [Date.prototype, DATE],
  [RegExp.prototype, REGEXP],
  [Map.prototype, MAP],
  [Set.prototype, SET],
  [URL.prototype, URL_],
  [Buffer.prototype, BUFFER],
  [ArrayBuffer.prototype, ARRAY_BUFFER],
  [DataView.prototype, DATA_VIEW],
  [StoredFunction.prototype, STORED_FUNCTION],
]);
const TYPED_ARRAY_BY_PROTOTYPE = new Map<object, { name: string; size: number }>();
for (const [name, ctor] of TYPED_ARRAYS) {
  KIND_BY_PROTOTYPE.set(ctor.prototype, TYPED_ARRAY);
  TYPED_ARRAY_BY_PROTOTYPE.set(ctor.prototype, { name, size: ctor.BYTES_PER_ELEMENT });
}

/** Values that cannot be carried, with the reason given to the user. */
const UNCARRIED_REASONS = new Map<object, string>([
  [Promise.prototype, 'a Promise cannot be serialized; await it and store its result'],
  [WeakMap.prototype, 'a WeakMap cannot be serialized: its entries cannot be listed'],
  [WeakSet.prototype, 'a WeakSet cannot be serialized: its members cannot be listed'],
  [WeakRef.prototype, 'a WeakRef cannot be serialized'],
  [FinalizationRegistry.prototype, 'a FinalizationRegistry cannot be serialized'],
  [SharedArrayBuffer.prototype, 'a SharedArrayBuffer cannot be serialized; copy its bytes into an ArrayBuffer'],
  [Number.prototype, 'a boxed Number (new Number(…)) cannot be serialized; store the primitive number'],
  [String.prototype, 'a boxed String (new String(…)) cannot be serialized; store the primitive string'],
  [Boolean.prototype, 'a boxed Boolean (new Boolean(…)) cannot be serialized; store the primitive boolean'],
  [BigInt.prototype, 'a boxed BigInt (Object(1n)) cannot be serialized; store the primitive bigint'],
  [Symbol.prototype, 'a boxed Symbol cannot be serialized'],
]);
for (const prototype of UNCARRIED_REASONS.keys()) KIND_BY_PROTOTYPE.set(prototype, UNCARRIED);

const BUILTIN_ERRORS = new Map<object, string>([
  [Error.prototype, 'Error'],
  [TypeError.prototype, 'TypeError'],
  [RangeError.prototype, 'RangeError'],
  [SyntaxError.prototype, 'SyntaxError'],
  [ReferenceError.prototype, 'ReferenceError'],
  [EvalError.prototype, 'EvalError'],
  [URIError.prototype, 'URIError'],
  [AggregateError.prototype, 'AggregateError'],
]);

/** The nearest built-in Error class on the prototype chain, or undefined for objects that are not errors. */
function builtinErrorName(prototype: object | null): string | undefined {
  for (let p = prototype; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const name = BUILTIN_ERRORS.get(p);
    if (name !== undefined) return name;
  }
  return undefined;
}

function className(prototype: object): string {
  const ctor: unknown = (prototype as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? ctor.name : '(anonymous class)';
}

function functionName(fn: AnyFunction): string {
  return typeof fn.name === 'string' ? fn.name : '';
}

const hasOwn = Object.hasOwn;
const isEnumerable = (o: object, key: string): boolean => Object.prototype.propertyIsEnumerable.call(o, key);

/**
 * Writes any value the format carries as tagged-tree JSON text, in one of two modes.
 *
 * Value mode (the serializer): object identity is kept. Every object gets an id, counted in the order objects are
 * first written, and a later meeting writes {"~":"ref","i":id}; the reader counts the same way.
 *
 * Canonical mode (keys): equal keys give equal text. Object keys are sorted by code unit, Set members and Map entries
 * by their own text, -0 is written as 0, shared objects are written out again, and a cycle is an error.
 *
 * Unsupported values throw UnsupportedAtPath; the caller turns it into a SerializationError with the path.
 */
export class TreeWriter {
  private readonly ids: Map<object, number> | undefined;
  private readonly ancestors: Set<object> | undefined;
  /** Instances of registered classes with their own deserialize, while their data is written: they cannot be in it. */
  private awaitingData: Map<object, string> | undefined;

  private constructor(private readonly canonical: boolean) {
    if (canonical) this.ancestors = new Set();
    else this.ids = new Map();
  }

  /** Throws SerializationError naming the path of what cannot be written, or at `$` for a value nested too deeply. */
  static write(value: unknown, canonical: boolean): string {
    try {
      return new TreeWriter(canonical).value(value);
    } catch (error) {
      if (error instanceof UnsupportedAtPath) throw error.toSerializationError();
      if (isStackOverflow(error)) throw tooDeep(error, value);
      throw isStringTooLong(error) ? textTooLong(error) : error;
    }
  }

  private value(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        return this.number(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'undefined':
        return UNDEFINED_TEXT;
      case 'bigint':
        return BIGINT_OPEN + value.toString() + '"}';
      case 'object':
        return value === null ? 'null' : this.object(value);
      case 'function':
        return this.object(value);
      default:
        throw new UnsupportedAtPath('a symbol cannot be serialized');
    }
  }

  private number(n: number): string {
    if (n - n === 0) {
      // String(-0) is "0": keys compare numbers like Map does (SameValueZero).
      return n === 0 && 1 / n < 0 && !this.canonical ? NEGATIVE_ZERO_TEXT : String(n);
    }
    if (n !== n) return NAN_TEXT;
    return n > 0 ? INFINITY_TEXT : NEGATIVE_INFINITY_TEXT;
  }

  private object(o: object): string {
    try {
      return this.identified(o);
    } catch (error) {
      // A revoked Proxy throws a TypeError at the first look: say where it is, as for any value the format cannot carry.
      throw error instanceof TypeError && isRevokedProxy(o) ? new UnsupportedAtPath(REVOKED_PROXY) : error;
    }
  }

  private identified(o: object): string {
    const ids = this.ids;
    if (ids !== undefined) {
      const id = ids.get(o);
      if (id !== undefined) {
        const awaiting = this.awaitingData?.get(o);
        if (awaiting !== undefined) {
          throw new UnsupportedAtPath(
            `this ${awaiting} contains itself, which its registerClass deserialize cannot rebuild (it needs the data first); ` +
              'register the class without serialize/deserialize to store cycles through it',
          );
        }
        return REF_OPEN + id + '}';
      }
      ids.set(o, ids.size);
      return this.dispatch(o);
    }
    const ancestors = this.ancestors!;
    if (ancestors.has(o)) throw new UnsupportedAtPath('a key cannot contain itself (it has a cycle)');
    ancestors.add(o);
    const text = this.dispatch(o);
    ancestors.delete(o);
    return text;
  }

  private dispatch(o: object): string {
    if (isFunction(o)) return this.fn(functionName(o), functionSource(o));
    const prototype = Object.getPrototypeOf(o) as object | null;
    if (prototype === Object.prototype) return this.plainObject(o);
    if (prototype === Array.prototype) return this.array(o as unknown[]);
    if (prototype === null) return NULL_PROTOTYPE_OPEN + this.record(o, this.ownKeys(o)) + '}';
    switch (KIND_BY_PROTOTYPE.get(prototype)) {
      case DATE: {
        const time = Date.prototype.getTime.call(o);
        return DATE_OPEN + (time === time ? String(time) : 'null') + '}';
      }
      case REGEXP: {
        const re = o as RegExp;
        return REGEXP_OPEN + JSON.stringify(re.source) + ',"f":' + JSON.stringify(re.flags) + '}';
      }
      case MAP:
        return this.map(o as Map<unknown, unknown>);
      case SET:
        return this.set(o as Set<unknown>);
      case URL_:
        return URL_OPEN + JSON.stringify((o as URL).href) + '}';
      case BUFFER:
        return BUFFER_OPEN + viewToBase64(o as Buffer, 1) + '"}';
      case TYPED_ARRAY: {
        const { name, size } = TYPED_ARRAY_BY_PROTOTYPE.get(prototype)!;
        return open(name) + ',"v":"' + viewToBase64(o as ArrayBufferView, size) + '"}';
      }
      case ARRAY_BUFFER:
        return ARRAY_BUFFER_OPEN + arrayBufferToBase64(o as ArrayBuffer) + '"}';
      case DATA_VIEW:
        return DATA_VIEW_OPEN + viewToBase64(o as DataView, 1) + '"}';
      case STORED_FUNCTION: {
        const stored = o as StoredFunction;
        return this.fn(stored.name, stored.source);
      }
      case UNCARRIED:
        throw new UnsupportedAtPath(UNCARRIED_REASONS.get(prototype)!);
    }
    const registered = registeredClassOf(prototype);
    const errorName = builtinErrorName(prototype);
    if (registered !== undefined) {
      const plainRestore = registered.serialize === undefined && registered.deserialize === undefined;
      if (errorName !== undefined && plainRestore) return this.error(o as Error, errorName, registered);
      return this.instance(o, registered, plainRestore);
    }
    // An unregistered Error subclass is kept as its nearest built-in class, with its name, message, stack and properties.
    if (errorName !== undefined) return this.error(o as Error, errorName, undefined);
    const name = className(prototype);
    throw new UnsupportedAtPath(
      `cannot serialize an instance of class ${name}; call registerClass(${name}) to store it`,
    );
  }

  private ownKeys(o: object): string[] {
    const keys = Object.keys(o);
    return this.canonical ? keys.sort() : keys;
  }

  private plainObject(o: object): string {
    const body = this.record(o, this.ownKeys(o));
    return hasOwn(o, tag.TAG_KEY) ? ESCAPED_OBJECT_OPEN + body + '}' : body;
  }

  /** The listed properties of `o` as a JSON object of trees. */
  private record(o: object, keys: readonly string[]): string {
    const values = o as Record<string, unknown>;
    let text = '{';
    let i = 0;
    try {
      for (; i < keys.length; i++) {
        const key = keys[i];
        if (i > 0) text += ',';
        text += JSON.stringify(key) + ':' + this.value(values[key]);
      }
    } catch (error) {
      throw withSegment(error, propertySegment(keys[i]));
    }
    return text + '}';
  }

  private array(a: readonly unknown[]): string {
    const length = a.length;
    for (let i = 0; i < length; i++) {
      if (a[i] === undefined && !(i in a)) return this.sparseArray(a);
    }
    let text = '[';
    let i = 0;
    try {
      for (; i < length; i++) {
        if (i > 0) text += ',';
        text += this.value(a[i]);
      }
    } catch (error) {
      throw withSegment(error, indexSegment(i));
    }
    return text + ']';
  }

  /** Holes stay holes: only present elements are written, so a huge, mostly empty array stays small. */
  private sparseArray(a: readonly unknown[]): string {
    const length = a.length;
    // Object.keys lists an array's indexes first, ascending, then any other properties (which are not carried).
    const keys = Object.keys(a);
    let text = SPARSE_OPEN + length + ',"v":[';
    let i = 0;
    try {
      for (; i < keys.length; i++) {
        const key = keys[i];
        const index = +key;
        if (!(index < length && String(index) === key)) break;
        if (i > 0) text += ',';
        text += '[' + key + ',' + this.value(a[index]) + ']';
      }
    } catch (error) {
      throw withSegment(error, '[' + keys[i] + ']');
    }
    return text + ']}';
  }

  private map(m: Map<unknown, unknown>): string {
    const entries: string[] = [];
    let index = 0;
    let inValue = false;
    try {
      for (const [key, value] of m) {
        inValue = false;
        const keyText = this.value(key);
        inValue = true;
        entries.push('[' + keyText + ',' + this.value(value) + ']');
        index++;
      }
    } catch (error) {
      throw withSegment(error, (inValue ? '<value ' : '<key ') + index + '>');
    }
    if (this.canonical) entries.sort();
    return MAP_OPEN + entries.join(',') + ']}';
  }

  private set(s: Set<unknown>): string {
    const members: string[] = [];
    try {
      for (const member of s) members.push(this.value(member));
    } catch (error) {
      throw withSegment(error, '<member ' + members.length + '>');
    }
    if (this.canonical) members.sort();
    return SET_OPEN + members.join(',') + ']}';
  }

  private fn(name: string, source: string | undefined): string {
    if (source === undefined) {
      const what = name === '' ? 'an anonymous function' : `the function ${name}`;
      throw new UnsupportedAtPath(`cannot serialize ${what}: it is native or bound, so it has no source text`);
    }
    if (this.canonical) return FUNCTION_OPEN + ',"s":' + JSON.stringify(source) + '}';
    return FUNCTION_OPEN + ',"n":' + JSON.stringify(name) + ',"s":' + JSON.stringify(source) + '}';
  }

  private error(e: Error, builtinName: string, registered: RegisteredClass | undefined): string {
    let text = ERROR_OPEN + JSON.stringify(builtinName);
    if (registered !== undefined) text += ',"k":' + JSON.stringify(registered.name);
    const name: unknown = e.name;
    if (typeof name === 'string' && !(hasOwn(e, 'name') && isEnumerable(e, 'name'))) {
      const inherited = registered !== undefined ? (registered.prototype as Error).name : builtinName;
      if (name !== inherited) text += ',"n":' + JSON.stringify(name);
    }
    const message: unknown = hasOwn(e, 'message') ? e.message : undefined;
    if (typeof message === 'string') text += ',"m":' + JSON.stringify(message);
    const stack: unknown = e.stack;
    if (typeof stack === 'string') text += ',"s":' + JSON.stringify(stack);
    if (hasOwn(e, 'cause')) {
      try {
        text += ',"cause":' + this.value(e.cause);
      } catch (error) {
        throw withSegment(error, '.cause');
      }
    }
    const isAggregate = builtinName === 'AggregateError' && hasOwn(e, 'errors');
    if (isAggregate) {
      try {
        text += ',"errors":' + this.value((e as AggregateError).errors);
      } catch (error) {
        throw withSegment(error, '.errors');
      }
    }
    const keys = this.ownKeys(e).filter(
      (key) => key !== 'message' && key !== 'stack' && key !== 'cause' && !(isAggregate && key === 'errors'),
    );
    if (keys.length > 0) text += ',"p":' + this.record(e, keys);
    return text + '}';
  }

  private instance(o: object, registered: RegisteredClass, plainRestore: boolean): string {
    const name = JSON.stringify(registered.name);
    if (plainRestore) return CLASS_OPEN + name + ',"p":' + this.record(o, this.ownKeys(o)) + '}';
    let data: unknown;
    try {
      data = registered.serialize !== undefined ? registered.serialize(o) : Object.fromEntries(Object.entries(o));
    } catch (cause) {
      throw new UnsupportedAtPath(`the registerClass serialize of ${registered.name} threw`, cause);
    }
    if (this.ids !== undefined) (this.awaitingData ??= new Map()).set(o, registered.name);
    let text: string;
    try {
      text = this.value(data);
    } catch (error) {
      throw withSegment(error, '<' + registered.name + ' data>');
    }
    this.awaitingData?.delete(o);
    return CLASS_OPEN + name + ',"v":' + text + '}';
  }
}
