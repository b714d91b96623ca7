import { expiresAtOf } from '../format/header.js';

/**
 * Expiry as the engines and the facade test it, written once. A blob expires when its header says so (format
 * version 2, see header.ts) and that time is at or before the clock's now. The first test is on bytes alone, so a
 * blob that never expires (version 1) costs two byte reads and no call:
 * - byte 2 is the format version: 2 for a blob that expires;
 * - a blob base64-encoded whole (`b64: true`) starts 'SFMB' (version 1) or 'SFMC' (version 2), so byte 3 is 'C'
 *   (0x43) for one that expires. Byte 3 of an unencoded blob is its serializer's id, never 'C' today; one that were
 *   would only cost a call of {@link expiresAtOf}, which reads the truth.
 */
const B64_VERSION_2 = 0x43;

/** True when `blob` may carry an expiry: a test of two bytes, false for every blob that never expires. */
export const mayExpire = (blob: Uint8Array): boolean => blob[2] === 2 || blob[3] === B64_VERSION_2;

/** True when `blob` has expired at `now` (ms since the epoch). */
export function isExpiredAt(blob: Uint8Array, now: number): boolean {
  if (!mayExpire(blob)) return false;
  const at = expiresAtOf(blob);
  return at !== null && at <= now;
}

/** True when `blob` has expired by `clock`, which is called only for a blob that carries an expiry. */
export function isExpired(blob: Uint8Array, clock: () => number): boolean {
  if (!mayExpire(blob)) return false;
  const at = expiresAtOf(blob);
  return at !== null && at <= clock();
}

/** `blob`, or undefined when it has expired by `clock`: what a read that hides expired entries hands on. */
export function liveOrUndefined(blob: Uint8Array | undefined, clock: () => number): Uint8Array | undefined {
  return blob !== undefined && mayExpire(blob) && isExpired(blob, clock) ? undefined : blob;
}

/** True when `blob` carries an expiry (a version 2 blob, raw or base64): what engines that keep a mark of them test. */
export const carriesExpiry = (blob: Uint8Array): boolean => mayExpire(blob) && expiresAtOf(blob) !== null;
