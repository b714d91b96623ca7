import { expiresAtOf, isIntactExpiringBlob } from '../format/header.js';

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

const EXPIRY = new Float64Array(1);
const EXPIRY_BYTES = new Uint8Array(EXPIRY.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * {@link expiresAtOf}, with the common case inline: an unencoded version 2 blob has its expiry read from bytes 14-21
 * here, on the hot read path of every expiring entry; anything else (base64, not a blob) goes to `expiresAtOf`.
 */
export function expiryOf(blob: Uint8Array): number | null {
  if (blob[2] !== 2 || blob[0] !== 0x48 || blob[1] !== 0x53 || blob.length < 22) return expiresAtOf(blob);
  const bytes = EXPIRY_BYTES;
  if (LITTLE_ENDIAN) {
    bytes[0] = blob[14]!;
    bytes[1] = blob[15]!;
    bytes[2] = blob[16]!;
    bytes[3] = blob[17]!;
    bytes[4] = blob[18]!;
    bytes[5] = blob[19]!;
    bytes[6] = blob[20]!;
    bytes[7] = blob[21]!;
  } else {
    for (let i = 0; i < 8; i++) bytes[7 - i] = blob[14 + i]!;
  }
  return EXPIRY[0];
}

/**
 * True when `blob` has expired at `now` (ms since the epoch). A blob whose header says so is checked whole (length and
 * crc32, see isIntactExpiringBlob) before it is believed, so damaged bytes are never taken for an expired (absent)
 * entry; that check runs only for expired blobs, never on the read of a live one.
 */
export function isExpiredAt(blob: Uint8Array, now: number): boolean {
  if (!mayExpire(blob)) return false;
  const at = expiryOf(blob);
  return at !== null && at <= now && isIntactExpiringBlob(blob);
}

/** True when `blob` has expired by `clock`, which is called only for a blob that carries an expiry. */
export function isExpired(blob: Uint8Array, clock: () => number): boolean {
  return mayExpire(blob) && isExpiredAt(blob, clock());
}

/**
 * The first bytes of a blob say it has expired at `now`: a first test on a partial read, to be confirmed by
 * {@link isExpiredAt} on the whole blob.
 */
export function headSaysExpiredAt(head: Uint8Array, now: number): boolean {
  if (!mayExpire(head)) return false;
  const at = expiryOf(head);
  return at !== null && at <= now;
}

/** `blob`, or undefined when it has expired by `clock`: what a read that hides expired entries hands on. */
export function liveOrUndefined(blob: Uint8Array | undefined, clock: () => number): Uint8Array | undefined {
  return blob !== undefined && mayExpire(blob) && isExpired(blob, clock) ? undefined : blob;
}

/** True when `blob` carries an expiry (a version 2 blob, raw or base64): what engines that keep a mark of them test. */
export const carriesExpiry = (blob: Uint8Array): boolean => mayExpire(blob) && expiryOf(blob) !== null;
