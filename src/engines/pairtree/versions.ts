import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { RawVersion } from '../engine.js';
import { errorCode } from '../fs-errors.js';
import { versionTimestamp } from '../version-stamp.js';

/**
 * Append mode on pairtree: one file per version in the key's folder, `versions/<n>` holding [f64 LE timestamp][blob].
 * A version is written to a temp file and hard-linked to its name: the link fails with EEXIST when another writer
 * took that number first, and is tried with the next one, so two processes never share a version and a reader never
 * sees a torn one. Before each try the temp file is stamped from the version before that number, so no version is
 * stamped earlier than the one before it. `versions/latest` is a hint of the last number taken, so an append starts near the end instead of
 * counting the history. The key's current value is then renamed into place; a writer that finds a newer version
 * after doing so writes that one instead, so the value left is always the latest version.
 */
export const VERSIONS_FOLDER = 'versions';
const LATEST_HINT = 'latest';

type Publish = (folder: string, name: string, bytes: Uint8Array) => void;

const errnoOf = errorCode;

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function latestHint(folder: string): number {
  const hint = readOrUndefined(join(folder, LATEST_HINT));
  const parsed = hint === undefined ? NaN : Number(hint.toString('latin1'));
  // An append racing a delete can write its hint into the folder a later append made anew: a hint naming no file
  // there is such a leftover, and numbering starts from the beginning (the link loop steps over numbers taken).
  return Number.isSafeInteger(parsed) && parsed > 0 && existsSync(join(folder, String(parsed))) ? parsed : 0;
}

/** The timestamp of a stored version; undefined when there is no such file (any more). */
function timestampOf(folder: string, version: number): number | undefined {
  let fd: number;
  try {
    fd = openSync(join(folder, String(version)), 'r');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stamp = Buffer.alloc(8);
    return readSync(fd, stamp, 0, 8, 0) === 8 ? stamp.readDoubleLE(0) : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Adds the next version of a key whose folder is `keyFolder`; `temp` names a fresh temp file, `publish` writes a file
 * atomically (temp + rename). Returns the version number.
 */
export function appendVersion(keyFolder: string, value: Uint8Array, temp: () => string, publish: Publish): number {
  const folder = join(keyFolder, VERSIONS_FOLDER);
  mkdirSync(folder, { recursive: true });
  const stored = Buffer.allocUnsafe(8 + value.length);
  stored.set(value, 8);
  const draft = join(folder, temp());
  let version = latestHint(folder);
  const fd = openSync(draft, 'wx');
  try {
    let written = 8;
    while (written < stored.length) written += writeSync(fd, stored, written, stored.length - written, written);
    for (;;) {
      // The draft is ours alone until it is linked: each try stamps it from the version before the number tried.
      stored.writeDoubleLE(versionTimestamp(version > 0 ? timestampOf(folder, version) : undefined), 0);
      writeSync(fd, stored, 0, 8, 0);
      version++;
      try {
        linkSync(draft, join(folder, String(version)));
        break;
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw error;
      }
    }
  } finally {
    closeSync(fd);
    unlinkSync(draft);
  }
  publish(folder, LATEST_HINT, Buffer.from(String(version), 'latin1'));
  publishLatestValue(keyFolder, folder, version, value, publish);
  return version;
}

/** Writes the value of `version` as the key's current value, then of any newer version found after writing. */
function publishLatestValue(
  keyFolder: string,
  folder: string,
  version: number,
  value: Uint8Array,
  publish: Publish,
): void {
  for (;;) {
    publish(keyFolder, 'value', value);
    if (!existsSync(join(folder, String(version + 1)))) return;
    // Another writer took a newer version and may have written its value before ours: the newest one must win.
    let newest = version + 1;
    while (existsSync(join(folder, String(newest + 1)))) newest++;
    const stored = readOrUndefined(join(folder, String(newest)));
    if (stored === undefined) return;
    version = newest;
    value = stored.subarray(8);
  }
}

const VERSION_NAME = /^[1-9][0-9]*$/;

/** Oldest first, one file at a time: every numbered file in the folder, so a gap in the numbers hides none after it. */
export function* versionsOf(keyFolder: string): Generator<RawVersion> {
  const folder = join(keyFolder, VERSIONS_FOLDER);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return;
    throw error;
  }
  const numbers = names
    .filter((name) => VERSION_NAME.test(name))
    .map(Number)
    .sort((a, b) => a - b);
  for (const version of numbers) {
    const stored = readOrUndefined(join(folder, String(version)));
    if (stored !== undefined) yield { version, timestamp: stored.readDoubleLE(0), value: stored.subarray(8) };
  }
}

/** Moves the versions folder aside and deletes it (a concurrent reader sees all of them or none). */
export function removeVersions(keyFolder: string, temp: () => string, remove: (folder: string) => void): void {
  const doomed = join(keyFolder, temp());
  try {
    renameSync(join(keyFolder, VERSIONS_FOLDER), doomed);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return;
    throw error;
  }
  remove(doomed);
}
