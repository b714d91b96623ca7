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

function joined(parts: Uint8Array[], size: number, allocate: (size: number) => Uint8Array): Uint8Array {
  const bytes = allocate(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/**
 * The stream cut into batches of `maxLines` lines, or fewer once a batch holds `maxBytes`; a line is never cut.
 * Each batch's bytes come from `allocate`, and own their buffer whole (it is transferred to a worker).
 */
export async function* lineBatches(
  stream: AsyncIterable<Uint8Array>,
  maxLines: number,
  maxBytes: number,
  allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): AsyncGenerator<LineBatch> {
  let parts: Uint8Array[] = [];
  let size = 0;
  let lines = 0;
  for await (const chunk of stream) {
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, newline + 1)) {
      lines++;
      if (lines < maxLines && size + newline + 1 - start < maxBytes) continue;
      parts.push(chunk.subarray(start, newline + 1));
      size += newline + 1 - start;
      yield { bytes: joined(parts, size, allocate), lines };
      parts = [];
      size = 0;
      lines = 0;
      start = newline + 1;
    }
    if (start < chunk.length) {
      parts.push(chunk.subarray(start));
      size += chunk.length - start;
    }
  }
  if (size === 0) return;
  // A last line without its '\n' counts as a line too.
  const bytes = joined(parts, size, allocate);
  yield { bytes, lines: lines + (bytes[size - 1] === NEWLINE ? 0 : 1) };
}
