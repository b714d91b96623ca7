import type { ResourceLimits } from 'node:worker_threads';
import { startWorker } from './exec-argv.js';
import type { ErrorInfo, StopMessage, TaskMessage, WorkerMessage, WorkerSetup } from './messages.js';
import { rebuildError } from './messages.js';
import type { WorkerCrashReason } from './errors.js';

/** The compiled worker entry beside this file (dist/src/parallel/worker.js). */
const WORKER_URL = new URL('./worker.js', import.meta.url);

/** How long an idle thread asked to exit may take before it is terminated. */
export const THREAD_STOP_GRACE_MS = 2000;

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

/** One running worker as its pool sees it: a thread or a child process. */
export interface PoolMember {
  send(task: TaskMessage): void;
  /** Stops it and resolves once it has exited; `busy`: it is running a task, which is abandoned. */
  stop(busy: boolean): Promise<void>;
}

/** What a member reports to its pool. */
export interface MemberEvents {
  readonly message: (message: WorkerMessage) => void;
  /** It reported an uncaught error or ran out of memory and is exiting: it must take no new task. */
  readonly dying: () => void;
  /** It exited; how, for the task it was running, if any. Reported once. */
  readonly exit: (death: WorkerDeath) => void;
}

interface Slot {
  readonly member: PoolMember;
  task: Task | undefined;
  /** Reported it is dying: it takes no task, even while it looks free until its exit comes. */
  dead: boolean;
}

export interface PoolOptions {
  readonly size: number;
  readonly setup: WorkerSetup;
  readonly resourceLimits: ResourceLimits | undefined;
}

/**
 * Workers that each run one task at a time, so a worker that dies is known to have died on exactly that task: the
 * task fails alone with the reason, and a new worker takes the dead one's place while work remains. Workers start on
 * demand, never more than there are tasks. What a worker is (a thread, a process) is the subclass's `start`.
 */
export abstract class TaskPool {
  protected readonly options: PoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue: Task[] = [];
  #nextId = 0;
  #closed = false;
  #loadFailure: LoadFailure | undefined;

  constructor(options: PoolOptions) {
    this.options = options;
  }

  /** Starts a worker that reports to `events`. */
  protected abstract start(events: MemberEvents): PoolMember;

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

  /** Stops every worker at once; unfinished tasks reject with PoolClosed. */
  async terminate(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) task.reject(new PoolClosed());
    await Promise.all([...this.#slots].map((slot) => slot.member.stop(slot.task !== undefined)));
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
        if (this.#slots.size >= this.options.size) return;
        slot = this.#spawn();
      }
      const task = this.#queue.shift()!;
      slot.task = task;
      slot.member.send({ id: task.id, args: task.args });
    }
  }

  #spawn(): Slot {
    // The member reports only after start returns (its events come from the event loop), when `slot` is set.
    const slot: Slot = {
      member: this.start({
        message: (message) => this.#onMessage(slot, message),
        dying: () => {
          slot.dead = true;
        },
        exit: (death) => this.#onExit(slot, death),
      }),
      task: undefined,
      dead: false,
    };
    this.#slots.add(slot);
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

  #onExit(slot: Slot, death: WorkerDeath): void {
    this.#slots.delete(slot);
    const task = slot.task;
    slot.task = undefined;
    if (task) {
      if (this.#closed) task.reject(new PoolClosed());
      else if (this.#loadFailure) task.reject(this.#loadFailure);
      else task.reject(death);
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
      // Not running anything: the function never loaded.
      void slot.member.stop(false);
    }
  }
}

/** The pool of worker threads, the default backend. */
export class WorkerPool extends TaskPool {
  protected start(events: MemberEvents): PoolMember {
    const { setup, resourceLimits } = this.options;
    const worker = startWorker(WORKER_URL, { workerData: setup, ...(resourceLimits ? { resourceLimits } : {}) });
    /** The uncaught error (or out-of-memory error) the worker reported before it exited. */
    let error: Error | undefined;
    worker.on('message', events.message);
    worker.on('error', (reported) => {
      error = reported;
      events.dying();
    });
    worker.on('exit', (exitCode) => {
      const outOfMemory = (error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const reason: WorkerCrashReason = outOfMemory ? 'out-of-memory' : error ? 'uncaught-error' : 'exit';
      events.exit(new WorkerDeath(reason, exitCode, error));
    });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    return {
      send: (task) => worker.postMessage(task),
      // An idle thread is asked to exit and ends itself: terminating a thread inside an lmdb synchronous write
      // transaction (a change-feed watcher the function left open heartbeats in one) deadlocks lmdb-js's cleanup of
      // stray transactions on the lock the thread holds, and with it every lmdb writer of the process. A busy one, or
      // one still loading its function (it does not listen yet), is terminated after THREAD_STOP_GRACE_MS.
      stop: async (busy) => {
        if (!busy) worker.postMessage({ stop: true } satisfies StopMessage);
        const timer = setTimeout(() => void worker.terminate(), busy ? 0 : THREAD_STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      },
    };
  }
}
