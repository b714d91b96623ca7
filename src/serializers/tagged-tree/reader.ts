import { DecodeError } from '../../errors.js';
import { registeredClassNamed, type RegisteredClass } from '../classes.js';
import { evaluateFunctionSource, StoredFunction } from '../stored-function.js';
import { base64ToBuffer, toOwnArrayBuffer, TYPED_ARRAYS } from './binary.js';
import * as tag from './tags.js';

const ERROR_CLASSES = new Map<string, ErrorConstructor | AggregateErrorConstructor>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
  ['AggregateError', AggregateError],
]);

/** Holds the id of a registered-class instance whose own deserialize has not built it yet. */
const BEING_BUILT = Symbol('being built');
const MAX_ARRAY_LENGTH = 2 ** 32 - 1;
const BIGINT_DIGITS = /^-?\d+$/;

type Tree = Record<string, unknown>;

function isRecord(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown, length: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < length;
}

/** Own data property, so a key like "__proto__" is stored as data and setters on the prototype are not run. */
function defineData(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable, configurable: true });
}

function malformed(tagName: string, what: string): DecodeError {
  return new DecodeError(`hashstash: malformed "${tagName}" tag in the stored data: ${what}`);
}

/**
 * Rebuilds values from a parsed tagged tree (see tags.ts), reusing the parsed objects and arrays in place.
 * Objects are counted in the order they appear, as the writer counted them, so {"~":"ref","i":n} finds the n-th.
 * Anything that is not valid writer output throws DecodeError: the reader never guesses.
 */
export class TreeReader {
  private readonly objects: unknown[] = [];

  private constructor(private readonly trustCode: boolean) {}

  /** Throws DecodeError, also when a registered class's deserialize throws (the cause says why). */
  static read(tree: unknown, trustCode: boolean): unknown {
    try {
      return new TreeReader(trustCode).revive(tree);
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      throw new DecodeError(
        'hashstash: cannot rebuild the stored value: ' + String((error as Error)?.message ?? error),
        {
          cause: error,
        },
      );
    }
  }

