import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { EngineUnavailableError, HashStashError, ReadOnlyError } from '../errors.js';

/**
 * One translation of storage failures into typed errors, for the engines that keep files (lmdb, sqlite, pairtree):
 * a location that may not be written is a ReadOnlyError, anything else an EngineUnavailableError naming the path and,
 * where the code says it, why in words (a full disk, a file where a folder should be, a name too long).
 */

/** The `code` of a Node or driver error (`'EROFS'`, `'SQLITE_BUSY'`…), or `''`. */
export const errorCode = (error: unknown): string =>
  String((error as { code?: string | number } | undefined)?.code ?? '');

/** File-system codes that mean the process may not write there: a read-only mount, or no permission. */
export const isReadOnlyCode = (code: string): boolean => code === 'EROFS' || code === 'EACCES' || code === 'EPERM';

/** What a file-system error code means for a stash, in words; undefined for the codes that say nothing more. */
export function fileSystemReason(code: string): string | undefined {
  switch (code) {
    case 'ENOTDIR':
    case 'EEXIST':
    case 'EISDIR':
      return 'part of the path is a file, not a folder';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    case 'ENAMETOOLONG':
      return 'a name in the path is longer than the file system allows';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many files are open';
    default:
      return undefined;
  }
}

/** Where and what an engine was doing when storage failed, for {@link storageError}. */
export interface StorageFailure {
  /** The engine's name, first word of the message. */
  readonly engine: string;
  /** What it was doing: 'open', 'read', 'write'… */
  readonly doing: string;
  /** The file or folder it was doing it to; the message names it. */
  readonly path: string;
  /** Overrides the code's verdict: the engine knows more (a SQLite result code, a message, the mount). */
  readonly readOnly?: boolean | undefined;
  /** Why, in words, when the engine knows better than the file-system code (its own result codes). */
  readonly reason?: string | undefined;
}

/** The typed error for a failed storage operation: a HashStashError is passed on as it is. */
export function storageError(
  error: unknown,
  { engine, doing, path, readOnly, reason }: StorageFailure,
): HashStashError {
  if (error instanceof HashStashError) return error;
  const code = errorCode(error);
  const message = (error as Error | undefined)?.message ?? String(error);
  const detail = code && !message.includes(code) ? `${message} (${code})` : message;
  if (readOnly ?? isReadOnlyCode(code)) {
    return new ReadOnlyError(
      `${engine} cannot ${doing} ${path}: the location is read-only or not permitted: ${detail}`,
      { cause: error },
    );
  }
  const why = reason ?? fileSystemReason(code);
  return new EngineUnavailableError(`${engine} cannot ${doing} ${path}: ${why ? `${why}: ` : ''}${detail}`, path, {
    cause: error,
  });
}

/**
 * True when `path`, or its nearest existing ancestor, sits on storage the process may not write (a read-only mount,
 * or no permission). Engines ask after a failure, to tell "read-only" from other errors whose codes do not say so
 * (a recursive mkdir on a read-only mount reports ENOENT, SQLite reports CANTOPEN).
 */
export function onReadOnlyFileSystem(path: string): boolean {
  for (let current = path; ; current = dirname(current)) {
    try {
      accessSync(current, constants.W_OK);
      return false;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return true;
      if (code !== 'ENOENT' || dirname(current) === current) return false;
    }
  }
}
