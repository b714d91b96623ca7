import type { ResourceLimits, Worker } from 'node:worker_threads';
import { startWorker } from './exec-argv.js';
import type { CloseMessage, ErrorInfo, WorkerMessage, WorkerSetup } from './messages.js';
import { rebuildError } from './messages.js';
import type { WorkerCrashReason } from './errors.js';

/** The compiled worker entry beside this file (dist/src/parallel/worker.js). */
const WORKER_URL = new URL('./worker.js', import.meta.url);

/** How long an idle worker asked to exit may take before it is terminated. */
export const CLOSE_GRACE_MS = 2000;

/** What a call returned or threw in the worker. */
export type TaskOutcome =
  { readonly ok: true; readonly value: Uint8Array } | { readonly ok: false; readonly error: ErrorInfo };

/** The worker running a task died; the pool replaces it. */
export class WorkerDeath {
  constructor(
    readonly reason: WorkerCrashReason,
    readonly exitCode: number,
    readonly cause: Error | undefined,
  ) {}
}

/** The workers could not load the function at all: no task can run. */
export class LoadFailure {
  constructor(readonly cause: Error) {}
}

/** The pool was terminated before the task finished. */
export class PoolClosed {}

interface Task {
  readonly id: number;
  readonly args: Uint8Array;
  readonly resolve: (outcome: TaskOutcome) => void;
  readonly reject: (failure: WorkerDeath | LoadFailure | PoolClosed) => void;
}

interface Slot {
  readonly worker: Worker;
  task: Task | undefined;
  /** The uncaught error (or out-of-memory error) the worker reported before it exited. */
  error: Error | undefined;
  /** Reported an error and is exiting: it takes no task, even while it looks free until 'exit' comes. */
  dead: boolean;
}

export interface PoolOptions {
  readonly size: number;
  readonly setup: WorkerSetup;
  readonly resourceLimits: ResourceLimits | undefined;
}

/**
 * Worker threads that each run one task at a time, so a worker that dies is known to have died on exactly that
 * task: the task fails alone with the reason, and a new worker takes the dead one's place while work remains.
 * Workers start on demand, never more than there are tasks.
 */
export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue: Task[] = [];
  #nextId = 0;
  #closed = false;
  #loadFailure: LoadFailure | undefined;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** Calls the function with the serialized arguments in some worker. */
  run(args: Uint8Array): Promise<TaskOutcome> {
    // The pool rejects with its own outcome classes, not Errors: the map tells them apart by class and users never see them.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an internal outcome (see above)
    if (this.#closed) return Promise.reject(new PoolClosed());
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an internal outcome (see above)
    if (this.#loadFailure) return Promise.reject(this.#loadFailure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, args, resolve, reject });
      this.#dispatch();
    });
  }

  /**
   * Stops every worker; unfinished tasks reject with PoolClosed. A worker running a task is terminated at once; an
   * idle one is asked to exit and ends itself, so that nothing the function left open in it (an lmdb stash whose
   * change feed holds a write transaction for a moment) is cut in the middle: lmdb-js deadlocks on a thread terminated
   * inside a synchronous write transaction. One that has not exited after {@link CLOSE_GRACE_MS} is terminated.
   */
  async terminate(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) task.reject(new PoolClosed());
    await Promise.all([...this.#slots].map((slot) => (slot.task ? slot.worker.terminate() : this.#close(slot))));
  }

  async #close(slot: Slot): Promise<void> {
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
    slot.worker.postMessage({ close: true } satisfies CloseMessage);
    const timer = setTimeout(() => void slot.worker.terminate(), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  #dispatch(): void {
    while (this.#queue.length) {
      let slot: Slot | undefined;
      for (const candidate of this.#slots)
        if (!candidate.task && !candidate.dead) {
          slot = candidate;
          break;
        }
      if (!slot) {
        if (this.#slots.size >= this.#options.size) return;
        slot = this.#spawn();
      }
      const task = this.#queue.shift()!;
      slot.task = task;
      slot.worker.postMessage({ id: task.id, args: task.args });
    }
  }

  #spawn(): Slot {
    const worker = startWorker(WORKER_URL, {
      workerData: this.#options.setup,
      ...(this.#options.resourceLimits ? { resourceLimits: this.#options.resourceLimits } : {}),
    });
    const slot: Slot = { worker, task: undefined, error: undefined, dead: false };
    this.#slots.add(slot);
    worker.on('message', (message: WorkerMessage) => this.#onMessage(slot, message));
    worker.on('error', (error) => {
      slot.error = error;
      slot.dead = true;
    });
    worker.on('exit', (code) => this.#onExit(slot, code));
    return slot;
  }

  #onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type === 'load-error') {
      this.#failAll(new LoadFailure(rebuildError(message.error)));
      return;
    }
    const task = slot.task;
    if (!task || task.id !== message.id) return;
    slot.task = undefined;
    task.resolve(message.type === 'result' ? { ok: true, value: message.value } : { ok: false, error: message.error });
    this.#dispatch();
  }

  #onExit(slot: Slot, exitCode: number): void {
    this.#slots.delete(slot);
    const task = slot.task;
    slot.task = undefined;
    if (task) {
      if (this.#closed) task.reject(new PoolClosed());
      else if (this.#loadFailure) task.reject(this.#loadFailure);
      else {
        const outOfMemory = (slot.error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
        const reason: WorkerCrashReason = outOfMemory ? 'out-of-memory' : slot.error ? 'uncaught-error' : 'exit';
        task.reject(new WorkerDeath(reason, exitCode, slot.error));
      }
    }
    if (!this.#closed && !this.#loadFailure) this.#dispatch();
  }

  #failAll(failure: LoadFailure): void {
    if (this.#loadFailure) return;
    this.#loadFailure = failure;
    for (const task of this.#queue.splice(0)) task.reject(failure);
    for (const slot of this.#slots) {
      slot.task?.reject(failure);
      slot.task = undefined;
      void slot.worker.terminate();
    }
  }
}
