import type { Worker } from 'node:worker_threads';
import { LoadWorkerError } from './errors.js';
import { startWorker } from '../parallel/exec-argv.js';
import { rebuildError } from '../parallel/messages.js';
import { ChunkEncoder } from './encode-chunk.js';
import type { ChunkResult, ChunkTask, LoadSetup, LoadWorkerMessage } from './messages.js';

/** The compiled worker entry beside this file (dist/src/load/worker.js). */
const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Encodes batches somewhere: worker threads, or this thread. */
export interface Encoders {
  /** The batch encoded; rejects when a worker dies or cannot load the key or value function. */
  encode(task: ChunkTask): Promise<ChunkResult>;
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
  #failure: Error | undefined;

  constructor(size: number, setup: LoadSetup) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker(WORKER_URL, { workerData: setup });
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
    return new Promise((resolve, reject) => {
      slot.waiting.set(task.seq, { resolve, reject });
      slot.worker.postMessage(task, [task.bytes.buffer as ArrayBuffer]);
    });
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
  constructor(setup: LoadSetup) {
    this.#encoder = ChunkEncoder.create(setup);
    this.#encoder.catch(() => {});
  }
  async encode(task: ChunkTask): Promise<ChunkResult> {
    return (await this.#encoder).encode(task);
  }
  async close(): Promise<void> {}
}

/** `size` workers, or this thread when 0. */
export function startEncoders(size: number, setup: LoadSetup): Encoders {
  return size === 0 ? new InlineEncoders(setup) : new WorkerEncoders(size, setup);
}
