import { ConfigError, HashStashError } from '../errors.js';

/** An item of `stash.map` whose call threw; `cause` is the error thrown in the worker, with its stack. */
export class MapItemError extends HashStashError {
  /** `HASHSTASH_MAP_ITEM`; `HASHSTASH_WORKER_CRASHED` and `HASHSTASH_UNTRUSTED_CODE` on its subclasses. */
  override readonly code: 'HASHSTASH_MAP_ITEM' | 'HASHSTASH_WORKER_CRASHED' | 'HASHSTASH_UNTRUSTED_CODE' =
    'HASHSTASH_MAP_ITEM';
  /** The item's position in the input. */
  readonly index: number;
  /** The item's call arguments: `[item, ...args, option]`. */
  readonly args: readonly unknown[];
  /**
   * A MapItemError for the item at `index`.
   *
   * @param message - Which item failed, and how.
   * @param index - The item's position in the input.
   * @param args - The item's call arguments.
   * @param options - `cause`: the error the call threw.
   */
  constructor(message: string, index: number, args: readonly unknown[], options?: { cause?: unknown }) {
    super(message, options);
    this.index = index;
    this.args = args;
  }
}

/**
 * Why a worker died while it ran an item. `'stalled'`: on a queue, the worker process running the item stopped
 * renewing its lock (it died, or its machine did) more often than the queue allows.
 */
export type WorkerCrashReason = 'exit' | 'uncaught-error' | 'out-of-memory' | 'stalled';

/** The worker running an item died: it exited, threw outside the call, or ran out of memory. It was replaced. */
export class WorkerCrashError extends MapItemError {
  /** `HASHSTASH_WORKER_CRASHED`. */
  override readonly code = 'HASHSTASH_WORKER_CRASHED';
  /** How the worker died. */
  readonly reason: WorkerCrashReason;
  /** The worker's exit code. */
  readonly exitCode: number;
  /**
   * A WorkerCrashError for the item at `index`.
   *
   * @param message - Which item's worker died, and how.
   * @param index - The item's position in the input.
   * @param args - The item's call arguments.
   * @param reason - How the worker died.
   * @param exitCode - The worker's exit code.
   * @param options - `cause`: the uncaught error, if that is how it died.
   */
  constructor(
    message: string,
    index: number,
    args: readonly unknown[],
    reason: WorkerCrashReason,
    exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, index, args, options);
    this.reason = reason;
    this.exitCode = exitCode;
  }
}

/** How a worker's death reads in a message: "the worker running f(1) <this>". */
export const CRASH_TEXT: Record<WorkerCrashReason, string> = {
  exit: 'exited',
  'uncaught-error': 'died of an uncaught error',
  'out-of-memory': 'ran out of memory',
  stalled: 'stopped renewing its lock',
};

/** A queue worker refused to run a function shipped as source: it runs them only when started with `--trust-code`. */
export class UntrustedCodeError extends MapItemError {
  /** `HASHSTASH_UNTRUSTED_CODE`. */
  override readonly code = 'HASHSTASH_UNTRUSTED_CODE';
}

/** A function given to `stash.map` that reads variables from outside itself, which workers would not have. */
export class ClosureError extends ConfigError {
  /** The outside variables, in order of first use. */
  readonly variables: readonly string[];
  /**
   * A ClosureError naming the variables.
   *
   * @param message - Which function reaches for which variables.
   * @param variables - The outside variables, in order of first use.
   */
  constructor(message: string, variables: readonly string[]) {
    super(message);
    this.variables = variables;
  }
}
