import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  opendirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { DecodeError, ReadOnlyError } from '../../errors.js';
import { hashKey } from '../../keys/hash.js';
import { previewRawKey } from '../../keys/preview.js';
import type { EngineContext, RawEntry, SyncAppendStore, SyncStore } from '../engine.js';
import { carriesExpiry, headSaysExpiredAt, isExpired, isExpiredAt } from '../expiry.js';
import { LocalEngine } from '../local-engine.js';
import { pairtreeStats } from './stats.js';
import { errorCode, isReadOnlyCode, onReadOnlyFileSystem, storageError } from '../fs-errors.js';
import { appendVersion, removeVersions, versionsOf } from './versions.js';
import { compareAndSetInFolder } from './compare-and-set.js';
import { Feeds } from '../change-feed.js';
import { ChangeLog, PAIRTREE_CHANGE, watchPairtree } from './changes.js';

/**
 * Plain files in hashed folders: the key's sha256 hex splits into `ab/cd/<rest>/`, which holds `key` (the encoded key)
 * and `value` (the blob). Every file is written to a temp file in the same folder and renamed into place, so concurrent
 * processes and a writer killed mid-write never leave a torn entry; a reader sees the old file or the new one.
 * Names starting with '.' are temp files and never count as entries. Append mode adds a `versions/` folder beside
 * them (pairtree-versions.ts).
 */
const KEY_FILE = 'key';
const VALUE_FILE = 'value';
const TEMP_PREFIX = '.tmp-';
/**
 * Expiry: a stash that has held an expiring entry has this file in its root (a name with a '.', so never an entry),
 * made by the first such write and removed only with the folder by `clear()`. Without it `has`, `keys` and `size`
 * look at file names only, as before expiry existed; with it they read each value's first bytes, its header, to leave
 * expired entries out. `get` and `entries` read the value anyway and test it.
 */
const EXPIRING_MARK = '.expiring';
/** Enough of a value file to read its expiry: the 22-byte header of a version 2 blob, or 32 characters of base64. */
const HEAD_BYTES = 32;

