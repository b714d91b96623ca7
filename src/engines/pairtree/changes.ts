import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { RawChange } from '../engine.js';
import { type Feeds, pollChanges, type PolledSource, type WatchOptions } from '../change-feed.js';
import { errorCode } from '../fs-errors.js';

/**
 * The pairtree engine's change feed, in a folder beside the stash's, `<path>.changes/` (beside, so that `clear()`,
 * which renames the stash's folder away, leaves it in place):
 * - `watchers/<id>`: one file per watcher, its mtime a heartbeat; the folder exists exactly while someone watches.
 * - `log`: records appended with O_APPEND (each one write(), so records of concurrent writers never interleave), each
 *   [u32 LE MAGIC][u32 LE payload length][u32 LE crc32 of the payload][payload: u8 type, key]. A record torn by a writer
 *   killed mid-write (or a full disk) fails its length or crc check: the reader skips to the next record that checks,
 *   and reports `missed`. Past ROTATE_BYTES the writer renames it `log.1` (replacing the one before).
 * A writer logs after its write is visible, and only when `watchers/` exists (one stat): a watcher registers first and
 * then takes the log's size as its start, so a write visible after watch() returned is always logged. Watchers
 * refresh their file every HEARTBEAT_MS and remove others silent for STALE_MS (a killed process); the last to leave
 * removes `watchers/`. A watcher reads from the offset it reached, following the log across a rotation (and reading
 * the old file a while longer, for a writer that opened it just before); a file rotated away twice before it read it
 * is `missed`, as is finding its own registration gone. A writer killed between its write and its record loses that
 * record: the one gap this design cannot see.
 */
const MAGIC = 0x4c435348; // 'HSCL'
const HEADER = 12;
const ROTATE_BYTES = 1024 * 1024;
const POLL_MS = 20;
const HEARTBEAT_MS = 5_000;
const STALE_MS = 60_000;
/** After a rotation, the old file is read this long still, for a writer that opened it just before. */
const LATE_WRITER_MS = 2_000;
const READ_BYTES = 256 * 1024;
/**
 * A record is one write(): a live writer's is whole within microseconds. One still incomplete after this long was torn
 * (its writer killed, the disk full), and is skipped, so a torn record at the end never holds up the ones after it.
 */
const TORN_MS = 2_000;
/** No key is this long: a record claiming more is torn. */
const MAX_PAYLOAD = 256 * 1024 * 1024;
const SET = 1;
const DELETE = 2;
const CLEAR = 3;
export const PAIRTREE_CHANGE = { set: SET, delete: DELETE, clear: CLEAR } as const;

const folderOf = (path: string) => `${path}.changes`;

/** A store's side: appends its changes to the log while someone watches. */
export class ChangeLog {
  readonly #watchers: string;
  readonly #log: string;
  constructor(path: string) {
    const folder = folderOf(path);
    this.#watchers = join(folder, 'watchers');
    this.#log = join(folder, 'log');
  }

