import { TAG_KEY } from './tagged-tree/tags.js';

/**
 * Whether JSON.stringify + JSON.parse give a value back exactly, so the serializer can skip the tagged tree: only
 * plain objects and arrays (dense, no object met twice), strings, booleans, null and finite numbers other than -0.
 * A top-level number is left to the tagged form: a truncated "123" would still parse, as 12.
 * A top-level object with its own "~" key is left to the tagged form too (see tagged-tree/tags.ts).
 *
 * Plain functions with no closures, no try/catch and one small array of the objects met: it runs before every write.
 */
export function isPlainJson(value: unknown): boolean {
  if (typeof value !== 'object') return typeof value === 'string' || typeof value === 'boolean';
  if (value === null) return true;
  if (Object.getPrototypeOf(value) === Object.prototype && Object.hasOwn(value, TAG_KEY)) return false;
  return isPlainObject(value, [null]);
}

/**
 * The objects met so far: slot 0 holds null while the rest is a short list searched linearly, then, past
 * LIST_LIMIT objects, a Set of them all (a list stays faster than a Set for the few objects of a typical value).
 */
type Seen = [Set<object> | null, ...object[]];
const LIST_LIMIT = 32;

/** Finite numbers other than -0, strings and booleans. */
function isPlainPrimitive(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      // Finite (x - x is NaN for NaN and ±Infinity) and not -0.
      return value - value === 0 && (value !== 0 || 1 / value > 0);
    default:
      return false;
  }
}

// One stack frame per level of nesting (primitives are checked inline), so deep values go as deep as JSON does.
function isPlainObject(o: object, seen: Seen): boolean {
  // An object met before is a shared reference or a cycle, which JSON cannot say.
  const set = seen[0];
  if (set === null) {
    for (let i = 1; i < seen.length; i++) if (seen[i] === o) return false;
    seen.push(o);
    if (seen.length > LIST_LIMIT) seen[0] = new Set(seen.slice(1) as object[]);
  } else {
    if (set.has(o)) return false;
    set.add(o);
  }
  const prototype = Object.getPrototypeOf(o) as object | null;
  if (prototype === Array.prototype) {
    const array = o as unknown[];
    for (let i = 0; i < array.length; i++) {
      // Holes and undefined elements both read as undefined, which JSON would turn into null.
      const element = array[i];
      if (
        typeof element === 'object' ? element !== null && !isPlainObject(element, seen) : !isPlainPrimitive(element)
      ) {
        return false;
      }
    }
    return true;
  }
  if (prototype !== Object.prototype) return false;
  const record = o as Record<string, unknown>;
  for (const key in record) {
    const value = record[key];
    if (typeof value === 'object' ? value !== null && !isPlainObject(value, seen) : !isPlainPrimitive(value)) {
      return false;
    }
  }
  return true;
}
