import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { isExpiredAt, matchesExpected } from '../compare-and-set.js';
import { errorCode } from '../fs-errors.js';
import { withKeyLock } from './key-lock.js';

const KEY_FILE = 'key';
const VALUE_FILE = 'value';
/** Tries when the key's folder vanishes under an operation (a concurrent clear or delete removes it). */
const ATTEMPTS = 5;

/**
 * What the store lends: fresh temp names, its atomic write of one file (temp file renamed into place), and its own
 * `set` and `delete`, run under the key's lock for a replacement or a removal, so whatever they keep beside the value
 * (versions, expiry marks) is kept the same way here.
 */
export interface PairtreeWriting {
  readonly temp: () => string;
  readonly publish: (folder: string, name: string, bytes: Uint8Array) => void;
  readonly set: (key: Uint8Array, value: Uint8Array) => void;
  readonly delete: (key: Uint8Array) => void;
  /** Runs before a value is linked into place where none was: for what `set` keeps beside a value (an expiry mark). */
  readonly beforeCreate?: ((value: Uint8Array) => void) | undefined;
  /** Runs once a value was linked into place where none was (for what `set` does after a write: a change log). */
  readonly afterCreate?: ((key: Uint8Array) => void) | undefined;
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes `bytes` to a temp file and hard-links it as the value: false, and nothing written, when a value exists. */
function createValue(folder: string, bytes: Uint8Array, writing: PairtreeWriting): boolean {
  writing.beforeCreate?.(bytes);
  const draft = join(folder, writing.temp());
  const fd = openSync(draft, 'wx');
  try {
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
    } finally {
      closeSync(fd);
    }
    linkSync(draft, join(folder, VALUE_FILE));
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      /* never created, or gone with the folder */
    }
  }
}

function ensureKeyFile(folder: string, key: Uint8Array, writing: PairtreeWriting): void {
  if (!existsSync(join(folder, KEY_FILE))) writing.publish(folder, KEY_FILE, key);
}

/**
 * Compare-and-set on pairtree, for the key whose folder is `folder`.
 *
 * Absent to a value (`expected` undefined, the set-if-absent of every lease and `setIfAbsent`) takes no lock: the value
 * is written to a temp file and hard-linked as `value`, which fails with EEXIST when a value is there: of several
 * threads or processes exactly one links. Only when the value found is expired, and for every other case (replace,
 * delete), the key's lock is taken (key-lock.ts: a lock file that a dead holder cannot leave forever), the value is
 * read and compared, and the new one written by the store's `set` (or linked, where the value is gone), or the key
 * removed by the store's `delete`. A holder killed at any point leaves the old value or the new one, never a torn one, and a lock
 * that the next caller breaks.
 *
 * Atomic with respect to other compare-and-sets and deletes through compare-and-set; a plain `set` or `delete` of the
 * same key at the same moment (which takes no lock) may land between a compare-and-set's comparison and its write.
 * Append mode: it compares and replaces the key's current value and adds no version.
 */
export function compareAndSetInFolder(
  folder: string,
  key: Uint8Array,
  expected: Uint8Array | undefined,
  next: Uint8Array | undefined,
  now: number,
  writing: PairtreeWriting,
): boolean {
  for (let attempt = 1; ; attempt++) {
    try {
      return attemptCompareAndSet(folder, key, expected, next, now, writing);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || attempt >= ATTEMPTS) throw error;
    }
  }
}

function attemptCompareAndSet(
  folder: string,
  key: Uint8Array,
  expected: Uint8Array | undefined,
  next: Uint8Array | undefined,
  now: number,
  writing: PairtreeWriting,
): boolean {
  const valueFile = join(folder, VALUE_FILE);
  if (expected === undefined) {
    const found = readOrUndefined(valueFile);
    if (found !== undefined && !isExpiredAt(found, now)) return false;
    if (found === undefined) {
      if (next === undefined) return true;
      mkdirSync(folder, { recursive: true });
      ensureKeyFile(folder, key, writing);
      if (createValue(folder, next, writing)) {
        writing.afterCreate?.(key);
        return true;
      }
      const winner = readOrUndefined(valueFile);
      // Another writer linked first: theirs stands unless it is already expired (then the locked path decides).
      if (winner === undefined || !isExpiredAt(winner, now)) return false;
    }
  }
  if (!existsSync(folder)) {
    if (expected !== undefined) return false;
    mkdirSync(folder, { recursive: true });
  }
  let removed = false;
  const changed = withKeyLock(folder, writing.temp, () => {
    const current = readOrUndefined(valueFile);
    if (!matchesExpected(current, expected, now)) return false;
    if (next !== undefined) {
      if (current !== undefined) {
        writing.set(key, next);
        return true;
      }
      ensureKeyFile(folder, key, writing);
      const created = createValue(folder, next, writing);
      if (created) writing.afterCreate?.(key);
      return created;
    }
    // The value, its versions and the key file; the folder itself goes below, once the lock in it is released.
    writing.delete(key);
    removed = current !== undefined;
    return true;
  });
  if (removed) {
    try {
      // Empty parents go too, as after `delete`; a folder someone is filling (or locking) stays.
      rmdirSync(folder);
      rmdirSync(join(folder, '..'));
      rmdirSync(join(folder, '..', '..'));
    } catch {
      /* the key was someone's again, or the parents hold other entries */
    }
  }
  return changed;
}
