import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { EngineUnavailableError } from '../../errors.js';
import { currentProcess, isGone, type ProcessIdentity } from '../../tmp/process-identity.js';
import { errorCode } from '../fs-errors.js';

/**
 * A lock on one pairtree key, for compare-and-set: the file `.lock` in the key's folder (names starting with '.' are
 * never entries). It is taken by hard-linking a temp file that already holds the owner's identity (pid, process start
 * time, host, boot and pid namespace, thread, and a random token) to that name: the link fails with EEXIST while
 * another owner holds it, and a reader never sees a half-written lock.
 *
 * A holder killed while holding it (SIGKILL between taking and releasing) must not leave the key locked forever:
 * a waiter breaks a lock whose owner is known to be gone (`isGone`: same host, boot and pid namespace, and the pid is
 * dead or now belongs to a process started at another time), and, for owners it cannot check (another host sharing
 * the folder over a network file system, a worker thread of a live process terminated mid-operation), a lock older
 * than STALE_LOCK_MS. The critical section is a read and a rename, so a live holder is never that slow unless the
 * machine stalls it. Breaking takes a second lock, `.lock.break`, so two waiters that both judged the same lock stale
 * cannot remove a fresh lock taken in between: the breaker re-reads the lock under it and removes only the very lock
 * it judged. Releasing removes the lock only when it still holds this owner's token.
 */
const LOCK = '.lock';
const BREAK_LOCK = '.lock.break';
/** A lock whose owner cannot be checked is broken once it is this old. */
export const STALE_LOCK_MS = 30_000;
/** A break lock is held for two file operations; one older than this was left by a breaker that died. */
const STALE_BREAK_MS = 5_000;
/** How long a caller waits for a lock held all along by live owners before giving up. */
const WAIT_LIMIT_MS = 60_000;
const FIRST_DELAY_MS = 1;
const LAST_DELAY_MS = 50;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread: the engine is synchronous. */
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

interface LockRecord extends ProcessIdentity {
  readonly thread: number;
  readonly token: string;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function unlinkIfThere(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

/** Links a new file holding `body` to `name` in `folder`; false when `name` exists. */
function linkNew(folder: string, name: string, body: string, temp: () => string): boolean {
  const draft = join(folder, temp());
  const fd = openSync(draft, 'wx');
  try {
    writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(draft, join(folder, name));
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkIfThere(draft);
  }
}

/** Age in ms of a file, by its modification time; undefined when it is gone. */
function ageOf(file: string): number | undefined {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** True when the lock `body` (as read from `file`) was left by an owner that will never release it. */
function isStale(file: string, body: string, staleMs: number): boolean {
  let record: LockRecord | undefined;
  try {
    record = JSON.parse(body) as LockRecord;
  } catch {
    record = undefined;
  }
  if (record && typeof record.pid === 'number' && isGone(record)) return true;
  const age = ageOf(file);
  return age !== undefined && age > staleMs;
}

/** Removes the lock `seen` if it is still the one in place, under the break lock; false when someone else is breaking. */
function breakLock(folder: string, seen: string, temp: () => string): void {
  const breaker = JSON.stringify({ ...currentProcess(), thread: threadId, token: randomBytes(12).toString('hex') });
  if (!linkNew(folder, BREAK_LOCK, breaker, temp)) {
    const file = join(folder, BREAK_LOCK);
    const other = readOrUndefined(file);
    // A breaker that died mid-break: its break lock goes, and the next round tries again.
    if (other !== undefined && isStale(file, other, STALE_BREAK_MS) && readOrUndefined(file) === other)
      unlinkIfThere(file);
    return;
  }
  try {
    if (readOrUndefined(join(folder, LOCK)) === seen) unlinkIfThere(join(folder, LOCK));
  } finally {
    if (readOrUndefined(join(folder, BREAK_LOCK)) === breaker) unlinkIfThere(join(folder, BREAK_LOCK));
  }
}

/**
 * Runs `work` holding the lock of the key whose folder is `folder` (which must exist); `temp` names a fresh temp
 * file there. Throws ENOENT-coded errors when the folder vanishes meanwhile (a concurrent clear), for the caller to retry.
 */
export function withKeyLock<T>(folder: string, temp: () => string, work: () => T, staleMs = STALE_LOCK_MS): T {
  const body = JSON.stringify({ ...currentProcess(), thread: threadId, token: randomBytes(12).toString('hex') });
  const lock = join(folder, LOCK);
  const started = Date.now();
  for (let delay = FIRST_DELAY_MS; !linkNew(folder, LOCK, body, temp); delay = Math.min(LAST_DELAY_MS, delay * 2)) {
    const seen = readOrUndefined(lock);
    if (seen === undefined) continue;
    if (isStale(lock, seen, staleMs)) {
      breakLock(folder, seen, temp);
      continue;
    }
    if (Date.now() - started > WAIT_LIMIT_MS) {
      throw new EngineUnavailableError(
        `pairtree: the lock ${lock} was held by live owners for ${WAIT_LIMIT_MS / 1000} s; the last one: ${seen}`,
        lock,
      );
    }
    sleep(delay * (0.5 + Math.random()));
  }
  try {
    return work();
  } finally {
    // Only our own lock: one broken as stale meanwhile (this thread stalled past staleMs) is someone else's now.
    if (readOrUndefined(lock) === body) unlinkIfThere(lock);
  }
}
