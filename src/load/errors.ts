import { DecodeError, HashStashError } from '../errors.js';
import type { LoadResult } from './options.js';

/**
 * `stash.load` met input it cannot read: a bad line (it names the file and line), a corrupt compressed stream, or
 * bytes that are not UTF-8. Nothing of the failing batch was committed; `loaded` says how far the load got (the
 * batches before it, committed whole).
 */
export class LoadDecodeError extends DecodeError {
  /** The input file, as given. */
  readonly file: string;
  /** The bad line, counting from 1; undefined when the file itself is unreadable (a corrupt compressed stream). */
  readonly line: number | undefined;
  /** What was committed before the failure. */
  readonly loaded: LoadResult;

  /**
   * A LoadDecodeError whose message starts with the place: `file:line: `.
   *
   * @param message - What is wrong, without the place; the message starts with `file:line: `.
   * @param file - The input file, as given.
   * @param line - The bad line, from 1, or undefined.
   * @param loaded - What was committed before the failure.
   * @param options - `cause`: the parser's error.
   */
  constructor(
    message: string,
    file: string,
    line: number | undefined,
    loaded: LoadResult,
    options?: { cause?: unknown },
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`, options);
    this.file = file;
    this.line = line;
    this.loaded = loaded;
  }
}

/** A `stash.load` worker died, or could not load the key or value function: the load stops. */
export class LoadWorkerError extends HashStashError {
  /** `HASHSTASH_LOAD_WORKER`. */
  override readonly code = 'HASHSTASH_LOAD_WORKER';
}
