import { Buffer } from 'node:buffer';
import type { UncheckedFunction } from '../any-function.js';
import type { BlobFormat } from '../format/blob.js';
import { keyCodec, type KeyCodec } from '../keys/encoding.js';
import { errorInfo } from '../parallel/messages.js';
import { loadFunction } from '../parallel/function-ref.js';
import { blobFormat } from '../stash-format.js';
import type { CompressName } from '../options.js';
import { BufferPool } from './buffer-pool.js';
import { parseRecord } from './formats.js';
import type { ChunkResult, ChunkTask, LoadSetup } from './messages.js';
import type { FieldSpec } from './options.js';

type Pick = (record: unknown) => unknown;
type Field = string | number | UncheckedFunction;

const decoder = new TextDecoder('utf-8', { fatal: true });
const NEWLINE = 10;
/**
 * Lines are decoded this many bytes at a time (cut at a line's end): one string of a whole batch would be a large
 * object, which V8 frees only at a full collection, and a long load would pile those up by the hundred MB.
 */
const WINDOW = 32 * 1024;

/** Bytes that are not UTF-8, `offset` lines after the line where decoding stopped. */
class BadUtf8 extends Error {
  constructor(readonly offset: number) {
    super('not valid UTF-8');
  }
}

/** The lines of `bytes` (whole lines), decoded a window at a time; a line that is not UTF-8 throws BadUtf8. */
function* linesOf(bytes: Buffer): Generator<string> {
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.lastIndexOf(NEWLINE, Math.min(bytes.length, start + WINDOW) - 1);
    if (end < start) end = bytes.indexOf(NEWLINE, start);
    end = end < 0 ? bytes.length : end + 1;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(start, end));
    } catch {
      // Find the line, one at a time.
      let offset = 0;
      for (let from = start; from < end; offset++) {
        const next = bytes.indexOf(NEWLINE, from);
        const to = next < 0 || next >= end ? end : next + 1;
        try {
          decoder.decode(bytes.subarray(from, to));
        } catch {
          throw new BadUtf8(offset);
        }
        from = to;
      }
      throw new BadUtf8(0);
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    yield* lines;
    start = end;
  }
}

/** Thrown for a record that has no key: a bad line. */
class MissingField extends Error {}

function picker(field: Field): Pick {
  if (typeof field === 'function') return (record) => field(record);
  return (record) => {
    const value =
      typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[field] : undefined;
    if (value === undefined) throw new MissingField(`no field ${JSON.stringify(field)} in the record`);
    return value;
  };
}

/** The record without the field `field`: a copy, never the record changed. */
function without(record: unknown, field: string | number): unknown {
  if (Array.isArray(record)) return record.filter((_, index) => index !== field);
  if (typeof record !== 'object' || record === null) return record;
  const rest: Record<string, unknown> = {};
  for (const name in record) if (name !== field) rest[name] = (record as Record<string, unknown>)[name];
  return rest;
}

async function resolveField(spec: FieldSpec | undefined): Promise<Field | undefined> {
  if (!spec || spec.kind === 'rest') return undefined;
  if (spec.kind === 'field') return spec.name;
  return (await loadFunction(spec)) as UncheckedFunction;
}

/**
 * Turns batches of lines into stored entries: parse, take key and value, encode the key, pack the value as the stash
 * stores it. Runs in each worker thread, or in the loading thread with `workers: 0`.
 */
export class ChunkEncoder {
  readonly #key: Field | undefined;
  readonly #value: Field | undefined;
  readonly #skip: boolean;
  readonly #format: BlobFormat;
  /** The stash's key encoding: keys are stored as it stores them. */
  readonly #keys: KeyCodec;
  /** Where each batch's buffer comes from: the loader hands them back once it has committed them. */
  readonly pool = new BufferPool();

  private constructor(setup: LoadSetup, key: Field | undefined, value: Field | undefined) {
    this.#key = key;
    this.#value = value;
    this.#skip = setup.skip;
    const { serializer, compress, b64, trustCode, keyEncoding } = setup.blob;
    this.#keys = keyCodec(keyEncoding, trustCode);
    this.#format = blobFormat({
      serializer: serializer,
      compress: compress as CompressName,
      b64,
      trustCode,
    });
  }

  /** Loads the key and value functions (a module's are imported); throws what loading them throws. */
  static async create(setup: LoadSetup): Promise<ChunkEncoder> {
    return new ChunkEncoder(setup, await resolveField(setup.key), await resolveField(setup.value));
  }

  encode(task: ChunkTask): ChunkResult {
    const { seq, format, columns, expiresAt } = task;
    // The default key: the pair's first element, or the first column.
    const keyField = this.#key ?? (format !== 'jsonl-pairs' && columns ? columns[0] : 0);
    const keyOf = picker(keyField);
    let valueOf: Pick;
    if (this.#value !== undefined) valueOf = picker(this.#value);
    else if (format === 'jsonl-pairs' && this.#key === undefined) valueOf = (pair) => (pair as unknown[])[1];
    else if (typeof keyField === 'function') valueOf = (record) => record;
    else valueOf = (record) => without(record, keyField);

    const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.length);
    let count = 0;
    for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) count++;
    if (bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE) count++;
    // Each entry is copied into the batch's buffer as soon as it is made, so its own bytes die young (see BufferPool).
    let buffer = this.pool.take(bytes.length + (bytes.length >> 1), true);
    const ends = new Uint32Array(count * 2);
    let entries = 0;
    let at = 0;
    let skipped = 0;
    const lines = linesOf(bytes);
    for (let index = 0; index < count; index++) {
      let line: string;
      try {
        line = lines.next().value as string;
      } catch (error) {
        return this.#fail(
          seq,
          task.firstLine + index + (error as BadUtf8).offset,
          error,
          'the line is not valid UTF-8',
        );
      }
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (index === 0 && task.firstLine === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      if (line.trim() === '') continue;
      let key: Uint8Array;
      let blob: Uint8Array;
      try {
        const record = parseRecord(format, line, columns);
        key = this.#keys.encode(keyOf(record));
        blob = this.#format.pack(valueOf(record), expiresAt);
      } catch (error) {
        if (this.#skip) {
          skipped++;
          continue;
        }
        return this.#fail(seq, task.firstLine + index, error);
      }
      const end = at + key.length + blob.length;
      if (end > buffer.length) {
        const larger = this.pool.take(Math.max(end, buffer.length * 2), true);
        larger.set(buffer.subarray(0, at));
        this.pool.give(buffer.buffer);
        buffer = larger;
      }
      buffer.set(key, at);
      ends[2 * entries] = at += key.length;
      buffer.set(blob, at);
      ends[2 * entries + 1] = at += blob.length;
      entries++;
    }
    return { seq, count: entries, skipped, buffer: buffer.subarray(0, at), ends: ends.subarray(0, 2 * entries) };
  }

  #fail(seq: number, line: number, error: unknown, message?: string): ChunkResult {
    const reason = message ?? (error instanceof Error ? error.message : String(error));
    return { seq, line, message: reason, cause: errorInfo(error) };
  }
}
