import { Buffer } from 'node:buffer';
import { stat } from 'node:fs/promises';
import type { Engine, RawEntry } from '../engines/engine.js';
import { ConfigError, UnsupportedError } from '../errors.js';
import { rebuildError } from '../parallel/messages.js';
import { progressOf, ProgressDisplay } from '../parallel/progress.js';
import { BufferPool } from './buffer-pool.js';
import { LoadDecodeError } from './errors.js';
import { compressionOf, fieldsOf } from './formats.js';
import { InputError, lineBatches, openInput } from './input.js';
import type { ChunkDone, ChunkResult, LoadSetup } from './messages.js';
import {
  MAX_BATCH_BYTES,
  resolveLoadOptions,
  type LoadOptions,
  type LoadProgress,
  type LoadResult,
} from './options.js';
import { startEncoders } from './workers.js';
import type { KeyEncoding } from '../keys/encoding.js';
import { isBuiltInSerializer } from '../serializers/index.js';

/** What `stash.load` needs of a stash (a HashStash gives it), so the loader never imports the facade. */
export interface LoadHost {
  /** The stash's blob settings, and what the loader refuses. */
  readonly options: {
    readonly serializer: string;
    readonly compress: string;
    readonly b64: boolean;
    readonly trustCode: boolean;
    readonly appendMode: boolean;
    readonly keyEncoding: KeyEncoding;
  };
  /** The stash's default ttl in ms (undefined: entries never expire); asking marks the stash as one that expires. */
  ttl(): number | undefined;
  /** The stash's clock. */
  now(): number;
  /** The engine to write to, once the stash is known writable and past its clear-on-open. */
  engine(): Promise<Engine>;
}

/** Batches encoded or being encoded, per worker: enough to keep each busy while the writer commits. */
const IN_FLIGHT_PER_WORKER = 2;

interface Pending {
  readonly file: string;
  readonly lastLine: number;
  readonly result: Promise<ChunkResult>;
  endsFile: boolean;
}

const noop = () => {};

/**
 * Every entry of one encoded batch, as views of its buffer (no copy), made one at a time as the engine takes them:
 * each view dies young, where an array of a whole batch would outlive a scavenge or two and need a full collection.
 */
function* rawEntries({ buffer, ends, count }: ChunkDone): Generator<RawEntry> {
  const { byteOffset } = buffer;
  const arrayBuffer = buffer.buffer;
  let start = 0;
  for (let i = 0; i < count; i++) {
    const keyEnd = ends[2 * i];
    const end = ends[2 * i + 1];
    yield [
      Buffer.from(arrayBuffer, byteOffset + start, keyEnd - start),
      Buffer.from(arrayBuffer, byteOffset + keyEnd, end - keyEnd),
    ];
    start = end;
  }
}

/** The sizes of `paths` on disk; ConfigError naming the first that cannot be read. */
async function sizesOf(paths: readonly string[]): Promise<number[]> {
  return Promise.all(
    paths.map(async (path) => {
      try {
        const info = await stat(path);
        if (!info.isFile()) throw new Error('not a file');
        return info.size;
      } catch (error) {
        throw new ConfigError(`stash.load cannot read '${path}': ${(error as Error).message}`, { cause: error });
      }
    }),
  );
}

/**
 * `stash.load`: reads the files in order, one batch of lines at a time; workers parse and encode each batch into
 * stored entries, and this thread commits the batches in input order, each in one engine write (one transaction on
 * lmdb and sqlite). At most a few batches per worker are held at once, so memory stays bounded whatever the files.
 */
