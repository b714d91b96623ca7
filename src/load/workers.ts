import type { Worker } from 'node:worker_threads';
import { LoadWorkerError } from './errors.js';
import { startWorker } from '../parallel/exec-argv.js';
import { rebuildError } from '../parallel/messages.js';
import type { BufferPool } from './buffer-pool.js';
import { ChunkEncoder } from './encode-chunk.js';
import type { ChunkResult, ChunkTask, LoadSetup, LoadWorkerMessage } from './messages.js';

/** The compiled worker entry beside this file (dist/src/load/worker.js). */
const WORKER_URL = new URL('./worker.js', import.meta.url);

const noop = () => {};

/**
 * A worker's young generation, in MB. Its garbage (lines, records, each entry's own bytes) dies within a batch, so a
 * small young generation costs a few more quick scavenges and saves most of V8's default (48 MB a thread).
 */
const YOUNG_GENERATION_MB = 4;

/** Encodes batches somewhere: worker threads, or this thread. */
export interface Encoders {
  /** The batch encoded; rejects when a worker dies or cannot load the key or value function. */
  encode(task: ChunkTask): Promise<ChunkResult>;
  /** Done with batch `seq`: its buffer, when given, goes back to whoever encoded it, for reuse. */
  release(seq: number, buffer: ArrayBufferLike | undefined): void;
  close(): Promise<void>;
}

interface Waiting {
  readonly resolve: (result: ChunkResult) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly waiting: Map<number, Waiting>;
}

/**
 * Worker threads that each encode the batches given to them in order; a batch goes to the worker with the fewest
 * waiting. Any failure of a worker fails every waiting batch: a load does not go on with a hole in it.
 */
class WorkerEncoders implements Encoders {
  readonly #slots: Slot[] = [];
  /** Which worker encoded each batch not released yet. */
  readonly #encodedBy = new Map<number, Slot>();
  readonly #inputs: BufferPool;
  #failure: Error | undefined;

  constructor(size: number, setup: LoadSetup, inputs: BufferPool) {
    this.#inputs = inputs;
    for (let i = 0; i < size; i++) {
      const worker = startWorker(WORKER_URL, {
        workerData: setup,
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      });
      const slot: Slot = { worker, waiting: new Map() };
      worker.on('message', (message: LoadWorkerMessage) => {
        if (message.type === 'load-error') {
          const cause = rebuildError(message.error);
          this.#fail(
            new LoadWorkerError(`stash.load: a worker could not load the key or value function: ${cause.message}`, {
              cause,
            }),
          );
          return;
        }
        this.#inputs.give(message.input);
        const waiting = slot.waiting.get(message.result.seq);
        slot.waiting.delete(message.result.seq);
        waiting?.resolve(message.result);
      });
      worker.on('error', (cause) =>
        this.#fail(new LoadWorkerError(`stash.load: a worker failed: ${cause.message}`, { cause })),
      );
      worker.on('exit', (code) => {
        if (slot.waiting.size)
          this.#fail(new LoadWorkerError(`stash.load: a worker exited (code ${code}) with batches to encode`));
      });
      this.#slots.push(slot);
    }
  }

  encode(task: ChunkTask): Promise<ChunkResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    let slot = this.#slots[0];
    for (const candidate of this.#slots) if (candidate.waiting.size < slot.waiting.size) slot = candidate;
    this.#encodedBy.set(task.seq, slot);
    return new Promise((resolve, reject) => {
      slot.waiting.set(task.seq, { resolve, reject });
      slot.worker.postMessage(task, [task.bytes.buffer as ArrayBuffer]);
    });
  }

  release(seq: number, buffer: ArrayBufferLike | undefined): void {
    const slot = this.#encodedBy.get(seq);
    this.#encodedBy.delete(seq);
    if (slot && buffer instanceof ArrayBuffer && !this.#failure) slot.worker.postMessage({ recycle: buffer }, [buffer]);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const slot of this.#slots) {
      for (const waiting of slot.waiting.values()) waiting.reject(this.#failure);
      slot.waiting.clear();
    }
  }

  async close(): Promise<void> {
    this.#failure ??= new LoadWorkerError('stash.load: the workers were stopped');
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }
}

/** `workers: 0`: batches are encoded here, one at a time, when asked. */
class InlineEncoders implements Encoders {
  readonly #encoder: Promise<ChunkEncoder>;
  readonly #inputs: BufferPool;
  constructor(setup: LoadSetup, inputs: BufferPool) {
    this.#inputs = inputs;
    this.#encoder = ChunkEncoder.create(setup);
    this.#encoder.catch(noop);
  }
  async encode(task: ChunkTask): Promise<ChunkResult> {
    const result = (await this.#encoder).encode(task);
    this.#inputs.give(task.bytes.buffer);
    return result;
  }
  release(_seq: number, buffer: ArrayBufferLike | undefined): void {
    if (buffer) void this.#encoder.then((encoder) => encoder.pool.give(buffer), noop);
  }
  async close(): Promise<void> {}
}

/** `size` workers, or this thread when 0; the batches' input buffers come back to `inputs`. */
export function startEncoders(size: number, setup: LoadSetup, inputs: BufferPool): Encoders {
  return size === 0 ? new InlineEncoders(setup, inputs) : new WorkerEncoders(size, setup, inputs);
}
