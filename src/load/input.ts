import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip } from 'node:zlib';
import type { Compression } from './formats.js';

/** Bytes read from the file at a time, and decompressed bytes produced at a time. */
const READ_CHUNK = 1024 * 1024;
const INFLATE_CHUNK = 256 * 1024;

/** An input file as a stream of its decompressed bytes; `bytesRead` counts the bytes read from disk. */
export interface Input {
  /** The decompressed bytes; a failure to read or decompress is thrown as an {@link InputError}. */
  readonly chunks: AsyncIterable<Uint8Array>;
  bytesRead(): number;
}

/** The file could not be read or decompressed (as opposed to a failure of what is done with its lines). */
export class InputError extends Error {}

async function* readAll(stream: Readable): AsyncGenerator<Uint8Array> {
  try {
    yield* stream;
  } catch (error) {
    throw new InputError((error as Error).message, { cause: error });
  }
}

/** Opens `path`, decompressing as `compression` says; reading streams, so memory stays bounded whatever the size. */
export function openInput(path: string, compression: Compression): Input {
  const file = createReadStream(path, { highWaterMark: READ_CHUNK });
  const bytesRead = () => file.bytesRead;
  if (compression === 'none') return { chunks: readAll(file), bytesRead };
  const inflate =
    compression === 'gzip'
      ? createGunzip({ chunkSize: INFLATE_CHUNK })
      : createBrotliDecompress({ chunkSize: INFLATE_CHUNK });
  // Errors of either stream reach whoever reads the last one.
  return { chunks: readAll(pipeline(file, inflate, () => {})), bytesRead };
}

/** One batch of whole lines; the bytes own their buffer, so they can be transferred to a worker. */
export interface LineBatch {
  readonly bytes: Uint8Array;
  /** Lines in it, blank ones included (the last may lack its '\n'). */
  readonly lines: number;
}

const NEWLINE = 10;
/** A batch's first buffer when nothing is known of the input yet. */
const FIRST_CAPACITY = 1024 * 1024;

/**
 * The stream cut into batches of `maxLines` lines, or fewer once a batch holds `maxBytes`; a line is never cut.
 * Each batch's bytes are copied as they arrive into a buffer from `allocate` (which must span the whole buffer: the
 * batch owns it and is transferred to a worker), so the stream's own chunks die young.
 */
export async function* lineBatches(
  stream: AsyncIterable<Uint8Array>,
  maxLines: number,
  maxBytes: number,
  allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): AsyncGenerator<LineBatch> {
  let capacity = FIRST_CAPACITY;
  let batch = allocate(capacity);
  let size = 0;
  let lines = 0;
  const append = (part: Uint8Array) => {
    if (size + part.length > batch.length) {
      const larger = allocate(Math.max(size + part.length, batch.length * 2));
      larger.set(batch.subarray(0, size));
      batch = larger;
    }
    batch.set(part, size);
    size += part.length;
  };
  for await (const chunk of stream) {
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, newline + 1)) {
      lines++;
      if (lines < maxLines && size + newline + 1 - start < maxBytes) continue;
      append(chunk.subarray(start, newline + 1));
      yield { bytes: batch.subarray(0, size), lines };
      capacity = Math.max(capacity, size);
      batch = allocate(capacity);
      size = 0;
      lines = 0;
      start = newline + 1;
    }
    if (start < chunk.length) append(chunk.subarray(start));
  }
  if (size === 0) return;
  // A last line without its '\n' counts as a line too.
  yield { bytes: batch.subarray(0, size), lines: lines + (batch[size - 1] === NEWLINE ? 0 : 1) };
}
