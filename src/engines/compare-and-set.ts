import { isExpiredAt } from './expiry.js';

export { isExpiredAt };

/**
 * The comparison every engine's `compareAndSet` makes (see {@link Engine.compareAndSet}): true when `current`, the
 * blob stored under the key now (undefined when nothing is), is what the caller `expected`. Bytes are compared
 * exactly; `expected` undefined stands for "nothing live": nothing stored, or a blob expired at `now`.
 */
export function matchesExpected(
  current: Uint8Array | undefined,
  expected: Uint8Array | undefined,
  now: number,
): boolean {
  if (expected === undefined) return current === undefined || isExpiredAt(current, now);
  return current !== undefined && sameBytes(current, expected);
}

/** Byte equality of two views (lmdb's transient views may report a `byteLength` past their `length`: compare by length). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