let tempCounter = 0;
const tempName = () =>
  `${TEMP_PREFIX}${process.pid}-${threadId}-${(tempCounter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

const errnoOf = errorCode;

class PairtreeStore implements SyncStore {
  readonly #root: string;
  readonly #now: () => number;
  /** Logs changes for watchers, after each write is visible (changes.ts). */
  readonly #changes: ChangeLog;
  constructor(root: string, now: () => number) {
    this.#root = root;
    this.#now = now;
    this.#changes = new ChangeLog(root);
  }

  /** Whether the stash has held an expiring entry since it was last cleared. */
  #marked(): boolean {
    return existsSync(join(this.#root, EXPIRING_MARK));
  }

  /** Makes the mark before an expiring value is written (a write it races with may remove it: clear() renames the root). */
  #markFor(value: Uint8Array): void {
    if (!carriesExpiry(value) || this.#marked()) return;
    mkdirSync(this.#root, { recursive: true });
    this.#writeAtomically(this.#root, EXPIRING_MARK, Buffer.from('values here may expire\n'));
  }

  /** The first bytes of a value file, enough to read its expiry; undefined when it is absent. */
  #head(file: string): Buffer | undefined {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      return this.#fail(error, file, 'read');
    }
    try {
      const head = Buffer.allocUnsafe(HEAD_BYTES);
      return head.subarray(0, readSync(fd, head, 0, HEAD_BYTES, 0));
    } catch (error) {
      return this.#fail(error, file, 'read');
    } finally {
      closeSync(fd);
    }
  }

  /** Whether the folder holds a value that has not expired at `now` (headers are read only in a marked stash). */
  #holdsLive(folder: string, marked: boolean, now: number): boolean {
    if (!marked) return existsSync(join(folder, VALUE_FILE));
    const file = join(folder, VALUE_FILE);
    const head = this.#head(file);
    return head !== undefined && !(headSaysExpiredAt(head, now) && this.#expired(file, now));
  }

  /** Whether the whole value file is an intact blob expired at `now` (a header alone may be damage). */
  #expired(file: string, now: number): boolean {
    const blob = this.#read(file);
    return blob !== undefined && isExpiredAt(blob, now);
  }

  #folderOf(key: Uint8Array): string {
    const hash = hashKey(key);
    return join(this.#root, hash.slice(0, 2), hash.slice(2, 4), hash.slice(4));
  }

  /** Turns a file-system failure into a typed error naming the path. */
  #fail(error: unknown, path: string, doing: string): never {
    const code = errorCode(error);
    // A recursive mkdir on a read-only mount reports ENOENT.
    throw storageError(error, {
      engine: 'pairtree',
      doing,
      path,
      readOnly: isReadOnlyCode(code) || (code === 'ENOENT' && onReadOnlyFileSystem(path)),
    });
  }

  #read(file: string): Buffer | undefined {
    try {
      return readFileSync(file);
    } catch (error) {
      const code = errnoOf(error);
      // ENOTDIR here means an ancestor is a file; only the stash root can be one, and that is a misconfiguration.
      if (code === 'ENOENT') return undefined;
      return this.#fail(error, file, 'read');
    }
  }

  #writeAtomically(folder: string, name: string, bytes: Uint8Array): void {
    const temp = join(folder, tempName());
    try {
      const fd = openSync(temp, 'wx');
      try {
        let written = 0;
        while (written < bytes.length) written += writeSync(fd, bytes, written);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, join(folder, name));
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {
        /* the temp file may never have been created */
      }
      throw error;
    }
  }

  get(key: Uint8Array) {
    const value = this.#read(join(this.#folderOf(key), VALUE_FILE));
    return value !== undefined && isExpired(value, this.#now) ? undefined : value;
  }

  set(key: Uint8Array, value: Uint8Array) {
    const folder = this.#folderOf(key);
    // A concurrent clear() or delete may remove the folder between our mkdir and rename; one retry covers it.
    for (let attempt = 0; ; attempt++) {
      try {
        this.#markFor(value);
        mkdirSync(folder, { recursive: true });
        if (!existsSync(join(folder, KEY_FILE))) this.#writeAtomically(folder, KEY_FILE, key);
        this.#writeAtomically(folder, VALUE_FILE, value);
        this.#changes.log(PAIRTREE_CHANGE.set, key);
        return;
      } catch (error) {
        if (errnoOf(error) === 'ENOENT' && attempt < 2) continue;
        this.#fail(error, folder, 'write');
      }
    }
  }

  has(key: Uint8Array) {
    return this.#holdsLive(this.#folderOf(key), this.#marked(), this.#now());
  }

  /** Removes the entry and its versions; true when it held a value that had not expired. */
  delete(key: Uint8Array) {
    const folder = this.#folderOf(key);
    const live = this.#holdsLive(folder, this.#marked(), this.#now());
    let existed = true;
    try {
      unlinkSync(join(folder, VALUE_FILE));
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') this.#fail(error, folder, 'delete');
      existed = false;
    }
    return this.#removeRest(folder, existed, key) && live;
  }

  /**
   * After a value file is gone: the versions, the key file and the empty folders; returns `existed`, and logs the
   * delete of `key` (when known) for watchers.
   */
  #removeRest(folder: string, existed: boolean, key: Uint8Array | undefined): boolean {
    // Even without a value: versions an append racing an earlier delete (or a crash) left must not outlive the key.
    try {
      removeVersions(folder, tempName, (doomed) => rmSync(doomed, { recursive: true, force: true, maxRetries: 3 }));
    } catch (error) {
      this.#fail(error, folder, 'delete');
    }
    if (!existed) return false;
    if (key !== undefined) this.#changes.log(PAIRTREE_CHANGE.delete, key);
    try {
      unlinkSync(join(folder, KEY_FILE));
      // Empty parents go too, so a deleted stash leaves no litter; a folder a concurrent writer is filling stays.
      rmdirSync(folder);
      rmdirSync(join(folder, '..'));
      rmdirSync(join(folder, '..', '..'));
    } catch {
      /* the key was a concurrent writer's again, or the parents still hold other entries */
    }
    return true;
  }

  /** Bytes, estimated from a sample of entries (stats.ts). */
  stats() {
    return pairtreeStats(this.#folders(), this.size());
  }

  size() {
    let count = 0;
    for (const _ of this.#folders()) count++;
    return count;
  }

  /**
   * Removes every entry expired by now, found by a scan of the headers. Each is moved aside by a rename (atomic), and
   * removed if what was moved is still expired; a value set again just before the rename is put back (a link, which
   * leaves an even newer one in place).
   */
  purgeExpired(): number {
    if (!this.#marked()) return 0;
    const now = this.#now();
    let removed = 0;
    for (const folder of this.#folders(false)) {
      const file = join(folder, VALUE_FILE);
      const head = this.#head(file);
      if (head === undefined || !headSaysExpiredAt(head, now) || !this.#expired(file, now)) continue;
      const aside = join(folder, tempName());
      try {
        renameSync(file, aside);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') continue;
        this.#fail(error, file, 'purge');
      }
      if (this.#expired(aside, now)) {
        unlinkSync(aside);
        if (this.#removeRest(folder, true, this.#read(join(folder, KEY_FILE)))) removed++;
        continue;
      }
      try {
        linkSync(aside, file);
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') this.#fail(error, file, 'purge');
      } finally {
        unlinkSync(aside);
      }
    }
    return removed;
  }

  /** Renames the folder aside first, so the stash is empty at once for every process, then deletes it. */
  clear() {
    const doomed = `${this.#root}.deleting-${tempName().slice(TEMP_PREFIX.length)}`;
    try {
      renameSync(this.#root, doomed);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return;
      this.#fail(error, this.#root, 'clear');
    }
    this.#changes.log(PAIRTREE_CHANGE.clear, undefined);
    try {
      rmSync(doomed, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      this.#fail(error, doomed, 'clear');
    }
  }

  /**
   * Walks the three folder levels one directory handle at a time, so memory stays bounded whatever the size. The
   * folders of live entries (`live`), or of every entry, expired or not.
   */
  *#folders(live = true): Generator<string> {
    const marked = live && this.#marked();
    const now = this.#now();
    for (const a of this.#children(this.#root)) {
      for (const b of this.#children(a)) {
        for (const folder of this.#children(b)) {
          if (this.#holdsLive(folder, marked, now)) yield folder;
        }
      }
    }
  }

  *#children(folder: string): Generator<string> {
    let dir;
    try {
      dir = opendirSync(folder);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return;
      this.#fail(error, folder, 'list');
    }
    try {
      for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
        if (entry.isDirectory() && !entry.name.startsWith('.')) yield join(folder, entry.name);
      }
    } finally {
      dir.closeSync();
    }
  }

  /**
   * The key an entry's folder holds. Its folder is named by the key's hash, so a key file whose bytes hash elsewhere
   * is corrupt: handing it on would pair a key never written with this folder's value, so it is a DecodeError.
   */
  #keyIn(folder: string): Buffer | undefined {
    const key = this.#read(join(folder, KEY_FILE));
    if (key !== undefined && this.#folderOf(key) !== folder) {
      throw new DecodeError(
        `pairtree: ${join(folder, KEY_FILE)} holds the key ${previewRawKey(key)}, which does not hash to that folder: ` +
          'the key file is corrupt, so the key of this entry is unknown; remove the folder, or delete the entry under ' +
          'its real key, to drop it',
      );
    }
    return key;
  }

  *keys() {
    for (const folder of this.#folders()) {
      const key = this.#keyIn(folder);
      if (key) yield key;
    }
  }

  *entries(): Iterable<RawEntry> {
    const now = this.#now();
    for (const folder of this.#folders()) {
      const key = this.#keyIn(folder);
      const value = this.#read(join(folder, VALUE_FILE));
      if (key && value && !isExpiredAt(value, now)) yield [key, value];
    }
  }

  readonly append: SyncAppendStore = {
    append: (key, value) => {
      const folder = this.#folderOf(key);
      // A concurrent clear() or delete may remove the folder meanwhile; one retry covers it, as in set().
      for (let attempt = 0; ; attempt++) {
        try {
          this.#markFor(value);
          mkdirSync(folder, { recursive: true });
          if (!existsSync(join(folder, KEY_FILE))) this.#writeAtomically(folder, KEY_FILE, key);
          const version = appendVersion(folder, value, tempName, (at, name, bytes) =>
            this.#writeAtomically(at, name, bytes),
          );
          this.#changes.log(PAIRTREE_CHANGE.set, key);
          return version;
        } catch (error) {
          if (errnoOf(error) === 'ENOENT' && attempt < 2) continue;
          return this.#fail(error, folder, 'write');
        }
      }
    },
    versions: (key) => versionsOf(this.#folderOf(key)),
  };

  compareAndSet(key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined): boolean {
    const folder = this.#folderOf(key);
    const publish = (at: string, name: string, bytes: Uint8Array) => this.#writeAtomically(at, name, bytes);
    try {
      return compareAndSetInFolder(folder, key, expected, next, this.#now(), {
        temp: tempName,
        publish,
        set: (k, v) => this.set(k, v),
        delete: (k) => void this.delete(k),
        beforeCreate: (value) => this.#markFor(value),
        afterCreate: (created) => this.#changes.log(PAIRTREE_CHANGE.set, created),
      });
    } catch (error) {
      return this.#fail(error, folder, 'write');
    }
  }

  getMany(keys: readonly Uint8Array[]) {
    return keys.map((key) => this.get(key));
  }
  setMany(entries: Iterable<RawEntry>) {
    for (const [key, value] of entries) this.set(key, value);
  }
}

export function createPairtreeEngine(context: EngineContext): LocalEngine {
  const feeds = new Feeds();
  const engine = new LocalEngine(
    'pairtree',
    {
      persistent: true,
      sync: true,
      sharedAcrossProcesses: true,
      sharedAcrossThreads: true,
      nativeAppend: true,
      hidesExpired: true,
    },
    new PairtreeStore(context.path, context.now),
    () => {
      void feeds.closeAll();
    },
  );
  engine.watch = (options) => {
    if (context.readonly) {
      throw new ReadOnlyError(
        `pairtree cannot watch ${context.path}: a watcher registers itself beside the stash, and the stash was opened with readonly: true`,
      );
    }
    return watchPairtree(context.path, feeds, options);
  };
  return engine;
}
