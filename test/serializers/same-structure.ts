import { StoredFunction } from '../../src/serializers/stored-function.js';

/**
 * A test oracle written independently of the serializer: describes the first difference between what was stored
 * (`expected`) and what came back (`actual`), or returns undefined when they are the same value. Same means: same
 * prototypes, primitives equal by Object.is, holes where holes were, own enumerable properties in the same order,
 * Map/Set contents in the same order, same bytes for binary data, same Error fields, and the same sharing: two places
 * that held one object hold one object, and two that held different objects hold different ones.
 * Functions compare by source text, with StoredFunction standing for the function it stores.
 */
export function differenceBetween(expected: unknown, actual: unknown): string | undefined {
  return new Comparison().compare(expected, actual, '$');
}

class Comparison {
  private readonly pairs = new Map<object, object>();
  private readonly reversePairs = new Map<object, object>();

  compare(a: unknown, b: unknown, path: string): string | undefined {
    if (typeof a === 'function' || a instanceof StoredFunction) {
      if (!(b instanceof StoredFunction) && typeof b !== 'function')
        return `${path}: expected a function, got ${typeof b}`;
      const sourceA = a instanceof StoredFunction ? a.source : Function.prototype.toString.call(a);
      const sourceB = b instanceof StoredFunction ? b.source : Function.prototype.toString.call(b);
      return sourceA === sourceB ? undefined : `${path}: function source differs`;
    }
    if (typeof a !== 'object' || a === null) {
      return Object.is(a, b) ? undefined : `${path}: expected ${describe(a)}, got ${describe(b)}`;
    }
    if (typeof b !== 'object' || b === null) return `${path}: expected an object, got ${describe(b)}`;
    const known = this.pairs.get(a);
    if (known !== undefined)
      return known === b ? undefined : `${path}: sharing differs (expected the object met before)`;
    if (this.reversePairs.has(b)) return `${path}: sharing differs (got an object met before in another place)`;
    this.pairs.set(a, b);
    this.reversePairs.set(b, a);
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;

    if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime()) ? undefined : `${path}: dates differ`;
    if (a instanceof RegExp) {
      const r = b as RegExp;
      return a.source === r.source && a.flags === r.flags ? undefined : `${path}: regexps differ`;
    }
    if (a instanceof URL) return a.href === (b as URL).href ? undefined : `${path}: URLs differ`;
    if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) {
      const bytesA = bytesOf(a);
      const bytesB = bytesOf(b as ArrayBufferView | ArrayBuffer);
      return Buffer.compare(bytesA, bytesB) === 0 ? undefined : `${path}: bytes differ`;
    }
    if (a instanceof Map) {
      const m = b as Map<unknown, unknown>;
      if (a.size !== m.size) return `${path}: Map sizes differ`;
      const entriesB = [...m];
      let i = 0;
      for (const [key, value] of a) {
        const [keyB, valueB] = entriesB[i];
        const d = this.compare(key, keyB, `${path}<key ${i}>`) ?? this.compare(value, valueB, `${path}<value ${i}>`);
        if (d !== undefined) return d;
        i++;
      }
      return undefined;
    }
    if (a instanceof Set) {
      const s = b as Set<unknown>;
      if (a.size !== s.size) return `${path}: Set sizes differ`;
      const membersB = [...s];
      let i = 0;
      for (const member of a) {
        const d = this.compare(member, membersB[i], `${path}<member ${i}>`);
        if (d !== undefined) return d;
        i++;
      }
      return undefined;
    }
    if (a instanceof Error) {
      const e = b as Error;
      for (const field of ['name', 'message', 'stack'] as const) {
        if (a[field] !== e[field]) return `${path}: Error ${field} differs`;
      }
      if (Object.hasOwn(a, 'cause') !== Object.hasOwn(e, 'cause')) return `${path}: Error cause presence differs`;
      const d = this.compare(a.cause, e.cause, `${path}.cause`);
      if (d !== undefined) return d;
      if (a instanceof AggregateError) {
        const d2 = this.compare(a.errors, (e as AggregateError).errors, `${path}.errors`);
        if (d2 !== undefined) return d2;
      }
    }
    if (Array.isArray(a)) {
      const arrayB = b as unknown[];
      if (a.length !== arrayB.length) return `${path}: lengths differ`;
      const indexesA = Object.keys(a);
      const indexesB = Object.keys(arrayB);
      if (indexesA.join() !== indexesB.join()) return `${path}: holes differ`;
      for (const index of indexesA) {
        const d = this.compare(a[+index], arrayB[+index], `${path}[${index}]`);
        if (d !== undefined) return d;
      }
      return undefined;
    }
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.join('\u0000') !== keysB.join('\u0000'))
      return `${path}: property names differ (${keysA.join(',')} vs ${keysB.join(',')})`;
    for (const key of keysA) {
      const d = this.compare(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (d !== undefined) return d;
    }
    return undefined;
  }
}

function bytesOf(value: ArrayBufferView | ArrayBuffer): Buffer {
  return ArrayBuffer.isView(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : Buffer.from(value);
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return value + 'n';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
