import { Buffer } from 'node:buffer';
import type { AnyConstructor } from '../any-function.js';
import { ConfigError } from '../errors.js';

/** How instances of a registered class are written and rebuilt. */
export interface RegisterClassOptions<T extends object = object> {
  /** The name stored with each instance; default the class's own name. Data written under a name is read back by it. */
  name?: string;
  /** What to store for an instance; it may hold anything the serializer carries. Default: own enumerable properties. */
  serialize?: (instance: T) => unknown;
  /**
   * Rebuilds an instance from what `serialize` returned. Default: an object of the class's prototype with the stored
   * properties, no constructor call. Classes with #private fields or other hidden state need both functions.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- public contract: `data` is what the user's serialize returned, typed by them
  deserialize?: (data: any) => T;
}

export interface RegisteredClass {
  readonly name: string;
  readonly ctor: AnyConstructor;
  readonly prototype: object;
  /** Called only with instances of `ctor` (matched by exact prototype): the class's own `T`, erased here. */
  readonly serialize: ((instance: object) => unknown) | undefined;
  readonly deserialize: ((data: unknown) => object) | undefined;
}

/**
 * Any class whose instances are `T`, abstract ones included. Inlined in the API reference, which shows it at
 * `registerClass`.
 *
 * @inline
 */
type Constructor<T extends object> = abstract new (...args: never[]) => T;

const byName = new Map<string, RegisteredClass>();
const byPrototype = new Map<object, RegisteredClass>();

/** Classes the serializer carries itself: registering them would only shadow that. */
const NATIVELY_CARRIED: ReadonlySet<AnyConstructor> = new Set<AnyConstructor>([
  Object,
  Array,
  Function,
  Date,
  RegExp,
  Map,
  Set,
  URL,
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
  ArrayBuffer,
  DataView,
  Buffer,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]);

/**
 * Built-ins that keep their contents in internal slots rather than own properties: a subclass instance restored from
 * its own properties would come back empty, so subclasses of these must say how to serialize themselves.
 */
const SLOT_HOLDERS: readonly AnyConstructor[] = [
  Array,
  Date,
  RegExp,
  Map,
  Set,
  URL,
  ArrayBuffer,
  DataView,
  Promise,
  WeakMap,
  WeakSet,
  Object.getPrototypeOf(Int8Array) as AnyConstructor,
];

const OPTION_NAMES: ReadonlySet<string> = new Set(['name', 'serialize', 'deserialize']);

/**
 * Lets the hashstash serializer and key encoding carry instances of `ctor`. Only instances whose prototype is exactly
 * `ctor.prototype` match: register subclasses too. Registering the same class again replaces its options.
 * Registrations are per thread: a class whose instances cross to `stash.map` workers is registered in both.
 *
 * @param ctor - The class.
 * @param options - The name stored with its instances, and how to write and rebuild them.
 * @throws {@link ConfigError} for something that is not a class, a class the serializer carries itself (Map, Date, …),
 *   an unknown or ill-typed option, a name already registered to another class, or a subclass of a built-in that keeps
 *   its contents in internal slots (Map, Set, Array, …) without both `serialize` and `deserialize`.
 * @example
 * ```ts
 * class Point { constructor(readonly x: number, readonly y: number) {} }
 * registerClass(Point);
 * await stash.set('p', new Point(1, 2));
 * (await stash.get('p')) instanceof Point;   // true
 * ```
 */
export function registerClass<T extends object>(ctor: Constructor<T>, options: RegisterClassOptions<T> = {}): void {
  const prototype: unknown = typeof ctor === 'function' ? ctor.prototype : undefined;
  if (typeof ctor !== 'function' || typeof prototype !== 'object' || prototype === null) {
    throw new ConfigError('registerClass: expected a class, got ' + describe(ctor));
  }
  if (NATIVELY_CARRIED.has(ctor)) {
    throw new ConfigError(`registerClass: ${ctor.name} is carried by the serializer already and cannot be registered`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('registerClass: options must be an object, got ' + describe(options));
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new ConfigError(`registerClass: unknown option "${key}"`);
  }
  const { serialize, deserialize } = options;
  if (serialize !== undefined && typeof serialize !== 'function') {
    throw new ConfigError('registerClass: option "serialize" must be a function, got ' + describe(serialize));
  }
  if (deserialize !== undefined && typeof deserialize !== 'function') {
    throw new ConfigError('registerClass: option "deserialize" must be a function, got ' + describe(deserialize));
  }
  if (serialize === undefined || deserialize === undefined) {
    const base = SLOT_HOLDERS.find((holder) => prototype instanceof holder);
    if (base !== undefined) {
      throw new ConfigError(
        `registerClass: ${ctor.name || 'this class'} extends ${base.name}, whose contents are not own properties; ` +
          'pass both serialize and deserialize',
      );
    }
  }
  const name = options.name ?? ctor.name;
  if (typeof name !== 'string' || name === '') {
    throw new ConfigError(
      options.name === undefined
        ? 'registerClass: this class has no name; pass options.name'
        : 'registerClass: option "name" must be a non-empty string',
    );
  }
  const holder = byName.get(name);
  if (holder !== undefined && holder.ctor !== ctor) {
    throw new ConfigError(
      `registerClass: the name "${name}" is already registered to another class; pass a different options.name`,
    );
  }
  const previous = byPrototype.get(prototype);
  if (previous !== undefined) byName.delete(previous.name);
  const entry: RegisteredClass = {
    name,
    ctor,
    prototype,
    serialize: serialize as RegisteredClass['serialize'],
    deserialize: deserialize as RegisteredClass['deserialize'],
  };
  byName.set(name, entry);
  byPrototype.set(prototype, entry);
}

/**
 * Forgets a class (given itself or its registered name). True when it was registered. Stored instances of it read
 * back as DecodeError until it is registered again.
 */
export function unregisterClass(ctorOrName: AnyConstructor | string): boolean {
  const entry =
    typeof ctorOrName === 'string' ? byName.get(ctorOrName) : byPrototype.get(ctorOrName.prototype as object);
  if (entry === undefined) return false;
  byName.delete(entry.name);
  byPrototype.delete(entry.prototype);
  return true;
}

/** The registration for objects whose prototype is exactly `prototype`. */
export function registeredClassOf(prototype: unknown): RegisteredClass | undefined {
  return byPrototype.get(prototype as object);
}

export function registeredClassNamed(name: string): RegisteredClass | undefined {
  return byName.get(name);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'function ' + (value.name || '(anonymous)');
  return typeof value;
}
