import { ConfigError, HashStashError } from '../errors.js';

/** An item of `stash.map` whose call threw; `cause` is the error thrown in the worker, with its stack. */
export class MapItemError extends HashStashError {
  override readonly code: string = 'HASHSTASH_MAP_ITEM';
  /** The item's position in the input. */
  readonly index: number;
  /** The item's call arguments: `[item, ...args, option]`. */
  readonly args: readonly unknown[];
  constructor(message: string, index: number, args: readonly unknown[], options?: { cause?: unknown }) {
    super(message, options);
    this.index = index;
    this.args = args;
  }
}

/** Why a worker died while it ran an item. */
export type WorkerCrashReason = 'exit' | 'uncaught-error' | 'out-of-memory';

/** The worker running an item died: it exited, threw outside the call, or ran out of memory. It was replaced. */
export class WorkerCrashError extends MapItemError {
  override readonly code: string = 'HASHSTASH_WORKER_CRASHED';
  readonly reason: WorkerCrashReason;
  /** The worker's exit code. */
  readonly exitCode: number;
  constructor(message: string, index: number, args: readonly unknown[], reason: WorkerCrashReason, exitCode: number, options?: { cause?: unknown }) {
    super(message, index, args, options);
    this.reason = reason;
    this.exitCode = exitCode;
  }
}

/** A function given to `stash.map` that reads variables from outside itself, which workers would not have. */
export class ClosureError extends ConfigError {
  /** The outside variables, in order of first use. */
  readonly variables: readonly string[];
  constructor(message: string, variables: readonly string[]) {
    super(message);
    this.variables = variables;
  }
}