export async function loadFiles(host: LoadHost, files: unknown, options?: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const plan = resolveLoadOptions(files, options);
  if (host.options.appendMode) {
    throw new UnsupportedError('stash.load does not write versions: open the stash without appendMode to load it');
  }
  for (const file of plan.files) compressionOf(file.path);
  const { signal } = plan;
  signal?.throwIfAborted();
  const sizes = await sizesOf(plan.files.map((file) => file.path));
  const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
  const engine = await host.engine();
  const ttl = host.ttl();
  const { serializer, compress, b64, trustCode, keyEncoding } = host.options;
  const setup: LoadSetup = {
    key: plan.key,
    value: plan.value,
    skip: plan.onError === 'skip',
    blob: { serializer, compress, b64, trustCode, keyEncoding },
  };
  // A serializer object of the user's own lives in this thread only: its batches are encoded here.
  const workers = isBuiltInSerializer(serializer) ? plan.workers : 0;

  let records = 0;
  let skipped = 0;
  let filesDone = 0;
  let bytesDone = 0;
  let bytesRead = () => bytesDone;
  const loaded = (): LoadResult => ({
    files: filesDone,
    records,
    bytes: bytesDone,
    skipped,
    ms: performance.now() - started,
  });
  const display = plan.progress ? new ProgressDisplay('stash.load (input bytes)', totalBytes) : undefined;
  const showProgress = () =>
    progressOf(totalBytes, Math.min(bytesRead(), totalBytes), 0, 0, performance.now() - started);

  let onAbort = noop;
  const aborted = new Promise<never>((_, reject) => {
    // The reason as given, Error or not: the load rejects with what the caller aborted with.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    onAbort = () => reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(noop);

  const inputs = new BufferPool();
  const encoders = startEncoders(workers, setup, inputs);
  const maxInFlight = Math.max(1, workers) * IN_FLIGHT_PER_WORKER + 1;
  const queue: Pending[] = [];
  const sync = engine.sync;

  /** Waits for the oldest batch and commits it whole; throws for its bad line, or when the load was aborted. */
  const settleHead = async (): Promise<void> => {
    const head = queue.shift()!;
    const result = await Promise.race([head.result, aborted]);
    if ('line' in result) {
      throw new LoadDecodeError(result.message, head.file, result.line, loaded(), {
        cause: rebuildError(result.cause),
      });
    }
    if (result.count) {
      // The synchronous store writes one batch in one transaction (sqlite: per 10,000 entries); the engine's own
      // setMany would split it at 10,000 and yield in between.
      if (sync) sync.setMany(rawEntries(result));
      else await engine.setMany(Array.from(rawEntries(result)));
    }
    // A synchronous store has copied the bytes: the buffer can be reused. An asynchronous engine may still hold them.
    encoders.release(result.seq, sync ? result.buffer.buffer : undefined);
    records += result.count;
    skipped += result.skipped;
    if (head.endsFile) filesDone++;
    display?.update(showProgress());
    plan.onProgress?.({
      ...loaded(),
      file: head.file,
      line: head.lastLine,
      bytesRead: bytesRead(),
      totalBytes,
    } satisfies LoadProgress);
    signal?.throwIfAborted();
  };

  try {
    let seq = 0;
    for (const [index, { path, format }] of plan.files.entries()) {
      const input = openInput(path, compressionOf(path));
      bytesRead = () => bytesDone + input.bytesRead();
      const withHeader = plan.header && (format === 'tsv' || format === 'csv');
      let columns: string[] | undefined;
      let line = 1;
      try {
        for await (const batch of lineBatches(input.chunks, plan.batchSize, MAX_BATCH_BYTES, (size) =>
          inputs.take(size, true),
        )) {
          signal?.throwIfAborted();
          let { bytes } = batch;
          let firstLine = line;
          line += batch.lines;
          if (withHeader && !columns) {
            const newline = bytes.indexOf(10);
            const header = Buffer.from(bytes.buffer, bytes.byteOffset, newline < 0 ? bytes.length : newline)
              .toString('utf8')
              .replace(/^\uFEFF/, '')
              .replace(/\r$/, '');
            try {
              columns = fieldsOf(format, header);
            } catch (error) {
              throw new LoadDecodeError(`bad header: ${(error as Error).message}`, path, 1, loaded(), { cause: error });
            }
            bytes = bytes.slice(newline < 0 ? bytes.length : newline + 1);
            firstLine++;
          }
          const expiresAt = ttl === undefined ? undefined : host.now() + ttl;
          const result = encoders.encode({ seq: seq++, file: path, format, firstLine, bytes, columns, expiresAt });
          result.catch(noop);
          queue.push({ file: path, lastLine: line - 1, result, endsFile: false });
          while (queue.length >= maxInFlight) await settleHead();
        }
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        throw new LoadDecodeError(`cannot read the input: ${error.message}`, path, undefined, loaded(), {
          cause: error.cause,
        });
      }
      bytesDone += sizes[index];
      if (queue.length) queue[queue.length - 1].endsFile = true;
      else filesDone++;
    }
    while (queue.length) await settleHead();
    return loaded();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await encoders.close();
    display?.stop(showProgress());
  }
}
