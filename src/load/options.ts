import { availableParallelism } from 'node:os';
import { checkInteger, checkOneOf, checkOptionsObject, checkType, failOption } from '../checks.js';
import { ConfigError } from '../errors.js';
import type { FunctionSpec, ModuleFunction } from '../parallel/function-ref.js';
import { functionSpec } from '../parallel/function-ref.js';
import { formatOfFile, LOAD_FORMATS, type LoadFormat } from './formats.js';

/**
 * Where a record's key or value comes from: a field name (an index for a record that is an array), a self-contained
 * function of the record (shipped to the workers by its source, like `stash.map`'s), or `{ module, export }` for a
 * function that needs imports.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a record is whatever the format parses a line into
export type RecordField = string | number | ((record: any) => unknown) | ModuleFunction;

/** The options of `stash.load`; every one may be left out (`key` is needed for `ndjson`). */
export interface LoadOptions {
  /**
   * How lines are read: `'ndjson'` (one JSON value a line), `'tsv'`, `'csv'` (RFC 4180 quoting, a quoted field on one
   * line) or `'jsonl-pairs'` (`[key, value]` a line). Default: from each file's extension, compression suffix aside
   * (`.ndjson`/`.jsonl`/`.json` → ndjson, `.tsv`/`.tab` → tsv, `.csv` → csv); a name that says nothing is a ConfigError.
   */
  format?: LoadFormat | undefined;
  /**
   * The key of each record: a field name, an index, or a function of the record. Default: `0` for jsonl-pairs, the
   * first column for tsv and csv; ndjson has no default.
   */
  key?: RecordField | undefined;
  /**
   * The value of each record, as `key`. Default: the record without its key field (the whole record when `key` is a
   * function); for jsonl-pairs, the pair's second element.
   */
  value?: RecordField | undefined;
  /**
   * tsv and csv: the first line of each file names the columns and each record is an object by those names
   * (`true`, the default), or each record is the array of its fields (`false`).
   */
  header?: boolean | undefined;
  /** Worker threads that parse and encode. Default: one fewer than the cores, at least 1. 0 parses in this thread. */
  workers?: number | undefined;
  /**
   * Lines per batch (default 10,000): a batch is committed in one engine write, whole (one transaction on lmdb, and on
   * sqlite up to 10,000 entries); a bad line's batch is not written at all.
   */
  batchSize?: number | undefined;
  /** `'throw'` (default): a bad line fails the load with a LoadDecodeError; `'skip'`: it is counted in `skipped`. */
  onError?: 'throw' | 'skip' | undefined;
  /** Stops the load after the batch being committed; the promise rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** Draws progress (input bytes read) on stderr. Default: when stderr is a terminal. */
  progress?: boolean | undefined;
  /** Called after each committed batch with how far the load got. */
  onProgress?: ((progress: LoadProgress) => void) | undefined;
}

/** What `stash.load` did; a failed load's error carries the same, as far as it got. */
export interface LoadResult {
  /** Input files read to their end. */
  readonly files: number;
  /** Entries committed. */
  readonly records: number;
  /** Input bytes read, as stored on disk (compressed bytes for a compressed file), in the files read to their end. */
  readonly bytes: number;
  /** Bad lines skipped (`onError: 'skip'`). */
  readonly skipped: number;
  /** Milliseconds since the load started. */
  readonly ms: number;
}

/** How far a load is, after each committed batch. */
export interface LoadProgress extends LoadResult {
  /** The file the last committed batch came from. */
  readonly file: string;
  /** The last line of that file committed (counting from 1). */
  readonly line: number;
  /** Input bytes read so far, in every file. */
  readonly bytesRead: number;
  /** The size on disk of every input file. */
  readonly totalBytes: number;
}

/** The defaults that do not depend on the machine or the files. */
export const LOAD_DEFAULTS = {
  batchSize: 10_000,
  onError: 'throw',
  header: true,
} as const;

/** A batch also ends once it holds this much input, so a file of huge lines still loads in bounded memory. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/** How a key or value is taken from a record, as plain data that crosses to a worker thread. */
export type FieldSpec =
  { readonly kind: 'field'; readonly name: string | number } | { readonly kind: 'rest' } | FunctionSpec;

export interface ResolvedLoad {
  readonly files: readonly { readonly path: string; readonly format: LoadFormat }[];
  readonly key: FieldSpec | undefined;
  readonly value: FieldSpec;
  readonly header: boolean;
  readonly workers: number;
  readonly batchSize: number;
  readonly onError: 'throw' | 'skip';
  readonly signal: AbortSignal | undefined;
  readonly progress: boolean;
  readonly onProgress: ((progress: LoadProgress) => void) | undefined;
}

const SCOPE = 'stash.load';
const OPTION_NAMES = [
  'format',
  'key',
  'value',
  'header',
  'workers',
  'batchSize',
  'onError',
  'signal',
  'progress',
  'onProgress',
];

/** Workers by default: one core stays for the writer (and the decompression the thread pool does). */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

function fieldSpec(name: 'key' | 'value', field: unknown): FieldSpec | undefined {
  if (field === undefined) return undefined;
  if (typeof field === 'string' || (typeof field === 'number' && Number.isInteger(field) && field >= 0))
    return { kind: 'field', name: field };
  if (typeof field === 'function' || (typeof field === 'object' && field !== null)) return functionSpec(field);
  failOption(SCOPE, name, 'a field name, an index, a function or { module, export }', field);
}

/** Applies defaults and checks every option and file name; ConfigError names what is wrong. */
export function resolveLoadOptions(files: unknown, given: LoadOptions | undefined): ResolvedLoad {
  const list: unknown[] = typeof files === 'string' ? [files] : Array.isArray(files) ? files : [];
  if (list.length === 0 || list.some((file) => typeof file !== 'string' || file === ''))
    throw new ConfigError(`stash.load takes a file name or a non-empty array of file names, got ${String(files)}`);
  given ??= {};
  checkOptionsObject(SCOPE, given, OPTION_NAMES);
  const format = given.format === undefined ? undefined : checkOneOf('format', given.format, LOAD_FORMATS);
  checkType(SCOPE, 'header', given.header, 'boolean');
  checkType(SCOPE, 'progress', given.progress, 'boolean');
  checkType(SCOPE, 'onProgress', given.onProgress, 'function');
  checkInteger(SCOPE, 'workers', given.workers, 0);
  checkInteger(SCOPE, 'batchSize', given.batchSize, 1);
  const onError =
    given.onError === undefined
      ? LOAD_DEFAULTS.onError
      : checkOneOf('onError', given.onError, ['throw', 'skip'] as const);
  if (given.signal !== undefined && !(given.signal instanceof AbortSignal))
    failOption(SCOPE, 'signal', 'an AbortSignal', given.signal);
  const resolvedFiles = (list as string[]).map((path) => ({ path, format: format ?? formatOfFile(path) }));
  const key = fieldSpec('key', given.key);
  if (!key && resolvedFiles.some((file) => file.format === 'ndjson'))
    throw new ConfigError(`stash.load option 'key' is needed for ndjson: a field name or a function of the record`);
  return {
    files: resolvedFiles,
    key,
    value: fieldSpec('value', given.value) ?? { kind: 'rest' },
    header: given.header ?? LOAD_DEFAULTS.header,
    workers: given.workers ?? defaultWorkers(),
    batchSize: given.batchSize ?? LOAD_DEFAULTS.batchSize,
    onError,
    signal: given.signal,
    progress: given.progress ?? process.stderr.isTTY === true,
    onProgress: given.onProgress,
  };
}