  /** After a write is visible: logs it when someone watches. A failure to log never fails the write. */
  log(type: number, key: Uint8Array | undefined): void {
    if (!existsSync(this.#watchers)) return;
    const payload = Buffer.allocUnsafe(1 + (key?.length ?? 0));
    payload[0] = type;
    if (key) payload.set(key, 1);
    const record = Buffer.allocUnsafe(HEADER + payload.length);
    record.writeUInt32LE(MAGIC, 0);
    record.writeUInt32LE(payload.length, 4);
    record.writeUInt32LE(crc32(payload), 8);
    payload.copy(record, HEADER);
    try {
      const fd = openSync(this.#log, 'a');
      let size: number;
      try {
        writeSync(fd, record);
        size = fstatSync(fd).size;
      } finally {
        closeSync(fd);
      }
      if (size > ROTATE_BYTES) renameSync(this.#log, `${this.#log}.1`);
    } catch {
      /* the watchers read a gap they cannot see only here: a full disk or a removed folder */
    }
  }
}

interface OpenFile {
  fd: number;
  ino: number;
  offset: number;
  until: number;
  /** Where a record was incomplete, and since when (see TORN_MS). */
  stuckAt: number;
  stuckSince: number;
  /** Bytes were skipped as torn: the next record that checks is preceded by `missed`. */
  torn: boolean;
}

/** One watcher: its registration file, and where it is in the log. */
class PairtreeWatcher implements PolledSource {
  readonly #watchers: string;
  readonly #log: string;
  readonly #mine: string;
  #current: OpenFile | undefined;
  #previous: OpenFile | undefined;
  #beatAt = 0;

  constructor(path: string) {
    const folder = folderOf(path);
    this.#watchers = join(folder, 'watchers');
    this.#log = join(folder, 'log');
    this.#mine = join(this.#watchers, randomUUID());
    this.#register();
    this.#current = this.#open(true);
  }

  #register(): void {
    for (let attempt = 0; ; attempt++) {
      try {
        mkdirSync(this.#watchers, { recursive: true });
        writeFileSync(this.#mine, '');
        break;
      } catch (error) {
        // The last watcher leaving removed the folder between our mkdir and our file: once more.
        if (errorCode(error) !== 'ENOENT' || attempt > 5) throw error;
      }
    }
    this.#beatAt = Date.now() + HEARTBEAT_MS;
  }

  /** The log as it is now, from its end (`atEnd`) or its start (a file that follows the one read). */
  #open(atEnd: boolean): OpenFile {
    const fd = openSync(this.#log, 'a+');
    const stat = fstatSync(fd);
    return {
      fd,
      ino: stat.ino,
      offset: atEnd ? stat.size : 0,
      until: Infinity,
      stuckAt: -1,
      stuckSince: 0,
      torn: false,
    };
  }

  #heartbeat(): boolean {
    const now = Date.now();
    try {
      utimesSync(this.#mine, now / 1000, now / 1000);
    } catch {
      return false;
    }
    try {
      for (const name of readdirSync(this.#watchers)) {
        const file = join(this.#watchers, name);
        try {
          if (file !== this.#mine && statSync(file).mtimeMs < now - STALE_MS) unlinkSync(file);
        } catch {
          /* gone already */
        }
      }
    } catch {
      /* the folder is being recreated */
    }
    return true;
  }

  read(): RawChange[] {
    const changes: RawChange[] = [];
    if (Date.now() >= this.#beatAt) {
      this.#beatAt = Date.now() + HEARTBEAT_MS;
      if (!this.#heartbeat()) {
        // Taken for dead (silent past STALE_MS): writes meanwhile may not have been logged.
        this.#register();
        this.#closeFile(this.#current);
        this.#current = this.#open(true);
        return [{ type: 'missed' }];
      }
    }
    if (this.#previous) {
      this.#readFile(this.#previous, changes);
      if (Date.now() > this.#previous.until) {
        this.#closeFile(this.#previous);
        this.#previous = undefined;
      }
    }
    const current = this.#current!;
    this.#readFile(current, changes);
    let ino: number | undefined;
    try {
      ino = statSync(this.#log).ino;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    if (ino !== undefined && ino !== current.ino) {
      // Rotated: what follows our file is `log` when ours is `log.1`; else a file between was rotated away unread.
      let rotatedOnce = false;
      try {
        rotatedOnce = statSync(`${this.#log}.1`).ino === current.ino;
      } catch {
        /* none */
      }
      if (!rotatedOnce) changes.push({ type: 'missed' });
      this.#closeFile(this.#previous);
      current.until = Date.now() + LATE_WRITER_MS;
      this.#previous = current;
      this.#current = this.#open(false);
      this.#readFile(this.#current, changes);
    }
    return changes;
  }

  /** Reads the complete records after `file.offset`, skipping torn ones (as `missed`). */
  #readFile(file: OpenFile, changes: RawChange[]): void {
    for (;;) {
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      const length = readSync(file.fd, buffer, 0, READ_BYTES, file.offset);
      if (length === 0) return;
      let at = 0;
      while (at + HEADER <= length) {
        const payloadLength = buffer.readUInt32LE(at + 4);
        const magicOk = buffer.readUInt32LE(at) === MAGIC && payloadLength <= MAX_PAYLOAD;
        if (magicOk && at + HEADER + payloadLength > length && !this.#tornAt(file, file.offset + at)) {
          // Incomplete: not written whole yet, or larger than what was read; read again from here.
          if (at === 0 && HEADER + payloadLength > READ_BYTES)
            at = this.#readLarge(file, payloadLength, changes) ? -1 : 0;
          break;
        }
        const payload = buffer.subarray(at + HEADER, at + HEADER + payloadLength);
        if (!magicOk || payloadLength === 0 || crc32(payload) !== buffer.readUInt32LE(at + 8)) {
          // Torn: skip to the next byte and look for a record that checks.
          file.torn = true;
          at += 1;
          continue;
        }
        if (file.torn) {
          changes.push({ type: 'missed' });
          file.torn = false;
        }
        changes.push(decodePayload(payload));
        at += HEADER + payloadLength;
      }
      if (at === -1) continue;
      file.offset += at;
      if (at === 0) return;
      if (length < READ_BYTES) return;
    }
  }

  /** Whether the record at `position`, incomplete, has been so for TORN_MS (it is torn); starts the clock if not. */
  #tornAt(file: OpenFile, position: number): boolean {
    if (file.stuckAt !== position) {
      file.stuckAt = position;
      file.stuckSince = Date.now();
      return false;
    }
    return Date.now() - file.stuckSince > TORN_MS;
  }

  /** A record larger than one read; false while it is incomplete. */
  #readLarge(file: OpenFile, payloadLength: number, changes: RawChange[]): boolean {
    const record = Buffer.allocUnsafe(HEADER + payloadLength);
    const length = readSync(file.fd, record, 0, record.length, file.offset);
    if (length < record.length) return false;
    const payload = record.subarray(HEADER);
    if (crc32(payload) === record.readUInt32LE(8)) changes.push(decodePayload(payload));
    else changes.push({ type: 'missed' });
    file.offset += record.length;
    return true;
  }

  #closeFile(file: OpenFile | undefined): void {
    if (file) {
      try {
        closeSync(file.fd);
      } catch {
        /* closed */
      }
    }
  }

  stop(): void {
    this.#closeFile(this.#current);
    this.#closeFile(this.#previous);
    this.#current = this.#previous = undefined;
    try {
      unlinkSync(this.#mine);
    } catch {
      /* gone */
    }
    try {
      rmdirSync(this.#watchers);
    } catch {
      /* other watchers remain */
    }
  }
}

function decodePayload(payload: Buffer): RawChange {
  const type = payload[0];
  if (type === CLEAR) return { type: 'clear' };
  return { type: type === SET ? 'set' : 'delete', key: Buffer.from(payload.subarray(1)) };
}

/** The engine's `watch`: registered when it returns. */
export function watchPairtree(path: string, feeds: Feeds, options: WatchOptions): AsyncIterable<RawChange> {
  const watcher = new PairtreeWatcher(path);
  feeds.add(watcher);
  return pollChanges(watcher, feeds, options, POLL_MS);
}