  private revive(node: unknown): unknown {
    if (typeof node !== 'object' || node === null) return node;
    if (Array.isArray(node)) {
      this.objects.push(node);
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (typeof child === 'object' && child !== null) {
          const revived = this.revive(child);
          if (revived !== child) node[i] = revived;
        }
      }
      return node;
    }
    const name = (node as Tree)[tag.TAG_KEY];
    if (name === undefined) {
      this.objects.push(node);
      this.reviveRecord(node as Tree);
      return node;
    }
    return this.tagged(node as Tree, name);
  }

  /** Revives the values of a parsed object in place (assigning to its own data properties runs no setter). */
  private reviveRecord(record: Tree): void {
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (typeof child === 'object' && child !== null) {
        const revived = this.revive(child);
        if (revived !== child) record[key] = revived;
      }
    }
  }

  private tagged(node: Tree, name: unknown): unknown {
    switch (name) {
      case tag.TAG_REF: {
        const id = node['i'];
        if (!isIndex(id, this.objects.length)) throw malformed(tag.TAG_REF, 'it refers to an object not seen before');
        const target = this.objects[id];
        if (target === BEING_BUILT) throw malformed(tag.TAG_REF, 'it refers to an object that is still being rebuilt');
        return target;
      }
      case tag.TAG_ESCAPED_OBJECT: {
        const record = node['v'];
        if (!isRecord(record)) throw malformed(tag.TAG_ESCAPED_OBJECT, 'v is not an object');
        this.objects.push(record);
        this.reviveRecord(record);
        return record;
      }
      case tag.TAG_NULL_PROTOTYPE: {
        const record = node['v'];
        if (!isRecord(record)) throw malformed(tag.TAG_NULL_PROTOTYPE, 'v is not an object');
        const target = Object.create(null) as Tree;
        this.objects.push(target);
        for (const key of Object.keys(record)) target[key] = this.revive(record[key]);
        return target;
      }
      case tag.TAG_SPARSE_ARRAY:
        return this.sparseArray(node);
      case tag.TAG_UNDEFINED:
        return undefined;
      case tag.TAG_NAN:
        return NaN;
      case tag.TAG_INFINITY:
        return Infinity;
      case tag.TAG_NEGATIVE_INFINITY:
        return -Infinity;
      case tag.TAG_NEGATIVE_ZERO:
        return -0;
      case tag.TAG_BIGINT: {
        const digits = node['v'];
        if (typeof digits !== 'string' || !BIGINT_DIGITS.test(digits))
          throw malformed(tag.TAG_BIGINT, 'v is not an integer');
        return BigInt(digits);
      }
      case tag.TAG_DATE: {
        const time = node['v'];
        if (time !== null && typeof time !== 'number') throw malformed(tag.TAG_DATE, 'v is not a number or null');
        const date = new Date(time ?? NaN);
        this.objects.push(date);
        return date;
      }
      case tag.TAG_REGEXP: {
        const source = node['s'];
        const flags = node['f'];
        if (typeof source !== 'string' || typeof flags !== 'string')
          throw malformed(tag.TAG_REGEXP, 's or f is not a string');
        let re: RegExp;
        try {
          re = new RegExp(source, flags);
        } catch {
          throw malformed(tag.TAG_REGEXP, 'not a valid regular expression');
        }
        this.objects.push(re);
        return re;
      }
      case tag.TAG_MAP:
        return this.map(node);
      case tag.TAG_SET:
        return this.set(node);
      case tag.TAG_URL: {
        const href = node['v'];
        if (typeof href !== 'string' || !URL.canParse(href)) throw malformed(tag.TAG_URL, 'v is not a URL');
        const url = new URL(href);
        this.objects.push(url);
        return url;
      }
      case tag.TAG_BUFFER: {
        const bytes = base64ToBuffer(node['v']);
        if (bytes === undefined) throw malformed(tag.TAG_BUFFER, 'v is not base64');
        this.objects.push(bytes);
        return bytes;
      }
      case tag.TAG_ARRAY_BUFFER: {
        const bytes = base64ToBuffer(node['v']);
        if (bytes === undefined) throw malformed(tag.TAG_ARRAY_BUFFER, 'v is not base64');
        const buffer = toOwnArrayBuffer(bytes, 1);
        this.objects.push(buffer);
        return buffer;
      }
      case tag.TAG_DATA_VIEW: {
        const bytes = base64ToBuffer(node['v']);
        if (bytes === undefined) throw malformed(tag.TAG_DATA_VIEW, 'v is not base64');
        const view = new DataView(toOwnArrayBuffer(bytes, 1));
        this.objects.push(view);
        return view;
      }
      case tag.TAG_ERROR:
        return this.error(node);
      case tag.TAG_CLASS:
        return this.instance(node);
      case tag.TAG_FUNCTION:
        return this.fn(node);
    }
    if (typeof name === 'string') {
      const TypedArray = TYPED_ARRAYS.get(name);
      if (TypedArray !== undefined) {
        const bytes = base64ToBuffer(node['v']);
        const size = TypedArray.BYTES_PER_ELEMENT;
        if (bytes === undefined || bytes.length % size !== 0)
          throw malformed(name, `v is not base64 of whole ${size}-byte elements`);
        const array = new TypedArray(toOwnArrayBuffer(bytes, size));
        this.objects.push(array);
        return array;
      }
    }
    throw new DecodeError(
      `hashstash: unknown tag ${JSON.stringify(name)} in the stored data (written by a newer hashstash, or corrupt)`,
    );
  }

  private sparseArray(node: Tree): unknown[] {
    const length = node['n'];
    const pairs = node['v'];
    if (!isIndex(length, MAX_ARRAY_LENGTH + 1)) throw malformed(tag.TAG_SPARSE_ARRAY, 'n is not an array length');
    if (!Array.isArray(pairs)) throw malformed(tag.TAG_SPARSE_ARRAY, 'v is not a list');
    const array: unknown[] = [];
    array.length = length;
    this.objects.push(array);
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2 || !isIndex(pair[0], length)) {
        throw malformed(tag.TAG_SPARSE_ARRAY, 'an element is not an [index, value] pair within the length');
      }
      array[pair[0]] = this.revive(pair[1]);
    }
    return array;
  }

  private map(node: Tree): Map<unknown, unknown> {
    const pairs = node['v'];
    if (!Array.isArray(pairs)) throw malformed(tag.TAG_MAP, 'v is not a list');
    const map = new Map<unknown, unknown>();
    this.objects.push(map);
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw malformed(tag.TAG_MAP, 'an entry is not a [key, value] pair');
      const key = this.revive(pair[0]);
      map.set(key, this.revive(pair[1]));
    }
    return map;
  }

  private set(node: Tree): Set<unknown> {
    const members = node['v'];
    if (!Array.isArray(members)) throw malformed(tag.TAG_SET, 'v is not a list');
    const set = new Set<unknown>();
    this.objects.push(set);
    for (const member of members) set.add(this.revive(member));
    return set;
  }

  private fn(node: Tree): unknown {
    const source = node['s'];
    const name = node['n'] ?? '';
    if (typeof source !== 'string' || typeof name !== 'string')
      throw malformed(tag.TAG_FUNCTION, 's or n is not a string');
    let fn: unknown;
    if (this.trustCode) {
      try {
        fn = evaluateFunctionSource(source);
      } catch (error) {
        throw new DecodeError(`hashstash: the stored function ${name || '(anonymous)'} could not be evaluated`, {
          cause: error,
        });
      }
    } else {
      fn = new StoredFunction(name, source);
    }
    this.objects.push(fn);
    return fn;
  }

  private error(node: Tree): Error {
    const builtinName = node['c'];
    const ErrorClass = typeof builtinName === 'string' ? ERROR_CLASSES.get(builtinName) : undefined;
    if (ErrorClass === undefined) throw malformed(tag.TAG_ERROR, 'c is not a built-in Error class');
    const registeredName = node['k'];
    // Built by the built-in constructor, so it is a real Error; a registered subclass only lends its prototype
    // (new.target), and its own constructor is not called.
    const newTarget = registeredName === undefined ? ErrorClass : this.registered(registeredName).ctor;
    const error = Reflect.construct(ErrorClass, ErrorClass === AggregateError ? [[]] : [], newTarget) as Error;
    this.objects.push(error);
    const { n: name, m: message, s: stack } = node;
    if (name !== undefined) {
      if (typeof name !== 'string') throw malformed(tag.TAG_ERROR, 'n is not a string');
      defineData(error, 'name', name, false);
    }
    if (message !== undefined) {
      if (typeof message !== 'string') throw malformed(tag.TAG_ERROR, 'm is not a string');
      defineData(error, 'message', message, false);
    }
    if (stack === undefined) {
      delete error.stack;
    } else {
      if (typeof stack !== 'string') throw malformed(tag.TAG_ERROR, 's is not a string');
      defineData(error, 'stack', stack, false);
    }
    if (Object.hasOwn(node, 'cause')) defineData(error, 'cause', this.revive(node['cause']), false);
    if (Object.hasOwn(node, 'errors')) {
      const errors = this.revive(node['errors']);
      if (!Array.isArray(errors)) throw malformed(tag.TAG_ERROR, 'errors is not a list');
      defineData(error, 'errors', errors, false);
    }
    const properties = node['p'];
    if (properties !== undefined) {
      if (!isRecord(properties)) throw malformed(tag.TAG_ERROR, 'p is not an object');
      for (const key of Object.keys(properties)) defineData(error, key, this.revive(properties[key]), true);
    }
    return error;
  }

  private instance(node: Tree): object {
    const registered = this.registered(node['c']);
    const properties = node['p'];
    if (properties !== undefined) {
      if (!isRecord(properties)) throw malformed(tag.TAG_CLASS, 'p is not an object');
      const instance = Object.create(registered.prototype) as object;
      this.objects.push(instance);
      for (const key of Object.keys(properties)) defineData(instance, key, this.revive(properties[key]), true);
      return instance;
    }
    if (!Object.hasOwn(node, 'v')) throw malformed(tag.TAG_CLASS, 'it has neither p nor v');
    const id = this.objects.length;
    this.objects.push(BEING_BUILT);
    const data = this.revive(node['v']);
    let instance: object;
    if (registered.deserialize !== undefined) {
      instance = registered.deserialize(data);
    } else {
      instance = Object.create(registered.prototype) as object;
      if (isRecord(data)) for (const key of Object.keys(data)) defineData(instance, key, data[key], true);
    }
    this.objects[id] = instance;
    return instance;
  }

  private registered(name: unknown): RegisteredClass {
    if (typeof name !== 'string') throw malformed(tag.TAG_CLASS, 'the class name is not a string');
    const registered = registeredClassNamed(name);
    if (registered === undefined) {
      throw new DecodeError(
        `hashstash: the stored data holds an instance of class "${name}", which is not registered in this process; ` +
          `call registerClass(${name}) before reading it`,
      );
    }
    return registered;
  }
}
