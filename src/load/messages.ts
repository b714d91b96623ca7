/** What the loader and its workers say to each other; the bytes of a batch travel transferred, never copied. */
import type { KeyEncoding } from '../keys/encoding.js';
import type { ErrorInfo } from '../parallel/messages.js';
import type { LoadFormat } from './formats.js';
import type { FieldSpec } from './options.js';

/** Everything a worker needs, as its workerData: plain data. */
export interface LoadSetup {
  readonly key: FieldSpec | undefined;
  readonly value: FieldSpec;
  readonly skip: boolean;
  /** The stash's blob settings, by name (what `blobFormat` takes). */
  readonly blob: {
    readonly serializer: string;
    readonly compress: string;
    readonly b64: boolean;
    readonly trustCode: boolean;
    readonly keyEncoding: KeyEncoding;
  };
}

/** One batch of whole lines of one file. */
export interface ChunkTask {
  readonly seq: number;
  readonly file: string;
  readonly format: LoadFormat;
  /** The line number of the chunk's first line in its file, from 1. */
  readonly firstLine: number;
  readonly bytes: Uint8Array;
  /** tsv and csv with a header: the file's column names. */
  readonly columns: readonly string[] | undefined;
  /** When each entry expires (ms since the epoch), for a stash with a ttl. */
  readonly expiresAt: number | undefined;
}

/**
 * A batch encoded: entry i's key is `buffer[ends[2i-1] .. ends[2i])` and its blob `buffer[ends[2i] .. ends[2i+1])`
 * (with `ends[-1]` read as 0), all in one buffer so a batch crosses threads as one transfer.
 */
export interface ChunkDone {
  readonly seq: number;
  readonly count: number;
  readonly skipped: number;
  readonly buffer: Uint8Array;
  readonly ends: Uint32Array;
}

/** The first bad line of a batch, with `onError: 'throw'`. */
export interface ChunkFailed {
  readonly seq: number;
  readonly line: number;
  readonly message: string;
  readonly cause: ErrorInfo;
}

export type ChunkResult = ChunkDone | ChunkFailed;

/** Loader to worker: a batch to encode, or a batch's buffer back for reuse once it is committed. */
export type LoadTaskMessage = ChunkTask | { readonly recycle: ArrayBuffer };

/**
 * Worker to loader: a batch's outcome (with the batch's input buffer, back for reuse), or the key or value function
 * could not be loaded.
 */
export type LoadWorkerMessage =
  | { readonly type: 'chunk'; readonly result: ChunkResult; readonly input: ArrayBuffer }
  | { readonly type: 'load-error'; readonly error: ErrorInfo };
